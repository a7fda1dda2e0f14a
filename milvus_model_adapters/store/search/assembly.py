"""From Milvus's raw search results to ranked hits: pure functions, testable without Milvus.

A search asks each route (dense, sparse) for ``depth`` candidates, fuses the routes' ranked lists,
builds ``keep`` hits, and lets a reranker reorder the best ``pool`` of them; ``candidate_counts`` does that
arithmetic, the other functions the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from milvus_model_adapters.rerank.base import RerankHit
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.fields import MetadataFields
from milvus_model_adapters.store.search.fusion import Ranker, RouteHit, order
from milvus_model_adapters.store.search.params import MAX_TOP_K, SearchParams
from milvus_model_adapters.store.types import Hit

Rows = dict[str, Mapping[str, Any]]
"""Entity fields (text, metadata) of every candidate seen, by id."""


@dataclass(frozen=True, slots=True)
class CandidateCounts:
    """How many candidates a search asks for and keeps.

    Attributes:
        depth: Candidates asked of each route.
        keep: Hits built per query: the reranker's pool, the candidates boosts and decay reorder, else ``k``.
        pool: Best candidates the reranker reorders (0 without a reranker).
    """

    depth: int
    keep: int
    pool: int


def candidate_counts(params: SearchParams) -> CandidateCounts:
    """The candidate counts of a search with ``params``."""
    pool = 0
    if params.reranker is not None:
        pool = params.rerank_k if params.rerank_k is not None else params.fetch
    depth = params.fetch if params.mode == "hybrid" or params.rescores else params.k
    keep = max(params.k, pool, params.fetch if params.rescores else 0)
    return CandidateCounts(depth=min(max(depth, pool), MAX_TOP_K), keep=keep, pool=pool)


def route_hits(
    results: Sequence[Sequence[Mapping[str, Any]]],
    rows: Rows,
    *,
    limit: int | None = None,
    score: Callable[[float], float] = float,
) -> list[list[RouteHit]]:
    """One route's ranked hits per query from Milvus search results; entity fields go to ``rows``.

    Hits are ranked by score, then id (engines order equal scores differently), and cut to ``limit``.

    Args:
        results: Per query, Milvus's hits (``id``, ``distance``, ``entity``).
        rows: Filled with each kept hit's entity fields.
        limit: Hits kept per query (all when ``None``).
        score: Turns a Milvus distance into the route's score (higher is better).
    """
    out = []
    for hits in results:
        scored = sorted(((score(float(h["distance"])), str(h["id"]), h) for h in hits), key=lambda t: (-t[0], t[1]))
        route = []
        for rank, (value, key, hit) in enumerate(scored[:limit], start=1):
            rows[key] = hit["entity"]
            route.append(RouteHit(key, value, rank))
        out.append(route)
    return out


def build_hits(
    mode: str,
    ranker: Ranker,
    routes: Mapping[str, Sequence[RouteHit]],
    rows: Rows,
    limit: int,
    kinds: Mapping[str, str],
    fields: MetadataFields | None = None,
) -> list[Hit]:
    """The best ``limit`` hits of one query: fused in hybrid mode, else the one route's order."""
    per_route = {name: {h.id: h for h in hits} for name, hits in routes.items()}
    if mode == "hybrid":
        fused = ranker.fuse(routes, kinds=kinds)
        ids = order(fused)
    else:
        only = routes[mode]
        fused = {h.id: h.score for h in only}
        ids = [h.id for h in only]
    hits = []
    for doc_id in ids[:limit]:
        d, s = per_route.get("dense", {}).get(doc_id), per_route.get("sparse", {}).get(doc_id)
        row = rows[doc_id]
        hits.append(
            Hit(
                id=doc_id,
                text=row.get(schema.TEXT, ""),
                metadata=metadata_of(row, fields),
                score=fused[doc_id],
                dense_score=d.score if d else None,
                dense_rank=d.rank if d else None,
                sparse_score=s.score if s else None,
                sparse_rank=s.rank if s else None,
                fused_score=fused[doc_id] if mode == "hybrid" else None,
                embedding=row.get(schema.DENSE),
            )
        )
    return hits


def metadata_of(row: Mapping[str, Any], fields: MetadataFields | None) -> dict[str, Any]:
    """A hit's metadata: its JSON field's keys and its typed columns."""
    return fields.joined(row, row.get(schema.METADATA)) if fields else dict(row.get(schema.METADATA) or {})


def server_hits(
    results: Sequence[Sequence[Mapping[str, Any]]], limit: int, fields: MetadataFields | None = None
) -> list[list[Hit]]:
    """Hits of Milvus's ``hybrid_search``, in the order of client fusion (ties by id), cut to ``limit``."""
    out = []
    for found in results:
        scores = {h["id"]: float(h["distance"]) for h in found}
        entities = {h["id"]: h["entity"] for h in found}
        out.append(
            [
                Hit(
                    id=doc_id,
                    text=entities[doc_id].get(schema.TEXT, ""),
                    metadata=metadata_of(entities[doc_id], fields),
                    score=scores[doc_id],
                    fused_score=scores[doc_id],
                )
                for doc_id in order(scores)[:limit]
            ]
        )
    return out


def reranked(hits: Sequence[Hit], ranking: Sequence[RerankHit]) -> list[Hit]:
    """``hits`` reordered by a reranker's ranking of them; hits it did not rank follow in their order."""
    ranked_ids = set()
    out = []
    for r in ranking:
        h = hits[r.index]
        ranked_ids.add(r.index)
        out.append(
            Hit(
                id=h.id,
                text=h.text,
                metadata=h.metadata,
                score=r.score,
                dense_score=h.dense_score,
                dense_rank=h.dense_rank,
                sparse_score=h.sparse_score,
                sparse_rank=h.sparse_rank,
                fused_score=h.fused_score,
                rerank_score=r.score,
                embedding=h.embedding,
            )
        )
    out.extend(h for i, h in enumerate(hits) if i not in ranked_ids)
    return out
