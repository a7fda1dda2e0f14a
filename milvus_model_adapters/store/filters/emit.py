"""Filter nodes as Milvus boolean expressions, written for each engine generation.

The generations (``engine``) differ in what they accept and in
what a negation matches, measured on each:

* **Milvus Lite 2.5** takes ``key in [...]`` on JSON keys (50,000 values in ~0.3 s, where a chain of
  ``==`` fails from ~50 terms and takes the engine down in the tens of thousands), refuses ``not (...)``
  and ``exists``, and its ``!=`` and ``not in`` already match documents that lack the key. It asserts
  on a list that mixes integers and floats, so lists are written one type at a time.
* **Milvus Lite 3.x** refuses ``in`` on JSON keys (an ``or`` of ``==`` instead), takes ``not`` and
  ``exists``, and its ``!=`` does not match documents that lack the key (SQL's way), so negations
  are written as ``not (exists key) or ...``.
* **Milvus servers** take both; negations get the same ``exists`` guard, right whatever ``!=`` does
  with a missing key.

Every value is written as an escaped literal, so no value can change the structure of an expression.

A key that is a typed metadata column of the collection (``store.fields``) is written as the column
(``columns.py``): ``in`` works there on every engine, and a negation also matches a null.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from milvus_model_adapters.errors import FilterError
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.fields import MetadataField
from milvus_model_adapters.store.filters.columns import column_of, emit_column
from milvus_model_adapters.store.filters.literals import literal as literal
from milvus_model_adapters.store.filters.parse import Compare, Contains, Exists, Logic, Member, Node, Not, Scalar
from milvus_model_adapters.store.schema import METADATA


def emit(node: Node, engine: Engine, columns: Mapping[str, MetadataField] | None = None) -> str:
    """The expression for ``node`` on ``engine``, the keys among ``columns`` read from their typed column.

    Raises:
        FilterError: If the engine cannot express it (negated ranges, containment or ``$exists`` on
            Milvus Lite 2.5), or a value does not fit a typed column.
    """
    if isinstance(node, Logic):
        return "(" + f" {node.op} ".join(emit(c, engine, columns) for c in node.children) + ")"
    key = node.child.key if isinstance(node, Not) else node.key
    column = column_of(key, columns)
    if column is not None:
        return emit_column(node, key, column, engine, lambda child: emit(child, engine, columns))
    path = field_path(key)
    if isinstance(node, Compare):
        if node.op == "like" and not engine.full_like and ("_" in str(node.value) or not str(node.value).strip("%")):
            raise FilterError(
                f"{engine.name} cannot evaluate the $like pattern {node.value!r}: it mis-reads '_' ('a_' matches "
                "'a%b') and '%' alone matches nothing there. Use patterns of text and '%' on it; Milvus Lite 3 and "
                "Milvus servers take any pattern."
            )
        expr = f"{path} {node.op} {literal(node.value)}"
        return _or_missing(path, expr, engine) if node.op == "!=" else expr
    if isinstance(node, Member):
        return _member(path, node, engine)
    if isinstance(node, Contains):
        if node.function == "json_contains":
            return f"json_contains({path}, {literal(node.values[0])})"
        return f"{node.function}({path}, [{', '.join(literal(v) for v in node.values)}])"
    if not engine.negation:
        what = "$exists" if isinstance(node, Exists) else f"$not of {_describe(node.child)}"
        raise FilterError(
            f"{engine.name} cannot evaluate {what} (it has no 'not' or 'exists'); "
            "Milvus Lite 3 and Milvus servers can. Rewrite it with $eq / $ne / $in / $nin, which work everywhere."
        )
    if isinstance(node, Exists):
        return f"exists {path}" if node.present else f"not (exists {path})"
    return _or_missing(path, f"not ({emit(node.child, engine)})", engine)


def _member(path: str, node: Member, engine: Engine) -> str:
    if engine.native_in:
        op, joiner = ("not in", " and ") if node.negated else ("in", " or ")
        parts = [f"{path} {op} [{', '.join(literal(v) for v in group)}]" for group in _by_type(node.values)]
        expr = parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"
        return _or_missing(path, expr, engine) if node.negated else expr
    any_of = " or ".join(f"{path} == {literal(v)}" for v in node.values)
    return _or_missing(path, f"not ({any_of})", engine) if node.negated else f"({any_of})"


def _or_missing(path: str, expr: str, engine: Engine) -> str:
    """A negation that also matches documents without the key (on Lite 2.5, ``!=`` / ``not in`` already do)."""
    return f"(not (exists {path}) or {expr})" if engine.negation else expr


def _by_type(values: tuple[Scalar, ...]) -> list[list[Scalar]]:
    groups: dict[type, list[Scalar]] = {}
    for v in values:
        groups.setdefault(type(v), []).append(v)
    return list(groups.values())


def _describe(node: Compare | Contains) -> str:
    if isinstance(node, Compare):
        return f"{node.key} {node.op} ..."
    return f"{node.function}({node.key}, ...)"


def one_of(field: str, values: list[Scalar]) -> str:
    """``field in [values]`` for a top-level field such as the primary key."""
    return f"{field} in [{', '.join(literal(v) for v in values)}]"


def field_path(key: str) -> str:
    """The expression that reads metadata key ``key`` (dots for nesting)."""
    return METADATA + "".join(f"[{json.dumps(part)}]" for part in key.split("."))
