r"""A small metadata filter language over the JSON ``metadata`` field, in the style of LangChain's stores.

* ``{"source": "a.md"}`` - equality (a shorthand for ``{"source": {"$eq": "a.md"}}``);
* ``{"year": {"$gte": 2000, "$lt": 2010}}`` - comparisons ``$eq $ne $gt $gte $lt $lte``;
* ``{"tag": {"$in": ["x", "y"]}}`` and ``$nin`` - membership;
* ``{"tags": {"$contains": "x"}}``, ``{"tags": {"$contains_any": ["x", "y"]}}`` and
  ``$contains_all`` - on metadata lists;
* ``{"author": {"$exists": True}}`` - presence of a key (with a non-null value);
* ``{"title": {"$like": "Star%"}}`` - a string matching a pattern: ``%`` any run of characters, ``_`` any
  one character, case-sensitive (Milvus's ``like``, which has no escape: ``%`` and ``_`` are always wildcards;
  Milvus Lite 2.5 takes no ``_`` and no pattern of ``%`` alone);
* ``{"$and": [f, g]}``, ``{"$or": [f, g]}``, ``{"$not": f}`` - logic; several keys in one
  dictionary are joined with ``and``;
* nested keys with dots: ``{"page.number": 3}`` is ``metadata["page"]["number"] == 3``.

One meaning on every engine, as in MongoDB: a comparison matches documents whose key holds a
comparable value; a negation (``$ne``, ``$nin``, ``$not``) also matches documents that lack the key
(or hold null). The filter is parsed once into nodes (checked, with limits on size and depth),
negations are pushed down to the leaves, and ``emit`` writes
the expression each Milvus generation needs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from milvus_model_adapters._messages import shorten
from milvus_model_adapters.errors import FilterError

Filter: TypeAlias = Mapping[str, Any]
"""A filter in the dictionary language above."""

Scalar: TypeAlias = str | int | float | bool

MAX_DEPTH = 32
"""Deepest nesting of ``$and`` / ``$or`` / ``$not`` (Milvus Lite 2.5 fails from about 50)."""
MAX_VALUES = 10_000
"""Most values in one ``$in``, ``$nin`` or ``$contains_*`` list."""
INT_RANGE = (-(2**63) + 1, 2**63 - 1)
"""Integers Milvus compares exactly in JSON (``-2**63`` itself silently matches nothing on Lite 2.5)."""

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_COMPARISONS = {"$eq": "==", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_CONTAINS = {"$contains": "json_contains", "$contains_any": "json_contains_any", "$contains_all": "json_contains_all"}
OPERATORS = frozenset({*_COMPARISONS, *_CONTAINS, "$in", "$nin", "$exists", "$like", "$and", "$or", "$not"})
"""Every operator the language knows."""


@dataclass(frozen=True, slots=True)
class Compare:
    """``key op value``, op one of ``== != > >= < <=`` or ``like`` (a string pattern)."""

    key: str
    op: str
    value: Scalar


@dataclass(frozen=True, slots=True)
class Member:
    """``key`` holds one of ``values`` (or, ``negated``, none of them / no value)."""

    key: str
    values: tuple[Scalar, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Contains:
    """The list at ``key`` contains a value (``json_contains``) or any / all of ``values``."""

    key: str
    function: str
    values: tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Exists:
    """``key`` holds a non-null value (or, not ``present``, does not)."""

    key: str
    present: bool


@dataclass(frozen=True, slots=True)
class Not:
    """The negation of a leaf that has no negated form (a range comparison or a containment)."""

    child: Compare | Contains


@dataclass(frozen=True, slots=True)
class Logic:
    """``and`` or ``or`` of its children."""

    op: str
    children: tuple[Node, ...]


Node: TypeAlias = Compare | Member | Contains | Exists | Not | Logic

_NEGATED = {"==": "!=", "!=": "=="}


def parse(flt: Filter) -> Node:
    """Check a filter and turn it into nodes.

    Raises:
        FilterError: On an unknown operator, a malformed clause, an unsupported or inexact value, a
            list longer than ``MAX_VALUES`` or nesting deeper than ``MAX_DEPTH``.
    """
    if not isinstance(flt, Mapping):
        raise FilterError(f"a filter must be a dict, got {type(flt).__name__}")
    return _parse(flt, 0)


def negate(node: Node) -> Node:
    """The complement of ``node``, with negations pushed down to the leaves."""
    if isinstance(node, Compare):
        if node.op in _NEGATED:
            return Compare(node.key, _NEGATED[node.op], node.value)
        return Not(node)
    if isinstance(node, Member):
        return Member(node.key, node.values, not node.negated)
    if isinstance(node, Exists):
        return Exists(node.key, not node.present)
    if isinstance(node, Contains):
        return Not(node)
    if isinstance(node, Not):
        return node.child
    return Logic("or" if node.op == "and" else "and", tuple(negate(c) for c in node.children))


def _parse(flt: Mapping[str, Any], depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise FilterError(f"the filter is nested more than {MAX_DEPTH} levels deep")
    parts: list[Node] = []
    for key, value in flt.items():
        if not isinstance(key, str):
            raise FilterError(f"filter keys must be strings, got {key!r}")
        if key in ("$and", "$or"):
            if not isinstance(value, Sequence) or isinstance(value, str) or not value:
                raise FilterError(f"{key} takes a non-empty list of filters")
            if len(value) > MAX_VALUES:
                raise FilterError(f"{key} takes at most {MAX_VALUES} filters, got {len(value)}")
            parts.append(Logic(key[1:], tuple(_parse(_as_mapping(v, key), depth + 1) for v in value)))
        elif key == "$not":
            parts.append(negate(_parse(_as_mapping(value, key), depth + 1)))
        elif key.startswith("$"):
            raise FilterError(f"unknown filter operator {key!r}; known: {', '.join(sorted(OPERATORS))}")
        else:
            parts.extend(_field(_check_key(key), value))
    if not parts:
        raise FilterError("empty filter clause")
    return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))


def _as_mapping(value: Any, op: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise FilterError(f"{op} takes filters (non-empty dicts), got {_shown(value)}")
    return value


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise FilterError(f"invalid metadata key {_shown(key)}: use letters, digits and '_', dots for nesting")
    return key


def _field(key: str, condition: Any) -> list[Node]:
    if not isinstance(condition, Mapping):
        return [Compare(key, "==", scalar(condition))]
    if not condition:
        raise FilterError(f"empty condition for {key!r}")
    nodes: list[Node] = []
    for op, value in condition.items():
        if op in _COMPARISONS:
            nodes.append(Compare(key, _COMPARISONS[op], scalar(value)))
        elif op in ("$in", "$nin"):
            nodes.append(Member(key, _values(op, value, allow_empty=False), negated=op == "$nin"))
        elif op == "$contains":
            nodes.append(Contains(key, _CONTAINS[op], (scalar(value),)))
        elif op in _CONTAINS:
            nodes.append(Contains(key, _CONTAINS[op], _values(op, value, allow_empty=True)))
        elif op == "$like":
            if not isinstance(value, str) or not value:
                raise FilterError(f"$like takes a non-empty string pattern, got {_shown(value)}")
            nodes.append(Compare(key, "like", scalar(value)))
        elif op == "$exists":
            if not isinstance(value, bool):
                raise FilterError(f"$exists takes true or false, got {_shown(value)}")
            nodes.append(Exists(key, value))
        else:
            raise FilterError(f"unknown filter operator {op!r}; known: {', '.join(sorted(OPERATORS))}")
    return nodes


def _values(op: str, value: Any, *, allow_empty: bool) -> tuple[Scalar, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise FilterError(f"{op} takes a {'' if allow_empty else 'non-empty '}list of values, got {_shown(value)}")
    if not value and not allow_empty:
        raise FilterError(f"{op} takes a non-empty list of values")
    if len(value) > MAX_VALUES:
        raise FilterError(f"{op} takes at most {MAX_VALUES} values, got {len(value)}")
    return tuple(scalar(v) for v in value)


def scalar(value: Any) -> Scalar:
    """``value`` if Milvus can compare it exactly.

    That is a string without line breaks, a bool, a finite float or an integer in ``INT_RANGE``.

    Raises:
        FilterError: Otherwise.
    """
    if isinstance(value, bool | str):
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            # Milvus's expression lexer has no escape for line breaks.
            raise FilterError("filter string values cannot contain line breaks")
        return value
    if isinstance(value, int):
        if not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise FilterError(
                f"filter integer {_shown(value)} is outside the range Milvus compares exactly "
                f"[-(2**63 - 1), 2**63 - 1]; store and filter such values as strings"
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FilterError(f"filter values must be finite numbers, got {value}")
        return value
    raise FilterError(f"unsupported filter value of type {type(value).__name__}: {_shown(value)}")


def _shown(value: Any) -> str:
    return shorten(repr(value), 80)
