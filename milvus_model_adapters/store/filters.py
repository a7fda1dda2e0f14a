r"""A small metadata filter language, compiled to Milvus boolean expressions with every value escaped.

Filters are dictionaries over the JSON ``metadata`` field, in the style of LangChain's vector stores:

* ``{"source": "a.md"}`` - equality (a shorthand for ``{"source": {"$eq": "a.md"}}``);
* ``{"year": {"$gte": 2000, "$lt": 2010}}`` - comparisons ``$eq $ne $gt $gte $lt $lte``;
* ``{"tag": {"$in": ["x", "y"]}}`` and ``$nin`` - membership;
* ``{"tags": {"$contains": "x"}}``, ``{"tags": {"$contains_any": ["x", "y"]}}`` and
  ``$contains_all`` - on metadata lists;
* ``{"author": {"$exists": True}}`` - presence of a key;
* ``{"$and": [f, g]}``, ``{"$or": [f, g]}``, ``{"$not": f}`` - logic; several keys in one
  dictionary are joined with ``and``;
* nested keys with dots: ``{"page.number": 3}`` is ``metadata["page"]["number"] == 3``.

Keys must be identifiers (letters, digits, ``_``; dots for nesting) and values are written as
literals (strings quoted with ``\`` and ``"`` escaped, numbers finite, booleans ``true``/``false``),
so no value can change the structure of the expression. Raw Milvus expressions are accepted separately and explicitly.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

from milvus_model_adapters.errors import FilterError

Filter: TypeAlias = Mapping[str, Any]
"""A filter in the dictionary language above."""

METADATA_FIELD = "metadata"
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_COMPARISONS = {"$eq": "==", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_CONTAINS = {
    "$contains": "json_contains",
    "$contains_any": "json_contains_any",
    "$contains_all": "json_contains_all",
}
OPERATORS = frozenset({*_COMPARISONS, *_CONTAINS, "$in", "$nin", "$exists", "$and", "$or", "$not"})
"""Every operator the language knows."""


def literal(value: Any) -> str:
    """Write a scalar as a Milvus expression literal.

    Strings are double-quoted with backslashes and double quotes escaped.

    Raises:
        FilterError: For NaN, infinities and types other than str, int, float and bool.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError(f"filter values must be finite numbers, got {value}")
        return repr(value)
    if isinstance(value, str):
        # Milvus string literals take \\ and \" as escapes and every other character as is, except
        # line breaks, which its lexer rejects and no escape expresses.
        if "\n" in value or "\r" in value:
            raise FilterError("filter string values cannot contain line breaks")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise FilterError(f"unsupported filter value of type {type(value).__name__}: {value!r}")


def field_path(key: str) -> str:
    """The expression that reads metadata key ``key`` (dots for nesting)."""
    if not isinstance(key, str) or not _KEY.match(key):
        raise FilterError(f"invalid metadata key {key!r}: use letters, digits and '_', dots for nesting")
    return METADATA_FIELD + "".join(f"[{json.dumps(part)}]" for part in key.split("."))


def compile_filter(flt: Filter | None) -> str:
    """Compile a filter dictionary to a Milvus expression; ``None`` or ``{}`` gives ``""``.

    Raises:
        FilterError: On an unknown operator, a malformed clause or an unsupported value.
    """
    if flt is None:
        return ""
    if not isinstance(flt, Mapping):
        raise FilterError(f"a filter must be a dict, got {type(flt).__name__}")
    return _compile(flt)


def _compile(flt: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for key, value in flt.items():
        if not isinstance(key, str):
            raise FilterError(f"filter keys must be strings, got {key!r}")
        if key in ("$and", "$or"):
            if not isinstance(value, Sequence) or isinstance(value, str) or not value:
                raise FilterError(f"{key} takes a non-empty list of filters")
            subs = [_compile(_as_mapping(v, key)) for v in value]
            joiner = " and " if key == "$and" else " or "
            parts.append("(" + joiner.join(s for s in subs) + ")")
        elif key == "$not":
            parts.append(f"not ({_compile(_as_mapping(value, key))})")
        elif key.startswith("$"):
            raise FilterError(f"unknown filter operator {key!r}; known: {', '.join(sorted(OPERATORS))}")
        else:
            parts.append(_field_clause(field_path(key), value))
    if not parts:
        raise FilterError("empty filter clause")
    return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def _as_mapping(value: Any, op: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise FilterError(f"{op} takes filters (non-empty dicts), got {value!r}")
    return value


def _field_clause(path: str, condition: Any) -> str:
    if not isinstance(condition, Mapping):
        return f"{path} == {literal(condition)}"
    if not condition:
        raise FilterError(f"empty condition for {path}")
    clauses = []
    for op, value in condition.items():
        if op in _COMPARISONS:
            clauses.append(f"{path} {_COMPARISONS[op]} {literal(value)}")
        elif op in ("$in", "$nin"):
            if not isinstance(value, Sequence) or isinstance(value, str) or not value:
                raise FilterError(f"{op} takes a non-empty list of values, got {value!r}")
            # Written as equalities: Milvus Lite 3.x accepts ``in`` on plain fields only, not on JSON keys.
            any_of = " or ".join(f"{path} == {literal(v)}" for v in value)
            clauses.append(f"({any_of})" if op == "$in" else f"not ({any_of})")
        elif op == "$contains":
            clauses.append(f"json_contains({path}, {literal(value)})")
        elif op in _CONTAINS:
            if not isinstance(value, Sequence) or isinstance(value, str):
                raise FilterError(f"{op} takes a list of values, got {value!r}")
            clauses.append(f"{_CONTAINS[op]}({path}, [{', '.join(literal(v) for v in value)}])")
        elif op == "$exists":
            if not isinstance(value, bool):
                raise FilterError(f"$exists takes true or false, got {value!r}")
            clauses.append(f"exists {path}" if value else f"not (exists {path})")
        else:
            raise FilterError(f"unknown filter operator {op!r}; known: {', '.join(sorted(OPERATORS))}")
    return clauses[0] if len(clauses) == 1 else "(" + " and ".join(clauses) + ")"


def combine(*expressions: str | None) -> str:
    """Join non-empty expressions with ``and``."""
    parts = [e for e in expressions if e]
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return " and ".join(f"({p})" for p in parts)
