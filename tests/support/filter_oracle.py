"""An independent Python evaluation of the filter language, the reference the engines are tested against.

Semantics: a comparison matches a document whose key holds a value of the same kind (booleans,
numbers, strings); a negation matches everything the filter does not, documents without the key (or
with null) included.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MISSING = object()


def value_at(metadata: Mapping[str, Any], key: str) -> Any:
    current: Any = metadata
    for part in key.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return MISSING
        current = current[part]
    return MISSING if current is None else current


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def equal(a: Any, b: Any) -> bool:
    return a is not MISSING and kind(a) == kind(b) and a == b


def ordered(a: Any, op: str, b: Any) -> bool:
    if a is MISSING or kind(a) != kind(b) or kind(a) not in ("number", "str"):
        return False
    return {"$gt": a > b, "$gte": a >= b, "$lt": a < b, "$lte": a <= b}[op]


def matches(flt: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    for key, condition in flt.items():
        if key == "$and":
            ok = all(matches(f, metadata) for f in condition)
        elif key == "$or":
            ok = any(matches(f, metadata) for f in condition)
        elif key == "$not":
            ok = not matches(condition, metadata)
        else:
            value = value_at(metadata, key)
            conditions = condition if isinstance(condition, Mapping) else {"$eq": condition}
            ok = all(_field(value, op, arg) for op, arg in conditions.items())
        if not ok:
            return False
    return True


def _field(value: Any, op: str, arg: Any) -> bool:
    if op == "$eq":
        return equal(value, arg)
    if op == "$ne":
        return not equal(value, arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return ordered(value, op, arg)
    if op == "$in":
        return any(equal(value, a) for a in arg)
    if op == "$nin":
        return not any(equal(value, a) for a in arg)
    if op == "$exists":
        return (value is not MISSING) == arg
    if op == "$like":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in arg)
        return isinstance(value, str) and re.fullmatch(pattern, value, re.S) is not None
    items = value if isinstance(value, list) else []
    if op == "$contains":
        return any(equal(i, arg) for i in items)
    if op == "$contains_any":
        return any(equal(i, a) for i in items for a in arg)
    if op == "$contains_all":
        return bool(items) and all(any(equal(i, a) for i in items) for a in arg)
    raise AssertionError(op)
