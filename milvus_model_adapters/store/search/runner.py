"""Running a search against Milvus: client fusion of the routes, server-side fusion, the rerank stage.

``Searcher`` turns validated ``SearchParams`` into Milvus calls and hands the raw results to the pure functions
of ``milvus_model_adapters.store.search.assembly``. A search is written once, as steps (``store.steps``): ``run``
does them with the blocking client, ``arun`` with the async client of a served engine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from pymilvus import AnnSearchRequest, MilvusClient

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import DimensionMismatchError, InvalidInputError
from milvus_model_adapters.rerank.local import CosineReranker
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.connection import milvus_errors
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.fields import MetadataFields
from milvus_model_adapters.store.filters import combine
from milvus_model_adapters.store.search import assembly, grouping
from milvus_model_adapters.store.search.controls import controlled, highlighted
from milvus_model_adapters.store.search.engine_grouping import engine_grouped, engine_groups
from milvus_model_adapters.store.search.fusion import RouteHit
from milvus_model_adapters.store.search.mmr import mmr_select
from milvus_model_adapters.store.search.params import MAX_TOP_K, SearchParams
from milvus_model_adapters.store.search.requests import (
    TIE_MARGIN,
    Ask,
    Pending,
    RouteParams,
    RouteRequests,
    for_limit,
    tie_cut,
)
from milvus_model_adapters.store.search.rerank_stage import cosine_reranked, reranked_all
from milvus_model_adapters.store.sparse.base import SparseSource
from milvus_model_adapters.store.steps import Call, Steps, Work, arun, run
from milvus_model_adapters.store.types import Hit, Hits

Vectors = npt.NDArray[np.float32]


class Searcher:
    """Searches one collection with a dense encoder and a sparse source."""

    def __init__(
        self,
        client: MilvusClient,
        collection: str,
        dense: DenseEncoder,
        sparse: SparseSource,
        lock: threading.RLock,
        engine: Engine,
        async_client: Callable[[], Any | None] = lambda: None,
        *,
        fields: MetadataFields | None = None,
    ) -> None:
        """Search ``collection``; ``lock`` guards the sparse source's statistics against writers.

        ``async_client`` gives the ``AsyncMilvusClient`` of the running event loop, or ``None`` where the
        async searches run the blocking ones in a worker thread (a Milvus Lite file).
        """
        self.client = client
        self.collection = collection
        self.dense = dense
        self.sparse = sparse
        self._lock = lock
        self.engine = engine
        self._async_client = async_client
        self._index_type: str | None = None
        self._requests = RouteRequests(collection)
        self.fields = fields if fields is not None else MetadataFields()
        """The collection's typed metadata columns: read with each hit, and what filters compile to."""

    def run(
        self, texts: list[str], p: SearchParams, vectors: Vectors | None = None, *, scope: str = ""
    ) -> list[list[Hit]]:
        """The hits of each query, best first, at most ``p.k`` each (``search`` with the blocking client)."""
        return run(self.search(texts, p, vectors, scope=scope), self.client)

    async def arun(
        self, texts: list[str], p: SearchParams, vectors: Vectors | None = None, *, scope: str = ""
    ) -> list[list[Hit]]:
        """``run`` with the async client where there is one, else in a worker thread."""
        client = self._async_client()
        if client is None:
            return await asyncio.to_thread(self.run, texts, p, vectors, scope=scope)
        return await arun(self.search(texts, p, vectors, scope=scope), client)

    def search(
        self,
        texts: list[str],
        p: SearchParams,
        vectors: Vectors | None = None,
        *,
        with_vectors: bool = False,
        scope: str = "",
    ) -> Steps[list[list[Hit]]]:
        """The hits of each query, best first, at most ``p.k`` each.

        Args:
            texts: The queries.
            p: The search settings.
            vectors: The queries' dense vectors, if known.
            with_vectors: Read each hit's stored dense vector into ``Hit.embedding`` (client fusion
                and single routes read it in the search itself; server fusion does not).
            scope: The expression every hit must meet besides ``p``'s filter (a tenant's).
        """
        if p.group_by is not None and engine_groups(p, self.fields, self.engine):
            return (yield from self._engine_grouped(texts, p, vectors, with_vectors, scope))
        if p.group_by is not None:
            return (yield from self._grouped(texts, p, vectors, with_vectors, scope))
        if p.offset:
            pages = yield from self.search(texts, p.whole_page(), vectors, with_vectors=with_vectors, scope=scope)
            return [Hits(hits[p.offset :], floored=getattr(hits, "floored", 0)) for hits in pages]
        where = combine(scope, p.where(self.engine, self.fields))
        counts = assembly.candidate_counts(p)
        ranged = p.knobs.store_range(self.engine)
        if ranged is not None and p.mode == "hybrid" and p.fusion == "server":
            raise InvalidInputError(
                f"{self.engine.name} ranges only a window of the best hits inside hybrid_search: "
                "use fusion='client' for a range search there"
            )
        routes = yield from self._route_params(p)
        cosine = p.reranker if isinstance(p.reranker, CosineReranker) and p.reranker.same_model(self.dense) else None
        if vectors is None and (p.mode != "sparse" or cosine is not None):
            vectors = yield Work(self._encode_queries, (texts,))
        outputs = schema.hit_fields(self.fields) + ([schema.DENSE] if with_vectors or cosine is not None else [])
        ask = Ask(counts.depth, where, outputs, routes, ranged)
        floored = [0] * len(texts)
        with milvus_errors("search", where=where):
            if p.mode == "hybrid" and p.fusion == "server":
                results = yield from self._server_hybrid(texts, vectors, counts, p, ask)
            else:
                results = yield from self._client_search(texts, vectors, counts, p, ask, floored)
            if p.min_relevance is not None or p.rescores:
                results = controlled(results, p, floored)
            if p.reranker is not None:
                if cosine is not None and vectors is not None:
                    results = yield from self._rerank_stored(results, vectors, counts.pool)
                else:
                    results = yield Work(reranked_all, (p.reranker, texts, results, counts.pool))
        out: list[list[Hit]] = [Hits(hits[: p.k], floored=n) for hits, n in zip(results, floored, strict=True)]
        return (yield from self._highlighted(texts, out, p))

    def _engine_grouped(
        self, texts: list[str], p: SearchParams, vectors: Vectors | None, with_vectors: bool, scope: str
    ) -> Steps[list[list[Hit]]]:
        """The groups of each query from Milvus's grouping search on a typed column (``engine_grouping``)."""
        routes = yield from self._route_params(p)
        if p.mode == "dense":
            data = list(vectors if vectors is not None else (yield Work(self._encode_queries, (texts,))))
        else:
            data = yield Work(self._sparse_queries, (texts,))
        found = yield from engine_grouped(
            self.collection,
            data,
            p,
            where=combine(scope, p.where(self.engine, self.fields)),
            outputs=schema.hit_fields(self.fields) + ([schema.DENSE] if with_vectors else []),
            route=routes.dense if p.mode == "dense" else routes.sparse,
            call_options=routes.call,
            score=self.sparse.score if p.mode == "sparse" else float,
            fields=self.fields,
        )
        return (yield from self._highlighted(texts, found, p))

    def _route_params(self, p: SearchParams) -> Steps[RouteParams]:
        """Each route's search parameters: the engine's knobs met with the collection's index, before any call."""
        knobs = p.knobs
        index_type = (yield from self._dense_index_type()) if knobs.ef is not None or knobs.nprobe is not None else ""
        return RouteParams(
            dense={"metric_type": "IP", "params": knobs.dense(index_type, self.engine)},
            sparse={"metric_type": self.sparse.metric, "params": knobs.sparse(self.engine)},
            call=knobs.call_options(),
        )

    def _highlighted(self, texts: list[str], found: list[list[Hit]], p: SearchParams) -> Steps[list[list[Hit]]]:
        """``found`` with each hit's highlights, if ``p`` asks for them."""
        if p.highlight is None:
            return found
        marked: list[list[Hit]] = yield Work(highlighted, (texts, found, p.highlight, self.sparse.text_analyzer))
        return marked

    def _grouped(
        self, texts: list[str], p: SearchParams, vectors: Vectors | None, with_vectors: bool, scope: str
    ) -> Steps[list[list[Hit]]]:
        """Groups ``p.offset`` to ``p.offset + p.k`` of each query, from a search deep enough to hold them.

        The search starts at twice the hits the groups can hold and is four times deeper each round, for
        the queries whose hits do not hold enough groups yet, until they do, or the search found every hit
        there is, or Milvus's limit is reached.
        """
        key, size, wanted = p.group_by, p.group_size, p.k + p.offset
        assert key is not None
        flat = dataclasses.replace(p, group_by=None, group_size=1, offset=0)
        if vectors is None and p.mode != "sparse":
            vectors = yield Work(self._encode_queries, (texts,))  # once, not per round
        out: list[list[Hit]] = [[] for _ in texts]
        pending, depth = list(range(len(texts))), min(2 * wanted * size, MAX_TOP_K)
        while pending:
            found = yield from self.search(
                [texts[i] for i in pending],
                dataclasses.replace(flat, k=depth),
                None if vectors is None else vectors[pending],
                with_vectors=with_vectors,
                scope=scope,
            )
            deeper = []
            for i, hits in zip(pending, found, strict=True):
                held = grouping.groups(hits, key, size)
                if len(hits) < depth or depth == MAX_TOP_K or len(held) >= wanted:
                    groups = grouping.first_groups(held, skip=p.offset, take=p.k)
                    out[i] = Hits(groups, floored=getattr(hits, "floored", 0))
                else:
                    deeper.append(i)
            pending, depth = deeper, min(depth * 4, MAX_TOP_K)
        return out

    def mmr(
        self,
        texts: list[str],
        p: SearchParams,
        candidates: int,
        lambda_mult: float,
        vectors: Vectors | None = None,
        *,
        scope: str = "",
    ) -> Steps[list[list[Hit]]]:
        """``p.k`` hits of each query picked by maximal marginal relevance among its ``candidates`` best.

        With an offset, the first ``p.offset`` of the ``p.k + p.offset`` picks are skipped.
        """
        if p.offset:
            pages = yield from self.mmr(texts, p.whole_page(), candidates, lambda_mult, vectors, scope=scope)
            return [hits[p.offset :] for hits in pages]
        if vectors is None:
            vectors = yield Work(self._encode_queries, (texts,))
        found = yield from self.search(
            texts, p.replace(k=max(candidates, p.k)), vectors, with_vectors=True, scope=scope
        )
        stored = yield from self._vectors_of([h for hits in found for h in hits])
        out = []
        for query_vector, hits in zip(vectors, found, strict=True):
            kept = [h for h in hits if h.id in stored]
            picked = mmr_select(query_vector, [stored[h.id] for h in kept], p.k, lambda_mult)
            out.append([dataclasses.replace(kept[i], embedding=stored[kept[i].id]) for i in picked])
        return out

    def _vectors_of(self, hits: list[Hit]) -> Steps[dict[str, list[float]]]:
        """The stored dense vector of each hit: read by its search, or read now."""
        known = {h.id: h.embedding for h in hits if h.embedding is not None}
        stored = yield from self._stored_vectors([h.id for h in hits if h.id not in known])
        return {**stored, **known}

    def _stored_vectors(self, ids: list[str]) -> Steps[dict[str, list[float]]]:
        """The stored dense vector of each of ``ids`` that exists."""
        keys = list(dict.fromkeys(ids))
        if not keys:
            return {}
        with milvus_errors("read stored vectors"):
            rows = yield Call("get", (self.collection,), {"ids": keys, "output_fields": [schema.ID, schema.DENSE]})
        return {r[schema.ID]: r[schema.DENSE] for r in rows}

    def _encode_queries(self, texts: list[str]) -> Vectors:
        vectors = self.dense.encode_queries(texts)
        if vectors.shape[1] != self.dense.dim:
            raise DimensionMismatchError(f"query vectors have dim {vectors.shape[1]}, the collection {self.dense.dim}")
        return vectors

    def _dense_index_type(self) -> Steps[str]:
        """The index type of the dense field, read once."""
        if self._index_type is None:
            with milvus_errors("read the dense index"):
                index = yield Call("describe_index", (self.collection, schema.DENSE))
            self._index_type = str(index.get("index_type", ""))
        return self._index_type

    def _client_search(
        self,
        texts: list[str],
        vectors: Vectors | None,
        counts: assembly.CandidateCounts,
        p: SearchParams,
        ask: Ask,
        floored: list[int],
    ) -> Steps[list[list[Hit]]]:
        # Both route searches are in flight at once. The dense one, the longer, is sent first; the BM25
        # query vectors are computed while Milvus runs it.
        dense = None
        if p.mode != "sparse":
            assert vectors is not None
            dense = yield from self._requests.send(list(vectors), schema.DENSE, ask)
        sparse = (yield from self._send_sparse(texts, ask)) if p.mode != "dense" else None
        rows: assembly.Rows = {}
        routes: dict[str, list[list[RouteHit]]] = {}
        if dense is not None:
            received = yield from self._requests.received(dense, ask)
            routes["dense"] = assembly.route_hits(received, rows, limit=ask.limit)
        if sparse is not None:
            asked, pending = sparse
            routes["sparse"] = [[] for _ in texts]
            if pending is not None:
                received = yield from self._requests.received(pending, ask)
                scored = assembly.route_hits(received, rows, limit=ask.limit, score=self.sparse.score)
                for i, hits in zip(asked, scored, strict=True):
                    routes["sparse"][i] = hits
        for name, least in (("dense", p.min_dense_score), ("sparse", p.min_sparse_score)):
            if least is not None and name in routes:
                for i, hits in enumerate(routes[name]):
                    routes[name][i] = [h for h in hits if h.score >= least]
                    floored[i] += len(hits) - len(routes[name][i])
        kinds = {"dense": "ip", "sparse": self.sparse.metric.lower()}
        return [
            assembly.build_hits(
                p.mode, p.ranker, {r: v[i] for r, v in routes.items()}, rows, counts.keep, kinds, self.fields
            )
            for i in range(len(texts))
        ]

    def _send_sparse(self, texts: list[str], ask: Ask) -> Steps[tuple[list[int], Pending | None]]:
        """The sparse search of the queries that have a known term (their positions), sent."""
        data = yield Work(self._sparse_queries, (texts,))
        asked = [i for i, d in enumerate(data) if d is not None]
        if not asked:
            return asked, None
        return asked, (yield from self._requests.send([data[i] for i in asked], schema.SPARSE, ask))

    def _sparse_queries(self, texts: list[str]) -> list[Any | None]:
        """What each query is sent to the sparse field as (``SparseSource.queries``), apart from writers."""
        with self._lock:
            return self.sparse.queries(texts)

    def _server_hybrid(
        self, texts: list[str], vectors: Vectors | None, counts: assembly.CandidateCounts, p: SearchParams, ask: Ask
    ) -> Steps[list[list[Hit]]]:
        assert vectors is not None
        params, where = ask.params, ask.where
        sparse = [q if q is not None else {} for q in (yield Work(self._sparse_queries, (texts,)))]
        ranker = p.ranker.server_ranker()

        def fused(which: list[int], limit: int) -> Steps[list[list[dict[str, Any]]]]:
            requests = [
                AnnSearchRequest(
                    [vectors[i] for i in which],
                    schema.DENSE,
                    for_limit(params.dense, counts.depth),
                    counts.depth,
                    expr=where or None,
                ),
                AnnSearchRequest(
                    [sparse[i] for i in which], schema.SPARSE, params.sparse, counts.depth, expr=where or None
                ),
            ]
            options = {"limit": limit, "output_fields": schema.hit_fields(self.fields), **params.call}
            res = yield Call("hybrid_search", (self.collection, requests, ranker), options)
            return [list(r) for r in res]

        def answers(which: list[int], limit: int) -> Steps[list[list[dict[str, Any]]]]:
            if self.engine.batched_hybrid_search:
                return (yield from fused(which, limit))
            # Milvus Lite 2.5 fuses the hits of each query after the first as if the earlier queries' hits
            # ranked before them (RRF scores of 1/81 for a first hit after 20 others): one query per call.
            alone = []
            for i in which:
                alone += yield from fused([i], limit)
            return alone

        # Ties are broken by id, as client fusion breaks them: when equal fused scores reach past the
        # hits asked for, ask again for every fused candidate.
        every = min(2 * counts.depth, MAX_TOP_K)
        asked = min(counts.keep + TIE_MARGIN, every)
        results = yield from answers(list(range(len(texts))), asked)
        cut = [i for i, r in enumerate(results) if asked < every and tie_cut(r, counts.keep, asked)]
        if cut:
            for i, hits in zip(cut, (yield from answers(cut, every)), strict=True):
                results[i] = hits
        return assembly.server_hits(results, counts.keep, self.fields)

    def _rerank_stored(self, results: list[list[Hit]], vectors: Vectors, pool: int) -> Steps[list[list[Hit]]]:
        """Cosine reranking from the dense vectors the store holds (``rerank_stage.cosine_reranked``)."""
        stored = yield from self._vectors_of([h for hits in results for h in hits[:pool]])
        return cosine_reranked(results, vectors, stored, pool)
