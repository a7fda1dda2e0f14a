"""Grouping by the engine: Milvus's grouping search on a typed metadata column, where it gives the store's groups.

Milvus groups search hits by a scalar field (``group_by_field``), not by a key of a JSON field, so a store groups
by a metadata key itself (``grouping``), from a search deep enough to hold its groups. On a typed column
(``store.fields``) Milvus can group in the search itself, in one call, and it returns what the store's own
grouping returns when:

* each group is one hit (``group_size=1``, the default): the store's groups are those of a plain search deep
  enough to hold them, so a larger group holds the chunks that search reached, where Milvus fills each group
  (and Milvus Lite 2.5 keeps one hit per group whatever ``group_size`` says);
* the column is a ``varchar``, integer or ``bool`` one (Milvus groups no other type) that holds a value in every
  document (Milvus makes one group of every null; the store makes each document without the key a group of its
  own);
* the search is one route (dense or sparse) with nothing that rescores the hits after the engine (a reranker,
  boosts, decay, floors) and no range.

Groups come back best group first, as the store's do; a hit's rank (``dense_rank`` / ``sparse_rank``) counts
among the grouped hits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from milvus_model_adapters.store import schema
from milvus_model_adapters.store.connection import milvus_errors
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.fields import MetadataFields
from milvus_model_adapters.store.search.assembly import metadata_of
from milvus_model_adapters.store.search.params import SearchParams
from milvus_model_adapters.store.steps import Call, Steps
from milvus_model_adapters.store.types import Hit, Hits

GROUPABLE = frozenset({"varchar", "bool", "int8", "int16", "int32", "int64"})
"""Column types Milvus groups search hits by."""


def engine_groups(p: SearchParams, fields: MetadataFields, engine: Engine) -> bool:
    """Whether Milvus's grouping search gives ``p``'s groups (see the module's conditions)."""
    column = fields.get(p.group_by) if p.group_by is not None else None
    return (
        column is not None
        and p.group_size == 1
        and column.type in GROUPABLE
        and not (column.nullable and engine.null_values)
        and p.mode in ("dense", "sparse")
        and p.reranker is None
        and not p.rescores
        and p.min_relevance is None
        and p.min_dense_score is None
        and p.min_sparse_score is None
        and p.knobs.radius is None
    )


def engine_grouped(
    collection: str,
    data: list[Any | None],
    p: SearchParams,
    *,
    where: str,
    outputs: list[str],
    route: dict[str, Any],
    call_options: dict[str, Any],
    score: Callable[[float], float],
    fields: MetadataFields,
) -> Steps[list[list[Hit]]]:
    """Groups ``p.offset`` to ``p.offset + p.k`` of each query, by Milvus's grouping search of one route.

    Args:
        collection: The collection.
        data: Each query's dense vector or sparse query (``None``: a query no document can match).
        p: The search settings.
        where: The filter every hit meets.
        outputs: The fields read with each hit.
        route: The route's ``search_params`` (metric and knobs).
        call_options: Options of every call (a consistency level).
        score: Turns Milvus's distance into the route's score.
        fields: The collection's typed metadata columns.
    """
    asked = [i for i, query in enumerate(data) if query is not None]
    out: list[list[Hit]] = [Hits() for _ in data]
    if not asked:
        return out
    options = dict(
        data=[data[i] for i in asked],
        anns_field=schema.DENSE if p.mode == "dense" else schema.SPARSE,
        limit=p.k + p.offset,
        group_by_field=p.group_by,
        group_size=p.group_size,
        filter=where,
        output_fields=outputs,
        search_params=route,
        **call_options,
    )
    with milvus_errors("search", where=where):
        found = yield Call("search", (collection,), options)
    for i, hits in zip(asked, grouped_hits([list(r) for r in found], p, fields, score), strict=True):
        out[i] = hits
    return out


def grouped_hits(
    results: Sequence[Sequence[dict[str, Any]]],
    p: SearchParams,
    fields: MetadataFields,
    score: Callable[[float], float] = float,
) -> list[Hits]:
    """The hits of groups ``p.offset`` to ``p.offset + p.k`` of each query, from Milvus's grouping search."""
    out = []
    for found in results:
        hits = []
        for rank, raw in enumerate(found, start=1):
            value = score(float(raw["distance"]))
            dense = p.mode == "dense"
            entity = raw["entity"]
            hits.append(
                Hit(
                    id=str(raw["id"]),
                    text=entity.get(schema.TEXT, ""),
                    metadata=metadata_of(entity, fields),
                    score=value,
                    dense_score=value if dense else None,
                    dense_rank=rank if dense else None,
                    sparse_score=None if dense else value,
                    sparse_rank=None if dense else rank,
                    embedding=entity.get(schema.DENSE),
                )
            )
        out.append(Hits(_skip_groups(hits, p.group_by or "", p.offset)))
    return out


def _skip_groups(hits: list[Hit], key: str, offset: int) -> list[Hit]:
    """``hits`` (group after group) without their first ``offset`` groups."""
    if not offset:
        return hits
    seen: list[Any] = []
    kept = []
    for hit in hits:
        value = hit.metadata.get(key)
        if value not in seen:
            seen.append(value)
        if len(seen) > offset:
            kept.append(hit)
    return kept
