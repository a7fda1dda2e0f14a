"""Dense + BM25 hybrid search over one Milvus collection: Milvus Lite file or Milvus server."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pymilvus import AnnSearchRequest, MilvusClient, MilvusException, RRFRanker, WeightedRanker

from milvus_model_adapters._progress import progress
from milvus_model_adapters._validate import check_positive_int, check_texts
from milvus_model_adapters.analyzer import Analyzer, TextAnalyzer
from milvus_model_adapters.bm25 import AnalyzedBatch, BM25Encoder
from milvus_model_adapters.dense import DenseEncoder
from milvus_model_adapters.errors import (
    DimensionMismatchError,
    FilterError,
    InvalidInputError,
    InvalidTypeError,
    SchemaMismatchError,
    StoreLockedError,
)
from milvus_model_adapters.rerank.base import Reranker, as_reranker
from milvus_model_adapters.sparse import to_dicts
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.bm25_state import BM25State
from milvus_model_adapters.store.filters import Filter, combine, compile_filter
from milvus_model_adapters.store.fusion import RRF, Ranker, RouteHit, Weighted, make_ranker, order
from milvus_model_adapters.store.types import MODES, Document, Hit, SearchMode

SparseSource = Literal["bm25", "builtin"]
Fusion = Literal["client", "server"]
_OUTPUT = [schema.ID, schema.TEXT, schema.METADATA]


def content_id(text: str, metadata: Mapping[str, Any] | None = None) -> str:
    """A stable id for a document: SHA-256 of its text and metadata, hex, 32 characters."""
    payload = json.dumps([text, dict(metadata or {})], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def is_local_uri(uri: str) -> bool:
    """Whether ``uri`` names a Milvus Lite file rather than a server."""
    return not uri.startswith(("http://", "https://", "tcp://", "grpc://", "unix:"))


class HybridStore:
    """Documents with dense and BM25 vectors in one Milvus collection, searched by either or both.

    ``uri`` decides where the collection lives: a file path opens Milvus Lite (embedded), an
    ``http://host:port`` address a Milvus server or cluster; the code is the same.

    Example:
        >>> store = HybridStore("./rag.db")                      # MiniLM + offline BM25
        >>> store.add(["Milvus Lite keeps vectors in a local file."], metadatas=[{"src": "doc"}])
        >>> hits = store.search("where are vectors kept?", k=3)  # hybrid, RRF
    """

    def __init__(
        self,
        uri: str | os.PathLike[str] = "./milvus.db",
        collection: str = "documents",
        *,
        dense: DenseEncoder | Any | None = None,
        sparse: SparseSource = "bm25",
        analyzer: TextAnalyzer | None = None,
        k1: float = 1.5,
        b: float = 0.75,
        token: str | None = None,
        db_name: str | None = None,
        dense_index: Mapping[str, Any] | None = None,
        drop_existing: bool = False,
        client: MilvusClient | None = None,
        builtin_analyzer_params: Mapping[str, Any] | None = None,
    ) -> None:
        """Open (or create) a collection.

        Args:
            uri: Milvus Lite file path, or a Milvus server address such as ``http://localhost:19530``.
            collection: Collection name.
            dense: A :class:`DenseEncoder`, any pymilvus-model dense function, or ``None`` for the
                embedded default (all-MiniLM-L6-v2, offline).
            sparse: ``"bm25"`` for client-side BM25 (this package's encoder, statistics kept in the
                database and updated incrementally) or ``"builtin"`` for Milvus's BM25 function.
            analyzer: Text analyzer for client-side BM25 (default: English :class:`Analyzer`). Ignored
                when reopening, where the stored analyzer settings are used.
            k1: BM25 ``k1`` for a new collection.
            b: BM25 ``b`` for a new collection.
            token: Server credentials (``"user:password"`` or an API key).
            db_name: Server database name.
            dense_index: Index parameters for the dense field; ``AUTOINDEX`` with inner product by
                default (Milvus Lite 2.5 serves it as ``FLAT``).
            drop_existing: Delete an existing collection of this name, and its data, first.
            client: An existing ``MilvusClient`` to use instead of opening one.
            builtin_analyzer_params: Milvus analyzer parameters for ``sparse="builtin"``.

        Raises:
            SchemaMismatchError: If the collection exists with another schema or dimension.
            StoreLockedError: If another process holds the Milvus Lite file.
        """
        if sparse not in ("bm25", "builtin"):
            raise InvalidInputError(f"unknown sparse source {sparse!r}; use 'bm25' or 'builtin'")
        if not isinstance(collection, str) or not collection.replace("_", "a").isalnum() or collection[0].isdigit():
            raise InvalidInputError(f"invalid collection name {collection!r}: use letters, digits and '_'")
        self.uri = os.fspath(uri)
        self.collection = collection
        self.sparse_source: SparseSource = sparse
        self._lock = threading.RLock()
        self._pool: ThreadPoolExecutor | None = None
        # Connect before loading a model, so a locked or unreachable database fails fast.
        self._owns_client = client is None
        self.client = client if client is not None else _connect(self.uri, token=token, db_name=db_name)
        self.dense = (
            dense
            if isinstance(dense, DenseEncoder)
            else (DenseEncoder.default() if dense is None else DenseEncoder(dense))
        )
        self.is_local = is_local_uri(self.uri)
        self._dense_index = dict(dense_index or {"index_type": "AUTOINDEX", "metric_type": "IP"})
        self.bm25: BM25Encoder | None = None
        self._state: BM25State | None = None
        self.recounted_bm25 = False
        if sparse == "bm25":
            self.bm25 = BM25Encoder(analyzer if analyzer is not None else Analyzer(), k1=k1, b=b)
            self._state = BM25State(self.client, collection)
        if drop_existing:
            self.drop()
        self._open(dict(builtin_analyzer_params or {}) or None)

    # ------------------------------------------------------------------ lifecycle
    def _open(self, analyzer_params: dict[str, Any] | None) -> None:
        builtin = self.sparse_source == "builtin"
        if self.client.has_collection(self.collection):
            schema.check_schema(
                self.client.describe_collection(self.collection),
                name=self.collection,
                dim=self.dense.dim,
                builtin_bm25=builtin,
            )
            if self._state is not None and self.bm25 is not None:
                if not self._state.exists():
                    raise SchemaMismatchError(
                        f"collection {self.collection!r} has no BM25 statistics collection {self._state.name!r}"
                    )
                settings = self._state.stored_settings()
                if settings is not None:
                    self.bm25 = _encoder_from_settings(settings, self.bm25)
        else:
            self.client.create_collection(
                self.collection,
                schema=schema.build_schema(
                    self.client, dim=self.dense.dim, builtin_bm25=builtin, analyzer_params=analyzer_params
                ),
                index_params=schema.build_index_params(
                    self.client, builtin_bm25=builtin, dense_index=self._dense_index
                ),
            )
            if self._state is not None:
                self._state.drop()
                self._state.create()
        self.client.load_collection(self.collection)
        if self._state is not None and self.bm25 is not None:
            self.recounted_bm25 = self._state.load(self.bm25, stored_rows=self.count())

    def drop(self) -> None:
        """Delete the collection, its BM25 statistics and all their data."""
        with self._lock:
            if self.client.has_collection(self.collection):
                self.client.drop_collection(self.collection)
            if self._state is not None:
                self._state.drop()

    def close(self) -> None:
        """Flush and close the connection; a Milvus Lite file this store opened is released for other processes."""
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            try:
                self.client.flush(self.collection)
            finally:
                self.client.close()
                if self.is_local and self._owns_client:
                    _release_lite_file(self.uri)

    def __enter__(self) -> HybridStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes
    def add(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
        *,
        batch_size: int = 1024,
        show_progress: bool = False,
    ) -> list[str]:
        """Add or replace documents (an upsert: the same id twice leaves one row).

        Args:
            texts: Document texts.
            metadatas: One JSON-serialisable dict per text (or ``None``).
            ids: One id per text; by default a hash of text and metadata, so re-adding the same
                document changes nothing.
            batch_size: Documents encoded and written per batch.
            show_progress: Show a progress bar.

        Returns:
            The ids, in input order.

        Raises:
            InvalidInputError: On empty texts, mismatched lengths, duplicate ids in the call, or a
                text longer than the collection's text field.
            InvalidTypeError: On non-string texts or ids, or metadata that is not a JSON object.
        """
        docs = self._prepare(texts, metadatas, ids)
        batch_size = check_positive_int(batch_size, what="batch_size")
        bar = progress(len(docs), show_progress, "Indexing", "doc")
        try:
            for start in range(0, len(docs), batch_size):
                batch = docs[start : start + batch_size]
                self._write_batch(batch)
                bar.update(len(batch))
        finally:
            bar.close()
        with self._lock:
            self.client.flush(self.collection)
        return [d.id for d in docs]

    upsert = add

    async def aadd(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """:meth:`add` in a worker thread."""
        return await asyncio.to_thread(self.add, texts, metadatas, ids, **kwargs)

    def _prepare(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None,
        ids: Sequence[str] | None,
    ) -> list[Document]:
        items = check_texts(texts, what="texts")
        n = len(items)
        if metadatas is None:
            metas: list[dict[str, Any]] = [{} for _ in range(n)]
        else:
            if isinstance(metadatas, Mapping) or len(metadatas) != n:
                raise InvalidInputError(f"metadatas must be a list with one entry per text ({n})")
            metas = [_check_metadata(m, i) for i, m in enumerate(metadatas)]
        if ids is None:
            keys = [content_id(t, m) for t, m in zip(items, metas, strict=True)]
        else:
            if isinstance(ids, str) or len(ids) != n:
                raise InvalidInputError(f"ids must be a list with one id per text ({n})")
            keys = [_check_id(i) for i in ids]
        if len(set(keys)) != n:
            seen: set[str] = set()
            dupes = sorted({k for k in keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
            raise InvalidInputError(f"duplicate ids in one call: {dupes[:5]}")
        for i, text in enumerate(items):
            if len(text.encode("utf-8")) > schema.TEXT_MAX_BYTES:
                raise InvalidInputError(
                    f"texts[{i}] is {len(text.encode('utf-8'))} bytes; the limit is {schema.TEXT_MAX_BYTES}: "
                    "split it into chunks"
                )
        return [Document(k, t, m) for k, t, m in zip(keys, items, metas, strict=True)]

    def _write_batch(self, docs: list[Document]) -> None:
        texts = [d.text for d in docs]
        dense = self.dense.encode_documents(texts)
        with self._lock:
            rows: list[dict[str, Any]] = [
                {schema.ID: d.id, schema.TEXT: d.text, schema.METADATA: d.metadata, schema.DENSE: v}
                for d, v in zip(docs, dense, strict=True)
            ]
            if self.bm25 is None or self._state is None:
                self.client.upsert(self.collection, rows)
                return
            bm25, state = self.bm25, self._state
            old = self._stored_analysis([d.id for d in docs])
            analyzed = bm25.analyze(texts, grow=True)
            if old is not None:
                bm25.update(old, remove=True)
            bm25.update(analyzed)
            try:
                sparse = to_dicts(bm25.document_vectors(analyzed))
                for row, vec in zip(rows, sparse, strict=True):
                    row[schema.SPARSE] = vec
                state.save_vocab(bm25, pending=True)
                self.client.upsert(self.collection, rows)
            except BaseException:
                # Undo the counts in memory; the database keeps ``pending`` and recounts on next open.
                bm25.update(analyzed, remove=True)
                if old is not None:
                    bm25.update(old)
                raise
            state.save_stats(bm25)

    def _stored_analysis(self, ids: list[str]) -> AnalyzedBatch | None:
        """Terms of the stored versions of ``ids``, re-derived from their text (the analyzer is fixed)."""
        assert self.bm25 is not None
        found = self.client.get(self.collection, ids=ids, output_fields=[schema.TEXT])
        if not found:
            return None
        return self.bm25.analyze([r[schema.TEXT] for r in found])

    def delete(self, ids: Sequence[str] | None = None, *, filter: Filter | None = None, expr: str | None = None) -> int:
        """Delete documents by id and/or by filter; returns how many were deleted.

        Raises:
            InvalidInputError: If neither ids nor a filter is given.
        """
        if ids is None and not filter and not expr:
            raise InvalidInputError("delete needs ids or a filter; to delete everything use drop()")
        where = combine(compile_filter(filter), expr)
        with self._lock:
            targets: list[str] = []
            if ids is not None:
                if isinstance(ids, str):
                    raise InvalidTypeError("ids must be a list of strings, not a single string")
                targets = [_check_id(i) for i in ids]
                if where:
                    targets = [
                        r[schema.ID] for r in self.client.get(self.collection, ids=targets, output_fields=[schema.ID])
                    ]
            else:
                targets = [r[schema.ID] for r in self._query_all(where, [schema.ID])]
            if not targets:
                return 0
            if self.bm25 is not None and self._state is not None:
                found = self.client.get(self.collection, ids=targets, output_fields=[schema.ID, schema.TEXT])
                if not found:
                    return 0
                old = self.bm25.analyze([r[schema.TEXT] for r in found])
                self._state.save_vocab(self.bm25, pending=True)
                self.client.delete(self.collection, ids=[r[schema.ID] for r in found])
                self.bm25.update(old, remove=True)
                self._state.save_stats(self.bm25)
                deleted = len(found)
            else:
                existing = self.client.get(self.collection, ids=targets, output_fields=[schema.ID])
                self.client.delete(self.collection, ids=[r[schema.ID] for r in existing])
                deleted = len(existing)
            self.client.flush(self.collection)
            return deleted

    def _query_all(self, where: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        try:
            iterator = self.client.query_iterator(self.collection, batch_size=1000, filter=where, output_fields=fields)
        except MilvusException as exc:
            raise FilterError(f"Milvus rejected the filter {where!r}: {exc.message}") from None
        try:
            while batch := iterator.next():
                yield from batch
        finally:
            iterator.close()

    # ------------------------------------------------------------------ reads
    def get(self, ids: Sequence[str]) -> list[Document]:
        """Documents by id, in the order given; unknown ids are skipped."""
        if isinstance(ids, str):
            raise InvalidTypeError("ids must be a list of strings, not a single string")
        keys = [_check_id(i) for i in ids]
        if not keys:
            return []
        rows = {r[schema.ID]: r for r in self.client.get(self.collection, ids=keys, output_fields=_OUTPUT)}
        return [_document(rows[k]) for k in keys if k in rows]

    def count(self) -> int:
        """Number of stored documents."""
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def documents(self, *, filter: Filter | None = None, expr: str | None = None) -> Iterator[Document]:
        """Iterate over stored documents, optionally filtered."""
        for row in self._query_all(combine(compile_filter(filter), expr), _OUTPUT):
            yield _document(row)

    # ------------------------------------------------------------------ search
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mode: SearchMode = "hybrid",
        fetch_k: int | None = None,
        ranker: str | Ranker = "rrf",
        rrf_k: int = 60,
        weights: Sequence[float] | None = None,
        filter: Filter | None = None,
        expr: str | None = None,
        reranker: Reranker | Any | None = None,
        rerank_k: int | None = None,
        fusion: Fusion = "client",
    ) -> list[Hit]:
        """Search with the dense route, the BM25 route, or both fused.

        Args:
            query: The question.
            k: Hits to return.
            mode: ``"dense"``, ``"sparse"`` or ``"hybrid"``.
            fetch_k: Candidates per route before fusion (default ``max(2k, 20)``).
            ranker: ``"rrf"``, ``"weighted"`` or an :class:`RRF` / :class:`Weighted` instance.
            rrf_k: RRF constant when ``ranker="rrf"``.
            weights: Dense and sparse weights when ``ranker="weighted"``.
            filter: Metadata filter (see :mod:`milvus_model_adapters.store.filters`).
            expr: Raw Milvus boolean expression, joined to ``filter`` with ``and``.
            reranker: Reranks the fused candidates (any core reranker or pymilvus-model rerank function).
            rerank_k: How many of the best candidates the reranker reorders (default ``fetch_k``);
                candidates below them keep their order after the reranked ones.
            fusion: ``"client"`` (two searches fused here, per-route scores kept) or ``"server"``
                (Milvus ``hybrid_search``; no per-route scores).

        Returns:
            Up to ``k`` hits, best first.

        Raises:
            InvalidInputError: On an empty query, ``k <= 0``, an unknown mode, ranker or fusion.
            FilterError: On a malformed filter, or one Milvus rejects.
        """
        return self.search_many(
            [query],
            k,
            mode=mode,
            fetch_k=fetch_k,
            ranker=ranker,
            rrf_k=rrf_k,
            weights=weights,
            filter=filter,
            expr=expr,
            reranker=reranker,
            rerank_k=rerank_k,
            fusion=fusion,
        )[0]

    async def asearch(self, query: str, k: int = 10, **kwargs: Any) -> list[Hit]:
        """:meth:`search` in a worker thread, so the event loop is not blocked."""
        return await asyncio.to_thread(self.search, query, k, **kwargs)

    def search_many(
        self,
        queries: Sequence[str],
        k: int = 10,
        *,
        mode: SearchMode = "hybrid",
        fetch_k: int | None = None,
        ranker: str | Ranker = "rrf",
        rrf_k: int = 60,
        weights: Sequence[float] | None = None,
        filter: Filter | None = None,
        expr: str | None = None,
        reranker: Reranker | Any | None = None,
        rerank_k: int | None = None,
        fusion: Fusion = "client",
    ) -> list[list[Hit]]:
        """:meth:`search` for several queries, with one Milvus call per route for all of them."""
        texts = check_texts(queries, what="queries")
        k = check_positive_int(k, what="k")
        if mode not in MODES:
            raise InvalidInputError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        if fusion not in ("client", "server"):
            raise InvalidInputError(f"unknown fusion {fusion!r}; use 'client' or 'server'")
        fetch = check_positive_int(fetch_k, what="fetch_k") if fetch_k is not None else max(2 * k, 20)
        fetch = max(fetch, k)
        rank = make_ranker(ranker, rrf_k=rrf_k, weights=weights)
        if isinstance(rank, Weighted) and mode == "hybrid" and len(rank.weights) != 2:
            raise InvalidInputError(f"weighted fusion takes 2 weights (dense, sparse), got {len(rank.weights)}")
        rr = as_reranker(reranker) if reranker is not None else None
        where = combine(compile_filter(filter), expr)
        pool = check_positive_int(rerank_k, what="rerank_k") if rerank_k is not None else fetch
        depth = k
        if mode == "hybrid":
            depth = fetch
        if rr is not None:
            depth = max(depth, pool)

        keep = max(k, pool) if rr is not None else k  # hits to build: the reranker's pool, else k
        if mode == "hybrid" and fusion == "server":
            results = self._server_hybrid(texts, depth, keep, rank, where)
        else:
            routes: dict[str, list[list[RouteHit]]] = {}
            rows: dict[str, dict[str, Any]] = {}
            if mode == "hybrid":
                # The two searches wait on Milvus, not on Python: run them side by side.
                sparse_future = self._executor().submit(self._route_sparse, texts, depth, where, rows)
                routes["dense"] = self._route_dense(texts, depth, where, rows)
                routes["sparse"] = sparse_future.result()
            elif mode == "dense":
                routes["dense"] = self._route_dense(texts, depth, where, rows)
            else:
                routes["sparse"] = self._route_sparse(texts, depth, where, rows)
            results = [
                self._combine(mode, rank, {r: v[i] for r, v in routes.items()}, rows, keep) for i in range(len(texts))
            ]
        if rr is not None:
            results = [self._rerank(rr, q, hits[:pool]) + hits[pool:] for q, hits in zip(texts, results, strict=True)]
        return [hits[:k] for hits in results]

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mma-search")
        return self._pool

    def _search(self, data: list[Any], field: str, limit: int, where: str, metric: str) -> list[list[dict[str, Any]]]:
        try:
            res = self.client.search(
                self.collection,
                data=data,
                anns_field=field,
                limit=limit,
                filter=where,
                output_fields=_OUTPUT,
                search_params={"metric_type": metric},
            )
        except MilvusException as exc:
            if where:
                raise FilterError(f"Milvus rejected the search filter {where!r}: {exc.message}") from None
            raise
        return [list(r) for r in res]

    def _route_dense(
        self, texts: list[str], limit: int, where: str, rows: dict[str, dict[str, Any]]
    ) -> list[list[RouteHit]]:
        vectors = self.dense.encode_queries(texts)
        if vectors.shape[1] != self.dense.dim:
            raise DimensionMismatchError(f"query vectors have dim {vectors.shape[1]}, the collection {self.dense.dim}")
        return self._collect(self._search(list(vectors), schema.DENSE, limit, where, "IP"), rows, negate=False)

    def _route_sparse(
        self, texts: list[str], limit: int, where: str, rows: dict[str, dict[str, Any]]
    ) -> list[list[RouteHit]]:
        if self.sparse_source == "builtin":
            res = self._search(list(texts), schema.SPARSE, limit, where, "BM25")
            return self._collect(res, rows, negate=True)
        vectors = self._sparse_queries(texts)
        nonempty = [i for i, v in enumerate(vectors) if v]
        out: list[list[RouteHit]] = [[] for _ in texts]
        if nonempty:
            res = self._search([vectors[i] for i in nonempty], schema.SPARSE, limit, where, "IP")
            for i, hits in zip(nonempty, self._collect(res, rows, negate=False), strict=True):
                out[i] = hits
        return out

    def _sparse_queries(self, texts: list[str]) -> list[dict[int, float]]:
        """BM25 query vectors; a query with no known term is ``{}`` and searches nothing."""
        assert self.bm25 is not None
        with self._lock:
            if not self.bm25.is_fitted or self.bm25.corpus_size == 0:
                return [{} for _ in texts]
            return to_dicts(self.bm25.query_vectors(self.bm25.analyze(texts)))

    @staticmethod
    def _collect(
        res: list[list[dict[str, Any]]], rows: dict[str, dict[str, Any]], *, negate: bool
    ) -> list[list[RouteHit]]:
        out = []
        for hits in res:
            route = []
            for rank, hit in enumerate(hits, start=1):
                entity = hit["entity"]
                rows[hit["id"]] = entity
                score = float(hit["distance"])
                # Milvus Lite 3.x returns built-in BM25 distances negated in plain search.
                route.append(RouteHit(hit["id"], abs(score) if negate else score, rank))
            out.append(route)
        return out

    def _combine(
        self, mode: str, rank: Ranker, routes: dict[str, list[RouteHit]], rows: dict[str, dict[str, Any]], limit: int
    ) -> list[Hit]:
        per_route = {name: {h.id: h for h in hits} for name, hits in routes.items()}
        if mode == "hybrid":
            if isinstance(rank, Weighted):
                fused = rank.fuse(routes, kinds={"dense": "ip", "sparse": "bm25"})
            else:
                fused = rank.fuse(routes)
            ids = order(fused, routes)
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
                    metadata=dict(row.get(schema.METADATA) or {}),
                    score=fused[doc_id],
                    dense_score=d.score if d else None,
                    dense_rank=d.rank if d else None,
                    sparse_score=s.score if s else None,
                    sparse_rank=s.rank if s else None,
                    fused_score=fused[doc_id] if mode == "hybrid" else None,
                )
            )
        return hits

    def _server_hybrid(self, texts: list[str], depth: int, limit: int, rank: Ranker, where: str) -> list[list[Hit]]:
        dense = list(self.dense.encode_queries(texts))
        if self.sparse_source == "builtin":
            sparse_data: list[Any] = list(texts)
            metric = "BM25"
        else:
            sparse_data = self._sparse_queries(texts)
            metric = "IP"
        requests = [
            AnnSearchRequest(dense, schema.DENSE, {"metric_type": "IP"}, depth, expr=where or None),
            AnnSearchRequest(sparse_data, schema.SPARSE, {"metric_type": metric}, depth, expr=where or None),
        ]
        ranker = RRFRanker(rank.k) if isinstance(rank, RRF) else WeightedRanker(*rank.weights)
        try:
            res = self.client.hybrid_search(self.collection, requests, ranker, limit=limit, output_fields=_OUTPUT)
        except MilvusException as exc:
            if where:
                raise FilterError(f"Milvus rejected the search filter {where!r}: {exc.message}") from None
            raise
        return [
            [
                Hit(
                    id=h["id"],
                    text=h["entity"].get(schema.TEXT, ""),
                    metadata=dict(h["entity"].get(schema.METADATA) or {}),
                    score=float(h["distance"]),
                    fused_score=float(h["distance"]),
                )
                for h in hits
            ]
            for hits in res
        ]

    @staticmethod
    def _rerank(reranker: Reranker, query: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return []
        ranked = reranker.rerank(query, [h.text or " " for h in hits])
        out = []
        for r in ranked:
            h = hits[r.index]
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
                )
            )
        return out

    # ------------------------------------------------------------------ BM25 maintenance
    def bm25_stats(self) -> dict[str, float | int]:
        """Corpus size, vocabulary size and average document length of client-side BM25."""
        if self.bm25 is None:
            raise InvalidInputError("this store uses Milvus's built-in BM25; its statistics live in Milvus")
        return {"corpus_size": self.bm25.corpus_size, "vocabulary": self.bm25.dim, "avgdl": self.bm25.avgdl}

    def refresh_bm25(self, *, batch_size: int = 500, show_progress: bool = False) -> int:
        """Re-encode every stored sparse vector at the current average document length.

        IDF is always current (it is applied to the query), but each document's length
        normalisation uses the average length at the time it was written. After the corpus has
        grown or changed a lot, this brings every document to the current average, so scores equal
        those of a BM25 fitted on the whole corpus at once. Dense vectors are not recomputed.

        Returns:
            Number of documents re-encoded.
        """
        if self.bm25 is None:
            raise InvalidInputError("this store uses Milvus's built-in BM25, which needs no refresh")
        fields = [schema.ID, schema.TEXT, schema.METADATA, schema.DENSE]
        done = 0
        with self._lock:
            bar = progress(self.count(), show_progress, "Re-encoding BM25", "doc")
            pending: list[dict[str, Any]] = []
            try:
                for row in self._query_all("", fields):
                    pending.append(row)
                    if len(pending) >= batch_size:
                        done += self._reencode(pending)
                        bar.update(len(pending))
                        pending = []
                if pending:
                    done += self._reencode(pending)
                    bar.update(len(pending))
            finally:
                bar.close()
            self.client.flush(self.collection)
        return done

    def _reencode(self, rows: list[dict[str, Any]]) -> int:
        assert self.bm25 is not None
        analyzed = self.bm25.analyze([r[schema.TEXT] for r in rows])
        vectors = to_dicts(self.bm25.document_vectors(analyzed))
        new = [
            {
                schema.ID: r[schema.ID],
                schema.TEXT: r[schema.TEXT],
                schema.METADATA: r[schema.METADATA],
                schema.DENSE: list(r[schema.DENSE]),
                schema.SPARSE: v,
            }
            for r, v in zip(rows, vectors, strict=True)
        ]
        self.client.upsert(self.collection, new)
        return len(new)

    def __repr__(self) -> str:
        return (
            f"HybridStore(uri={self.uri!r}, collection={self.collection!r}, "
            f"sparse={self.sparse_source!r}, dense={self.dense!r})"
        )


# ---------------------------------------------------------------------- helpers
def _connect(uri: str, *, token: str | None, db_name: str | None) -> MilvusClient:
    kwargs: dict[str, Any] = {"uri": uri}
    if token:
        kwargs["token"] = token
    if db_name:
        kwargs["db_name"] = db_name
    if is_local_uri(uri):
        parent = os.path.dirname(os.path.abspath(uri))
        if not os.path.isdir(parent):
            raise InvalidInputError(f"directory for the Milvus Lite file does not exist: {parent}")
    try:
        return MilvusClient(**kwargs)
    except Exception as exc:  # pymilvus raises several types for a failed local start
        text = str(exc)
        if is_local_uri(uri) and ("lock" in text.lower() or "Open local milvus failed" in text):
            raise StoreLockedError(
                f"the Milvus Lite database {uri!r} is open in another process; Milvus Lite allows one process per "
                "file. Close it there, or serve the file with a Milvus server and connect by http:// address."
            ) from None
        raise


def _release_lite_file(uri: str) -> None:
    """Stop the embedded Milvus Lite 2.5 server of ``uri`` (``MilvusClient.close`` leaves it running)."""
    try:
        from milvus_lite.server_manager import server_manager_instance
    except ImportError:  # Milvus Lite 3.x keeps no per-file server
        return
    path = os.path.realpath(os.path.abspath(uri))
    if path in getattr(server_manager_instance, "_servers", {}):
        server_manager_instance.release_server(path)


def _encoder_from_settings(settings: Mapping[str, Any], current: BM25Encoder) -> BM25Encoder:
    analyzer: TextAnalyzer = current.analyzer
    config = settings.get("analyzer")
    if isinstance(config, dict):
        analyzer = Analyzer.from_config(config)
    return BM25Encoder(analyzer, k1=float(settings["k1"]), b=float(settings["b"]), epsilon=float(settings["epsilon"]))


def _check_metadata(meta: Any, i: int) -> dict[str, Any]:
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise InvalidTypeError(f"metadatas[{i}] must be a dict, got {type(meta).__name__}")
    out = dict(meta)
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"metadatas[{i}] is not JSON-serialisable ({exc})") from None
    return out


def _check_id(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidTypeError(f"ids must be strings, got {type(value).__name__}")
    if not value or len(value.encode("utf-8")) > schema.ID_MAX_LENGTH:
        raise InvalidInputError(f"ids must be 1 to {schema.ID_MAX_LENGTH} bytes, got {len(value.encode('utf-8'))}")
    return value


def _document(row: Mapping[str, Any]) -> Document:
    return Document(
        id=str(row[schema.ID]),
        text=str(row.get(schema.TEXT, "")),
        metadata=dict(row.get(schema.METADATA) or {}),
    )
