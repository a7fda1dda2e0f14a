"""Running a search against Milvus: client fusion of the routes, server-side fusion, the rerank stage.

``Searcher`` turns validated ``SearchParams`` into Milvus
calls and hands the raw results to the pure functions of ``milvus_model_adapters.store.search.assembly``.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy as np
import numpy.typing as npt
from pymilvus import AnnSearchRequest, MilvusClient

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import DimensionMismatchError, InvalidInputError
from milvus_model_adapters.rerank.base import Reranker, ranked
from milvus_model_adapters.rerank.local import CosineReranker
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.connection import milvus_errors
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.filters import combine
from milvus_model_adapters.store.routes.base import SparseRoute
from milvus_model_adapters.store.search import assembly, grouping
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
from milvus_model_adapters.store.types import Hit

Vectors = npt.NDArray[np.float32]


class Searcher:
    """Searches one collection with a dense encoder and a sparse route."""

    def __init__(
        self,
        client: MilvusClient,
        collection: str,
        dense: DenseEncoder,
        sparse: SparseRoute,
        lock: threading.RLock,
        engine: Engine,
    ) -> None:
        """Search ``collection``; ``lock`` guards the sparse route's statistics against writers."""
        self.client = client
        self.collection = collection
        self.dense = dense
        self.sparse = sparse
        self._lock = lock
        self.engine = engine
        self._index_type: str | None = None
        self._requests = RouteRequests(client, collection)

    def run(
        self,
        texts: list[str],
        p: SearchParams,
        vectors: Vectors | None = None,
        *,
        with_vectors: bool = False,
        scope: str = "",
    ) -> list[list[Hit]]:
        """The hits of each query, best first, at most ``p.k`` each.

        Args:
            texts: The queries.
            p: The search settings.
            vectors: The queries' dense vectors, if known.
            with_vectors: Read each hit's stored dense vector into ``Hit.embedding`` (client fusion
                and single routes read it in the search itself; server fusion does not).
            scope: The expression every hit must meet besides ``p``'s filter (a tenant's).
        """
        if p.group_by is not None:
            return self._grouped(texts, p, vectors, with_vectors, scope)
        if p.offset:
            pages = self.run(texts, p.whole_page(), vectors, with_vectors=with_vectors, scope=scope)
            return [hits[p.offset :] for hits in pages]
        where = combine(scope, p.where(self.engine))
        counts = assembly.candidate_counts(p)
        knobs = p.knobs
        # The engine's knobs meet the collection's index here, before any call: refusals come first.
        index_type = self._dense_index_type() if knobs.ef is not None or knobs.nprobe is not None else ""
        ranged = knobs.store_range(self.engine)
        if ranged is not None and p.mode == "hybrid" and p.fusion == "server":
            raise InvalidInputError(
                f"{self.engine.name} ranges only a window of the best hits inside hybrid_search: "
                "use fusion='client' for a range search there"
            )
        routes = RouteParams(
            dense={"metric_type": "IP", "params": knobs.dense(index_type, self.engine)},
            sparse={"metric_type": self.sparse.metric, "params": knobs.sparse(self.engine)},
            call=knobs.call_options(),
        )
        cosine = p.reranker if isinstance(p.reranker, CosineReranker) and p.reranker.same_model(self.dense) else None
        if vectors is None and (p.mode != "sparse" or cosine is not None):
            vectors = self._encode_queries(texts)
        outputs = [*schema.SEARCH_FIELDS, schema.DENSE] if with_vectors or cosine is not None else schema.SEARCH_FIELDS
        ask = Ask(counts.depth, where, outputs, routes, ranged)
        with milvus_errors("search", where=where):
            if p.mode == "hybrid" and p.fusion == "server":
                results = self._server_hybrid(texts, vectors, counts, p, ask)
            else:
                results = self._client_search(texts, vectors, counts, p, ask)
            if p.reranker is not None:
                if cosine is not None and vectors is not None:
                    results = self._rerank_stored(results, vectors, counts.pool)
                else:
                    pairs = zip(texts, results, strict=True)
                    results = [self._rerank(p.reranker, q, hits, counts.pool) for q, hits in pairs]
        return [hits[: p.k] for hits in results]

    def _grouped(
        self, texts: list[str], p: SearchParams, vectors: Vectors | None, with_vectors: bool, scope: str
    ) -> list[list[Hit]]:
        """Groups ``p.offset`` to ``p.offset + p.k`` of each query, from a search deep enough to hold them.

        The search starts at twice the hits the groups can hold and is four times deeper each round, for
        the queries whose hits do not hold enough groups yet, until they do, or the search found every hit
        there is, or Milvus's limit is reached.
        """
        key, size, wanted = p.group_by, p.group_size, p.k + p.offset
        assert key is not None
        flat = dataclasses.replace(p, group_by=None, group_size=1, offset=0)
        if vectors is None and p.mode != "sparse":
            vectors = self._encode_queries(texts)  # once, not per round
        out: list[list[Hit]] = [[] for _ in texts]
        pending, depth = list(range(len(texts))), min(2 * wanted * size, MAX_TOP_K)
        while pending:
            found = self.run(
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
                    out[i] = grouping.first_groups(held, skip=p.offset, take=p.k)
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
    ) -> list[list[Hit]]:
        """``p.k`` hits of each query picked by maximal marginal relevance among its ``candidates`` best.

        With an offset, the first ``p.offset`` of the ``p.k + p.offset`` picks are skipped.
        """
        if p.offset:
            pages = self.mmr(texts, p.whole_page(), candidates, lambda_mult, vectors, scope=scope)
            return [hits[p.offset :] for hits in pages]
        if vectors is None:
            vectors = self._encode_queries(texts)
        found = self.run(texts, p.replace(k=max(candidates, p.k)), vectors, with_vectors=True, scope=scope)
        stored = self._vectors_of([h for hits in found for h in hits])
        out = []
        for query_vector, hits in zip(vectors, found, strict=True):
            kept = [h for h in hits if h.id in stored]
            picked = mmr_select(query_vector, [stored[h.id] for h in kept], p.k, lambda_mult)
            out.append([dataclasses.replace(kept[i], embedding=stored[kept[i].id]) for i in picked])
        return out

    def _vectors_of(self, hits: list[Hit]) -> dict[str, list[float]]:
        """The stored dense vector of each hit: read by its search, or read now."""
        known = {h.id: h.embedding for h in hits if h.embedding is not None}
        return {**self._stored_vectors([h.id for h in hits if h.id not in known]), **known}

    def _stored_vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """The stored dense vector of each of ``ids`` that exists."""
        keys = list(dict.fromkeys(ids))
        if not keys:
            return {}
        with milvus_errors("read stored vectors"):
            rows = self.client.get(self.collection, ids=keys, output_fields=[schema.ID, schema.DENSE])
        return {r[schema.ID]: r[schema.DENSE] for r in rows}

    def _encode_queries(self, texts: list[str]) -> Vectors:
        vectors = self.dense.encode_queries(texts)
        if vectors.shape[1] != self.dense.dim:
            raise DimensionMismatchError(f"query vectors have dim {vectors.shape[1]}, the collection {self.dense.dim}")
        return vectors

    def _dense_index_type(self) -> str:
        """The index type of the dense field, read once."""
        if self._index_type is None:
            with milvus_errors("read the dense index"):
                self._index_type = str(self.client.describe_index(self.collection, schema.DENSE).get("index_type", ""))
        return self._index_type

    def _client_search(
        self, texts: list[str], vectors: Vectors | None, counts: assembly.CandidateCounts, p: SearchParams, ask: Ask
    ) -> list[list[Hit]]:
        # Both route searches are in flight at once. The dense one, the longer, is sent first; the BM25
        # query vectors are computed while Milvus runs it.
        dense = None
        if p.mode != "sparse":
            assert vectors is not None
            dense = self._requests.send(list(vectors), schema.DENSE, ask)
        sparse = self._send_sparse(texts, ask) if p.mode != "dense" else None
        rows: assembly.Rows = {}
        routes: dict[str, list[list[RouteHit]]] = {}
        if dense is not None:
            routes["dense"] = assembly.route_hits(self._requests.received(dense, ask), rows, limit=ask.limit)
        if sparse is not None:
            asked, pending = sparse
            routes["sparse"] = [[] for _ in texts]
            if pending is not None:
                found = assembly.route_hits(
                    self._requests.received(pending, ask), rows, limit=ask.limit, score=self.sparse.score
                )
                for i, hits in zip(asked, found, strict=True):
                    routes["sparse"][i] = hits
        kinds = {"dense": "ip", "sparse": self.sparse.metric.lower()}
        return [
            assembly.build_hits(p.mode, p.ranker, {r: v[i] for r, v in routes.items()}, rows, counts.keep, kinds)
            for i in range(len(texts))
        ]

    def _send_sparse(self, texts: list[str], ask: Ask) -> tuple[list[int], Pending | None]:
        """The sparse search of the queries that have a known term (their positions), sent."""
        with self._lock:
            data = self.sparse.queries(texts)
        asked = [i for i, d in enumerate(data) if d is not None]
        return asked, self._requests.send([data[i] for i in asked], schema.SPARSE, ask) if asked else None

    def _server_hybrid(
        self, texts: list[str], vectors: Vectors | None, counts: assembly.CandidateCounts, p: SearchParams, ask: Ask
    ) -> list[list[Hit]]:
        assert vectors is not None
        params, where = ask.params, ask.where
        with self._lock:
            sparse = [q if q is not None else {} for q in self.sparse.queries(texts)]
        ranker = p.ranker.server_ranker()

        def fused(which: list[int], limit: int) -> list[list[dict[str, Any]]]:
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
            res = self.client.hybrid_search(
                self.collection, requests, ranker, limit=limit, output_fields=schema.SEARCH_FIELDS, **params.call
            )
            return [list(r) for r in res]

        def answers(which: list[int], limit: int) -> list[list[dict[str, Any]]]:
            if self.engine.batched_hybrid_search:
                return fused(which, limit)
            # Milvus Lite 2.5 fuses the hits of each query after the first as if the earlier queries' hits
            # ranked before them (RRF scores of 1/81 for a first hit after 20 others): one query per call.
            return [hits for i in which for hits in fused([i], limit)]

        # Ties are broken by id, as client fusion breaks them: when equal fused scores reach past the
        # hits asked for, ask again for every fused candidate.
        every = min(2 * counts.depth, MAX_TOP_K)
        asked = min(counts.keep + TIE_MARGIN, every)
        results = answers(list(range(len(texts))), asked)
        cut = [i for i, r in enumerate(results) if asked < every and tie_cut(r, counts.keep, asked)]
        if cut:
            for i, hits in zip(cut, answers(cut, every), strict=True):
                results[i] = hits
        return assembly.server_hits(results, counts.keep)

    @staticmethod
    def _rerank(reranker: Reranker, query: str, hits: list[Hit], pool: int) -> list[Hit]:
        if not hits:
            return []
        top = hits[:pool]
        return assembly.reranked(top, reranker.rerank(query, [h.text or " " for h in top])) + hits[pool:]

    def _rerank_stored(self, results: list[list[Hit]], vectors: Vectors, pool: int) -> list[list[Hit]]:
        """Cosine reranking from the dense vectors the store holds: nothing is encoded again.

        A hit whose vector is no longer stored (deleted after the search found it) is not dropped: it
        follows the reranked hits, in its order, as candidates beyond the pool do.
        """
        stored = self._vectors_of([h for hits in results for h in hits[:pool]])
        out = []
        for query_vector, hits in zip(vectors, results, strict=True):
            top = [h for h in hits[:pool] if h.id in stored]
            gone = [h for h in hits[:pool] if h.id not in stored]
            if top:
                matrix = np.asarray([stored[h.id] for h in top], dtype=np.float32)
                ranking = ranked(CosineReranker.score_vectors(query_vector, matrix), [h.text for h in top], len(top))
                top = assembly.reranked(top, ranking)
            out.append(top + gone + hits[pool:])
        return out
