"""Filter nodes on typed metadata columns, written as Milvus expressions on the column itself.

A typed key (``store.fields``) is a real column: ``in`` lists work on it on every engine, containment is
``array_contains``, presence is ``is not null``. The language's meaning stays: a negation (``$ne``, ``$nin``,
``$not``) also matches a document without a value, so on engines with nulls it is written
``(key is null or ...)`` (Milvus's ``!=`` leaves nulls out, SQL's way); on Milvus Lite 2.5 columns cannot be
null. Values must fit the column: a string compared with an ``int64`` column is refused (Milvus refuses it too),
and a fraction compared with an integer column is turned into the integer bound that means the same
(Milvus Lite 2.5 refuses ``year > 2.5``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from milvus_model_adapters.errors import FilterError
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.fields import MetadataField
from milvus_model_adapters.store.filters.literals import literal
from milvus_model_adapters.store.filters.parse import Compare, Contains, Exists, Member, Node, Not, Scalar

_ARRAY_FUNCTIONS = {
    "json_contains": "array_contains",
    "json_contains_any": "array_contains_any",
    "json_contains_all": "array_contains_all",
}


def column_of(key: str, columns: Mapping[str, MetadataField] | None) -> MetadataField | None:
    """The typed column of metadata ``key``, if it has one.

    Raises:
        FilterError: For a nested key under a typed column (a column holds no nested keys).
    """
    if not columns:
        return None
    if key in columns:
        return columns[key]
    head = key.split(".", 1)[0]
    if head in columns:
        raise FilterError(f"{head!r} is a typed {columns[head].type} column: it has no nested key {key!r}")
    return None


def emit_column(node: Node, key: str, column: MetadataField, engine: Engine, emit: Callable[[Node], str]) -> str:
    """The expression of a leaf (or ``Not`` of one) on the typed column ``key``."""
    if isinstance(node, Exists):
        if not engine.null_values:
            # No nulls: every document has a value.
            return f"{key} == {key}" if node.present else _never(key, column)
        return f"{key} is not null" if node.present else f"{key} is null"
    if isinstance(node, Not):
        if not engine.negation:
            raise FilterError(
                f"{engine.name} cannot evaluate a $not of {key!r} (it has no 'not'); Milvus Lite 3 and Milvus "
                "servers can. Rewrite it with $eq / $ne / $in / $nin, which work everywhere."
            )
        return _or_null(key, f"not ({emit(node.child)})", engine)
    if isinstance(node, Contains):
        if column.element is None:
            raise FilterError(f"{key!r} is {column.described}, not a list: $contains needs an array column")
        values = [literal(_fit(v, column, key)) for v in node.values]
        function = _ARRAY_FUNCTIONS[node.function]
        if node.function == "json_contains":
            return f"{function}({key}, {values[0]})"
        return f"{function}({key}, [{', '.join(values)}])"
    if column.element is not None:
        raise FilterError(f"{key!r} is {column.described}: filter it with $contains, $contains_any or $contains_all")
    if isinstance(node, Member):
        fitting = [v for v in node.values if not _fraction_for_integer(v, column)]
        kept = [literal(_fit(v, column, key)) for v in fitting]
        # A fraction matches no integer: it is left out of an integer column's list.
        expr = f"{key} {'not in' if node.negated else 'in'} [{', '.join(kept)}]" if kept else _never(key, column)
        if node.negated:
            return _or_null(key, expr if kept else f"{key} == {key}", engine)
        return expr
    assert isinstance(node, Compare)
    if node.op == "like":
        if column.type != "varchar":
            raise FilterError(f"$like takes a varchar column; {key!r} is {column.type}")
        return f"{key} like {literal(node.value)}"
    if _fraction_for_integer(node.value, column):
        return _integer_bound(key, node, column, engine)
    expr = f"{key} {node.op} {literal(_fit(node.value, column, key))}"
    return _or_null(key, expr, engine) if node.op == "!=" else expr


def _fit(value: Scalar, column: MetadataField, key: str) -> Scalar:
    """``value`` as a literal of the column's type.

    Raises:
        FilterError: If it is of another kind (a string for a number column, a number for a bool one, ...).
    """
    kind = column.scalar
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "varchar":
        ok = isinstance(value, str)
    elif kind in ("float", "double"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)  # Milvus Lite 2.5 asserts on an integer literal in a float column's list
        ok = False
    else:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, float) and value.is_integer():
            return int(value)
    if not ok:
        raise FilterError(
            f"{key!r} is a typed {column.type} column: compare it with {_what(kind)}, not {type(value).__name__} "
            f"{value!r}"
        )
    return value


def _what(kind: str) -> str:
    if kind == "bool":
        return "true or false"
    if kind == "varchar":
        return "strings"
    return "numbers" if kind in ("float", "double") else "integers"


def _fraction_for_integer(value: Scalar, column: MetadataField) -> bool:
    return column.scalar.startswith("int") and isinstance(value, float) and not value.is_integer()


def _integer_bound(key: str, node: Compare, column: MetadataField, engine: Engine) -> str:
    """A comparison of an integer column with a fraction, as the integer comparison that means the same."""
    assert isinstance(node.value, float)
    if node.op in (">", ">="):
        return f"{key} >= {math.ceil(node.value)}"
    if node.op in ("<", "<="):
        return f"{key} <= {math.floor(node.value)}"
    if node.op == "==":
        return _never(key, column)
    return _or_null(key, f"{key} == {key}", engine)  # != a fraction: every integer


def _never(key: str, column: MetadataField) -> str:
    """An expression no document meets (Milvus has no ``false`` literal that every engine takes)."""
    return f"{key} != {key}"


def _or_null(key: str, expr: str, engine: Engine) -> str:
    """A negation that also matches documents without a value (columns are never null without ``null_values``)."""
    return f"({key} is null or {expr})" if engine.null_values else expr
