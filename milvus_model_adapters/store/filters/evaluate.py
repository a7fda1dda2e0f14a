"""A parsed filter evaluated on a document's metadata in Python, with the meaning every engine gives it.

Boosts (``store.search.ranking``) decide which of a search's hits a filter matches here, on the metadata the
hits already carry, instead of asking the engine again (a query over the candidates' ids costs Milvus Lite 3
a scan of the collection). The meaning is the language's (``parse``): a comparison matches a key holding a
value of the same kind (booleans, numbers, strings apart), a negation also matches a missing or null key;
``tests/integration/store/test_filters.py`` holds it to each engine's answers on generated filters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from milvus_model_adapters.store.filters.parse import Compare, Contains, Exists, Logic, Member, Node, Not

_MISSING = object()
_ORDER = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


def matches(node: Node, metadata: Mapping[str, Any]) -> bool:
    """Whether ``metadata`` meets the filter ``node``."""
    if isinstance(node, Logic):
        children = (matches(child, metadata) for child in node.children)
        return all(children) if node.op == "and" else any(children)
    if isinstance(node, Not):
        return not matches(node.child, metadata)
    value = _value_at(metadata, node.key)
    if isinstance(node, Exists):
        return (value is not _MISSING) == node.present
    if isinstance(node, Member):
        found = any(_equal(value, v) for v in node.values)
        return not found if node.negated else found
    if isinstance(node, Contains):
        items = value if isinstance(value, list) else []
        held = [any(_equal(item, v) for item in items) for v in node.values]
        return all(held) and bool(items) if node.function == "json_contains_all" else any(held)
    return _compare(value, node)


def _compare(value: Any, node: Compare) -> bool:
    if node.op == "==":
        return _equal(value, node.value)
    if node.op == "!=":
        return not _equal(value, node.value)
    if node.op == "like":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(node.value))
        return isinstance(value, str) and re.fullmatch(pattern, value, re.S) is not None
    if value is _MISSING or _kind(value) != _kind(node.value) or _kind(value) not in ("number", "str"):
        return False
    return bool(_ORDER[node.op](value, node.value))


def _value_at(metadata: Mapping[str, Any], key: str) -> Any:
    current: Any = metadata
    for part in key.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return _MISSING if current is None else current


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


def _equal(a: Any, b: Any) -> bool:
    return a is not _MISSING and _kind(a) == _kind(b) and a == b
