"""LlamaIndex ``MetadataFilters`` as the core filter language."""

from __future__ import annotations

from typing import Any

from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from milvus_model_adapters.errors import FilterError

_OPERATORS = {
    FilterOperator.EQ: "$eq",
    FilterOperator.NE: "$ne",
    FilterOperator.GT: "$gt",
    FilterOperator.GTE: "$gte",
    FilterOperator.LT: "$lt",
    FilterOperator.LTE: "$lte",
    FilterOperator.IN: "$in",
    FilterOperator.NIN: "$nin",
    FilterOperator.CONTAINS: "$contains",
    FilterOperator.ANY: "$contains_any",
    FilterOperator.ALL: "$contains_all",
}


def to_filter(filters: MetadataFilters | None) -> dict[str, Any] | None:
    """Translate ``MetadataFilters`` to the store's filter dictionary.

    ``AND`` and ``OR`` join the filters; ``NOT`` matches where none of them matches. Negations
    (``!=``, ``nin``, ``NOT``) also match nodes that lack the key, as in LlamaIndex's own evaluation.

    ``text_match`` keeps the nodes whose value at the key holds the text (Milvus ``like "%text%"``, on
    every engine). ``text_match_insensitive`` and ``is_empty`` are refused with the engine's reason.

    Raises:
        FilterError: For operators Milvus cannot evaluate on a JSON key, and unknown conditions.
    """
    if filters is None or not filters.filters:
        return None
    parts: list[dict[str, Any]] = []
    for item in filters.filters:
        if isinstance(item, MetadataFilters):
            sub = to_filter(item)
            if sub is not None:
                parts.append(sub)
            continue
        parts.append(_one(item))
    condition = filters.condition or FilterCondition.AND
    if condition == FilterCondition.AND:
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if condition == FilterCondition.OR:
        return parts[0] if len(parts) == 1 else {"$or": parts}
    if condition == FilterCondition.NOT:  # none of the filters matches, as LlamaIndex evaluates it
        return {"$not": parts[0] if len(parts) == 1 else {"$or": parts}}
    raise FilterError(f"unsupported filter condition {condition!r}")


_REFUSED = {
    FilterOperator.TEXT_MATCH_INSENSITIVE: "Milvus's like is case-sensitive; use text_match",
    FilterOperator.IS_EMPTY: (
        "Milvus cannot tell an empty list at a JSON key from other values (array_length is 0 for strings and "
        "numbers on Milvus Lite 2.5, and unknown to Milvus Lite 3); filter on a key that says it, e.g. a count"
    ),
}


def _one(item: MetadataFilter) -> dict[str, Any]:
    operator = FilterOperator(item.operator)
    if operator in _REFUSED:
        raise FilterError(f"filter operator {operator.value!r} cannot run here: {_REFUSED[operator]}")
    if operator == FilterOperator.TEXT_MATCH:
        if not isinstance(item.value, str) or not item.value or "%" in item.value or "_" in item.value:
            raise FilterError(
                f"text_match takes a non-empty text without % or _ (Milvus's like has no escape for them), "
                f"got {item.value!r}"
            )
        return {item.key: {"$like": f"%{item.value}%"}}
    op = _OPERATORS.get(operator)
    if op is None:
        supported = ", ".join([*(o.value for o in _OPERATORS), FilterOperator.TEXT_MATCH.value])
        raise FilterError(f"unsupported filter operator {item.operator.value!r}; supported: {supported}")
    return {item.key: {op: item.value}}
