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

    Raises:
        FilterError: For operators Milvus metadata filters do not support here (``text_match``,
            ``text_match_insensitive``, ``is_empty``) and unknown conditions.
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


def _one(item: MetadataFilter) -> dict[str, Any]:
    op = _OPERATORS.get(FilterOperator(item.operator))
    if op is None:
        supported = ", ".join(o.value for o in _OPERATORS)
        raise FilterError(f"unsupported filter operator {item.operator.value!r}; supported: {supported}")
    return {item.key: {op: item.value}}
