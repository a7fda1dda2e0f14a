"""One hit per document: hits grouped by a metadata key, the best groups first.

Milvus groups search hits by a scalar field only (``group_by_field``; both Milvus Lite generations refuse
a key of a JSON field), and a store keeps metadata in one JSON field, so groups are formed here, from a
search deep enough to hold ``k`` of them (``Searcher.run`` deepens it). Grouping the hits of one search keeps
everything the search computed: per-route scores and ranks, fusion, reranking, ties by id.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence

from milvus_model_adapters.store.types import Hit

_UNGROUPED = object()


def group_key(hit: Hit, key: str) -> Hashable:
    """The group of ``hit``: the value of metadata ``key``; a hit without it is a group of its own."""
    if key not in hit.metadata:
        return (_UNGROUPED, hit.id)
    value = hit.metadata[key]
    if isinstance(value, dict | list):  # JSON values that Python cannot hash: their canonical text
        return (type(value).__name__, json.dumps(value, sort_keys=True))
    return (type(value).__name__, value)


def groups(hits: Sequence[Hit], key: str, size: int) -> list[list[Hit]]:
    """``hits`` (best first) in groups of the same ``key``, each its best ``size`` hits, best group first.

    A group ranks where its best hit ranks; within a group, hits keep their order.
    """
    found: dict[Hashable, list[Hit]] = {}
    for hit in hits:
        group = found.setdefault(group_key(hit, key), [])
        if len(group) < size:
            group.append(hit)
    return list(found.values())


def first_groups(found: Sequence[list[Hit]], *, skip: int, take: int) -> list[Hit]:
    """The hits of groups ``skip`` to ``skip + take`` of ``found`` (``groups``), one group after the other."""
    return [hit for group in found[skip : skip + take] for hit in group]
