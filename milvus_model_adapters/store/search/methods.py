"""The search methods of a store: by text, by vector, several queries at once, and MMR."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Unpack

from milvus_model_adapters._validate import check_positive_int, check_texts
from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.rerank.local import CosineReranker
from milvus_model_adapters.store import documents
from milvus_model_adapters.store.search.coalesce import Coalescer
from milvus_model_adapters.store.search.params import MAX_TOP_K, SearchOptions, SearchParams
from milvus_model_adapters.store.search.runner import Searcher
from milvus_model_adapters.store.types import Hit


class SearchMethods:
    """The search methods of ``HybridStore``, over its ``Searcher``."""

    dense: DenseEncoder
    search_params: SearchParams
    _searcher: Searcher
    _coalescer: Coalescer

    def _scope(self, asked: str | None = None) -> str:
        """The expression confining a search to a tenant (see ``tenants``)."""
        raise NotImplementedError

    def search(
        self,
        query: str,
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        vector: Sequence[float] | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[Hit]:
        """Search with the dense route, the sparse route, or both fused.

        Args:
            query: The question.
            k: Hits to return (a shorthand for ``k=`` in ``options``).
            params: The search settings; ``search_params`` (the store's defaults) if ``None``.
            vector: The query's dense vector, if computed elsewhere with the store's model.
            **options: Settings that override ``params``: ``k``, ``mode``, ``fetch_k``, ``ranker``,
                ``offset``, ``rrf_k``, ``weights``, ``filter``, ``expr``, ``reranker``, ``rerank_k``, ``fusion``,
                ``group_by``, ``group_size`` and the engine's knobs (see ``SearchParams``).

        Returns:
            Up to ``k`` hits, best first; with ``group_by``, up to ``k`` groups of up to ``group_size``
            hits each, one group after the other.

        Raises:
            InvalidInputError: On an empty query, an unknown option or an invalid value.
            FilterError: On a malformed filter, or one Milvus rejects.
        """
        vectors = None if vector is None else [vector]
        return self.search_many([query], k, params=params, vectors=vectors, **options)[0]

    async def asearch(
        self,
        query: str,
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        vector: Sequence[float] | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[Hit]:
        """``search``, without blocking the event loop; concurrent calls share Milvus calls.

        Searches with equal settings that are waiting at the same time go to Milvus together, one call per
        route for all of them (``search_many``), in a worker thread; each gets the hits it gets alone.
        Bad input raises here, before anything is sent.
        """
        text = check_texts([query], what="queries")[0]
        given = None if vector is None else documents.check_query_vectors([vector], self.dense.dim)[0]
        p = self._params(k, params, options)
        return await self._coalescer.search(text, p, given, self._scope(p.tenant))

    def search_many(
        self,
        queries: Sequence[str],
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        vectors: Sequence[Sequence[float]] | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[list[Hit]]:
        """``search`` for several queries, with one Milvus call per route for all of them.

        ``vectors``, if given, are the queries' dense vectors, computed elsewhere with the store's model.
        """
        texts = check_texts(queries, what="queries")
        given = None if vectors is None else documents.check_query_vectors(vectors, self.dense.dim)
        if given is not None and len(given) != len(texts):
            raise InvalidInputError(f"{len(given)} vectors for {len(texts)} queries")
        p = self._params(k, params, options)
        return self._searcher.run(texts, p, given, scope=self._scope(p.tenant))

    async def asearch_many(
        self,
        queries: Sequence[str],
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        vectors: Sequence[Sequence[float]] | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[list[Hit]]:
        """``search_many`` in a worker thread."""
        return await asyncio.to_thread(self.search_many, queries, k, params=params, vectors=vectors, **options)

    def search_by_vector(
        self,
        vector: Sequence[float],
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[Hit]:
        """Dense search with a query vector computed elsewhere with the store's model (``mode`` is dense).

        Raises:
            DimensionMismatchError: If ``vector`` does not have the collection's dimension.
            InvalidInputError: On a reranker other than the store model's ``CosineReranker``, which
                would need the query text.
        """
        p = self._params(k, params, options).replace(mode="dense")
        vectors = documents.check_query_vectors([vector], self.dense.dim)
        if p.reranker is not None and not (
            isinstance(p.reranker, CosineReranker) and p.reranker.same_model(self.dense)
        ):
            raise InvalidInputError("search_by_vector can only rerank with the store model's CosineReranker")
        return self._searcher.run([""], p, vectors, scope=self._scope(p.tenant))[0]

    def mmr_search(
        self,
        query: str | Sequence[float],
        k: int | None = None,
        /,
        *,
        candidates: int = 20,
        lambda_mult: float = 0.5,
        params: SearchParams | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[Hit]:
        """``k`` hits picked by maximal marginal relevance among the ``candidates`` best of a search.

        Args:
            query: The question, or a query vector (then the candidates come from a dense search).
            k: Hits to return.
            candidates: Hits of the search (in its mode) that MMR chooses from, by their stored vectors.
            lambda_mult: 1 ranks by similarity to the query alone, 0 by diversity alone.
            params: The search settings (``search_params`` if ``None``).
            **options: Settings that override ``params``.

        Raises:
            InvalidInputError: On ``candidates`` outside [1, 16384] or ``lambda_mult`` outside [0, 1].
        """
        p = self._params(k, params, options)
        candidates = check_positive_int(candidates, what="candidates")
        if candidates > MAX_TOP_K or not 0.0 <= lambda_mult <= 1.0:
            raise InvalidInputError(f"candidates must be <= {MAX_TOP_K} and lambda_mult in [0, 1]")
        if p.group_by is not None:
            raise InvalidInputError("MMR picks among single hits: group_by does not apply to it (use search)")
        scope = self._scope(p.tenant)
        if isinstance(query, str):
            texts = check_texts([query], what="queries")
            return self._searcher.mmr(texts, p, candidates, float(lambda_mult), scope=scope)[0]
        vectors = documents.check_query_vectors([query], self.dense.dim)
        return self._searcher.mmr([""], p.replace(mode="dense"), candidates, float(lambda_mult), vectors, scope=scope)[
            0
        ]

    def _params(self, k: int | None, params: SearchParams | None, options: SearchOptions) -> SearchParams:
        if k is not None:
            options["k"] = k
        return (params if params is not None else self.search_params).replace(**options)
