"""Raw Milvus expressions written as for ``langchain_milvus.Milvus``: bare names are metadata keys.

``langchain_milvus.Milvus`` stores each metadata key as a field of its own, so its users write
``"SingerName == 'IU' and year > 2000"``. This store keeps metadata in one JSON field; a bare name
that is not one of the store's fields is read as a metadata key (``metadata["SingerName"]``).
``id``, ``text`` and ``metadata`` mean the store's own fields, function names and keywords are kept,
and nothing inside a string literal is touched.
"""

from __future__ import annotations

import json
import re

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


def metadata_expression(expr: str) -> str:
    """``expr`` with every bare name that is a metadata key written as ``metadata["name"]``.

    A name is a metadata key unless it is a field of the store (``FIELDS``), a keyword
    (``KEYWORDS``), or a function (followed by ``(``).

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
        if kind == "name" and _is_key(text, tokens[i + 1 :]):
            out.append(f"{schema.METADATA}[{json.dumps(text)}]")
        else:
            out.append(text)
    if depth:
        raise FilterError(f"the expression {expr!r} leaves a parenthesis open")
    return "".join(out)


def _is_key(name: str, rest: list[tuple[str | None, str]]) -> bool:
    if name in FIELDS or name.lower() in KEYWORDS:
        return False
    following = next((text for kind, text in rest if kind != "space"), "")
    return following != "("
