"""Raw Milvus expressions written as for ``langchain_milvus.Milvus``: bare names are metadata keys.

``langchain_milvus.Milvus`` stores each metadata key as a field of its own, so its users write
``"SingerName == 'IU' and year > 2000"``. This store keeps metadata in one JSON field; a bare name
that is not one of the store's fields is read as a metadata key (``metadata["SingerName"]``).
``id``, ``text`` and ``metadata`` mean the store's own fields, function names and keywords are kept,
and nothing inside a string literal is touched. A bare name that is a typed metadata column
(``store.fields``) is the column, and so is ``metadata["name"]`` written out.

``langchain_milvus.Milvus`` keeps its primary key in ``pk``, so its users' metadata often holds an ``id`` key,
which their expressions name bare (``get_pks("id in [1, 2]")``). Where that integration's names are used
(``MilvusHybridVectorStore`` of ``milvus_model_adapters.langchain``), ``from_langchain_milvus`` reads an
expression its way first: ``pk`` is the store's id and a bare ``id`` the metadata key ``id``. Everywhere else
a bare ``id`` is the store's id. Filter dictionaries hold metadata keys only, ``id`` included, everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from milvus_model_adapters.errors import FilterError
from milvus_model_adapters.store import schema

_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.S,
)
KEYWORDS = frozenset({"and", "or", "not", "in", "like", "exists", "true", "false", "null", "is"})
"""Words of Milvus's expression language (any case), never metadata keys."""
FIELDS = schema.STORE_FIELDS
"""The store's own fields."""


def metadata_expression(expr: str, columns: Collection[str] = (), *, native_in: bool = True) -> str:
    """``expr`` with every bare name that is a metadata key written as ``metadata["name"]``.

    A name is a metadata key unless it is a field of the store (``FIELDS``), a keyword
    (``KEYWORDS``), a function (followed by ``(``), or one of ``columns`` (typed metadata columns, which
    stay bare; ``metadata["name"]`` of one of them is written as the column). Without ``native_in`` (Milvus
    Lite 3 refuses ``in`` on a JSON key), ``key in [a, b]`` on a metadata key is written ``(key == a or key == b)``.

    Raises:
        FilterError: If a string literal is not closed, or parentheses are unbalanced (an expression is
            joined to others inside parentheses, and must not close them: a tenant's scope stays whole).
    """
    out: list[str] = []
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(expr)]
    depth = 0
    for i, (kind, text) in enumerate(tokens):
        if kind == "other" and text in "\"'":
            raise FilterError(f"the expression {expr!r} has a string that is not closed")
        if kind == "other" and text in "()":
            depth += 1 if text == "(" else -1
            if depth < 0:
                raise FilterError(f"the expression {expr!r} closes a parenthesis it did not open")
        if kind == "name" and text not in columns and _is_key(text, tokens[i + 1 :]):
            out.append(f"{schema.METADATA}[{json.dumps(text)}]")
        elif kind == "name" and text == schema.METADATA and _column_read(tokens[i + 1 :], columns):
            out.append("\0")  # the column's name replaces metadata["name"] below
        else:
            out.append(text)
    if depth:
        raise FilterError(f"the expression {expr!r} leaves a parenthesis open")
    text = _columns_read(out, columns) if "\0" in out else "".join(out)
    return text if native_in else _in_as_equalities(text)


_JSON_IN = re.compile(
    r"""(?<![\w\]])(metadata(?:\["(?:[^"\\]|\\.)*"\])+)\s+in\s+\[((?:\s*(?:"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false)\s*,?)*)\]""",
    re.I,
)
_ITEM = re.compile(r'"(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false', re.I)


def _in_as_equalities(expr: str) -> str:
    """``metadata[...] in [...]`` lists of literals written as chains of ``==`` (none inside a string literal)."""
    strings = [m.span() for m in _TOKEN.finditer(expr) if m.lastgroup == "string"]
    out, last = [], 0
    for match in _JSON_IN.finditer(expr):
        if any(start < match.start() < end for start, end in strings):
            continue
        out += [expr[last : match.start()], _equalities(match)]
        last = match.end()
    return "".join(out) + expr[last:]


def _equalities(match: re.Match[str]) -> str:
    items = _ITEM.findall(match.group(2))
    if not items:
        return match.group(0)
    return "(" + " or ".join(f"{match.group(1)} == {item}" for item in items) + ")"


def from_langchain_milvus(expr: str) -> str:
    """An expression in ``langchain_milvus.Milvus``'s names, in this store's: ``pk`` is the id, ``id`` metadata.

    Raises:
        FilterError: As ``metadata_expression``, on an unclosed string or unbalanced parentheses.
    """
    metadata_expression(expr)  # refuses a malformed expression before anything is renamed
    out = []
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(expr)]
    for i, (kind, text) in enumerate(tokens):
        following = next((t for k, t in tokens[i + 1 :] if k != "space"), "")
        if kind == "name" and following != "(" and text in ("pk", schema.ID):
            out.append(schema.ID if text == "pk" else f"{schema.METADATA}[{json.dumps(schema.ID)}]")
        else:
            out.append(text)
    return "".join(out)


def _column_read(rest: list[tuple[str | None, str]], columns: Collection[str]) -> bool:
    """Whether ``rest`` starts with ``["name"]`` of a column (no space inside, and no deeper key)."""
    if len(rest) < 3 or rest[0][1] != "[" or rest[1][0] != "string" or rest[2][1] != "]":
        return False
    return rest[1][1][1:-1] in columns and (len(rest) < 4 or rest[3][1] != "[")


def _columns_read(out: list[str], columns: Collection[str]) -> str:
    r"""``out`` with each ``metadata["name"]`` of a column (marked ``\0``) written as the column's name."""
    text: list[str] = []
    skip = 0
    for n, part in enumerate(out):
        if skip:
            skip -= 1
            continue
        if part == "\0":
            text.append(out[n + 2][1:-1])
            skip = 3
        else:
            text.append(part)
    return "".join(text)


def _is_key(name: str, rest: list[tuple[str | None, str]]) -> bool:
    if name in FIELDS or name.lower() in KEYWORDS:
        return False
    following = next((text for kind, text in rest if kind != "space"), "")
    return following != "("
