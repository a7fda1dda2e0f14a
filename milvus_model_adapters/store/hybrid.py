"""Dense + sparse hybrid search over one Milvus collection: Milvus Lite file or Milvus server.

``HybridStore`` is the package's store class: a ``DocumentStore`` (``document_store``: encoding, writes, BM25
upkeep) over a ``Collection`` (``collection``: connection, engine, tenants, reads), with the searches, which a
``Searcher`` runs (``search.runner``). Its async searches run the same steps (``steps``) with pymilvus's
``AsyncMilvusClient`` on a served engine (``aio``), and in a worker thread on a Milvus Lite file.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Unpack

from pymilvus import MilvusClient

from milvus_model_adapters._validate import check_positive_int, check_texts
from milvus_model_adapters.encoders.dense import DenseEncoder, DenseSource
from milvus_model_adapters.encoders.shared_pass import split
from milvus_model_adapters.encoders.sparse import SparseFunction
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.rerank.local import CosineReranker
from milvus_model_adapters.store import documents, steps
from milvus_model_adapters.store.document_store import DocumentStore
from milvus_model_adapters.store.fields import FieldsSpec, MetadataFields
from milvus_model_adapters.store.search.coalesce import Coalescer
from milvus_model_adapters.store.search.params import MAX_TOP_K, SearchOptions, SearchParams
from milvus_model_adapters.store.search.runner import Searcher
from milvus_model_adapters.store.sparse.base import SparseSource
from milvus_model_adapters.store.sparse.factory import sparse_source
from milvus_model_adapters.store.types import Hit, Hits
from milvus_model_adapters.text.analyzer import TextAnalyzer

SparseName = Literal["bm25", "builtin"]
"""The sparse sources named by a string: this package's BM25 (``"bm25"``) or Milvus's BM25 function (``"builtin"``)."""

_DEPRECATED_BM25 = (
    "HybridStore's {} arguments are deprecated and will be removed in 0.4: pass "
    "sparse=ClientBM25(analyzer, k1=..., b=...) or sparse=BuiltinBM25(analyzer_params) instead"
)


class HybridStore(DocumentStore):
    """Documents with dense and sparse (BM25) vectors in one Milvus collection, searched by either or both.

    ``uri`` decides where the collection lives: a file path opens Milvus Lite (embedded), an
    ``http://host:port`` address a Milvus server or cluster; the code is the same.

    Examples:
        >>> store = HybridStore("./rag.db")                      # MiniLM + offline BM25
        >>> store.add(["Milvus Lite keeps vectors in a local file."], metadatas=[{"src": "doc"}])
        >>> hits = store.search("where are vectors kept?", k=3)  # hybrid
    """

    def __init__(
        self,
        uri: str | os.PathLike[str] = "./milvus.db",
        collection: str = "documents",
        *,
        dense: DenseSource | None = None,
        sparse: SparseName | SparseSource | SparseFunction = "bm25",
        analyzer: TextAnalyzer | None = None,
        k1: float | None = None,
        b: float | None = None,
        token: str | None = None,
        db_name: str | None = None,
        dense_index: Mapping[str, Any] | None = None,
        sparse_index: Mapping[str, Any] | None = None,
        drop_existing: bool = False,
        client: MilvusClient | None = None,
        builtin_analyzer_params: Mapping[str, Any] | None = None,
        search_params: SearchParams | None = None,
        tenant_field: str | None = None,
        fields: FieldsSpec | MetadataFields | None = None,
    ) -> None:
        """Open (or create) a collection.

        Args:
            uri: Milvus Lite file path, or a Milvus server address such as ``http://localhost:19530``.
            collection: Collection name.
            dense: A ``DenseEncoder``, any pymilvus-model dense function, or ``None`` for the
                embedded default (all-MiniLM-L6-v2, offline).
            sparse: Where the sparse vectors come from: ``"bm25"`` (the default) or ``ClientBM25(analyzer,
                k1=..., b=...)`` for client-side BM25 (this package's encoder, statistics kept in the database
                and updated incrementally; an existing collection keeps its stored settings), ``"builtin"`` or
                ``BuiltinBM25(analyzer_params)`` for Milvus's BM25 function, a learned sparse function (SPLADE,
                BGE-M3; see ``LearnedSparse``), or any ``SparseSource``. The same multi-output function as
                ``dense`` (BGE-M3) computes both in one pass per batch.
            analyzer: Deprecated: ``sparse=ClientBM25(analyzer)``.
            k1: Deprecated: ``sparse=ClientBM25(k1=...)``.
            b: Deprecated: ``sparse=ClientBM25(b=...)``.
            token: Server credentials (``"user:password"`` or an API key).
            db_name: Server database name.
            dense_index: Index parameters for the dense field (a new collection's);
                ``DEFAULT_DENSE_INDEX``, exact search, by default.
                Approximate indexes are a choice: ``{"index_type": "HNSW", "metric_type": "IP", "params":
                {"M": 16, "efConstruction": 200}}`` on Milvus Lite 3 and servers, ``IVF_FLAT`` on Lite 2.5 too.
            sparse_index: The sparse field's index (a new collection's): ``{"index_type":
                "SPARSE_INVERTED_INDEX" | "SPARSE_WAND", "params": {"inverted_index_algo": ...,
                "drop_ratio_build": ...}}``; ``DEFAULT_SPARSE_INDEX`` (exact) by default. Checked against the
                engine before anything is written.
            drop_existing: Delete an existing collection of this name, and its data, first.
            client: An existing ``MilvusClient`` to use instead of opening one (the async methods then run
                the blocking ones in a worker thread).
            builtin_analyzer_params: Deprecated: ``sparse=BuiltinBM25(analyzer_params)``.
            search_params: Defaults of ``search`` (see ``SearchParams``).
            tenant_field: Keep a tenant on every row in a field of this name (a new collection's; see
                ``milvus_model_adapters.store.tenants``): every read and write then goes through
                ``for_tenant`` (or a search's ``tenant=``), and a call without a tenant is a ``TenantRequiredError``.
            fields: Typed metadata columns of a new collection: metadata key -> ``"int64"``, ``"double"``,
                ``"varchar"``, ``"bool"``, ``"array<varchar>"`` ... or a ``MetadataField`` (see
                ``milvus_model_adapters.store.fields``; ``infer_fields`` proposes them from a first batch). Every
                other key stays in the JSON field. An existing collection keeps its own columns: ``fields``, if
                given, must match them.

        Raises:
            SchemaMismatchError: If the collection exists with another schema or dimension, or other columns.
            StoreLockedError: If another process holds the Milvus Lite file.
        """
        if dense is not None and dense is sparse:  # one model for both (BGE-M3): one pass per batch
            dense_half, sparse = split(dense)
            dense = DenseEncoder(dense_half, batches_itself=True)
        bm25_options = {"analyzer": analyzer, "k1": k1, "b": b, "builtin_analyzer_params": builtin_analyzer_params}
        given = {name: value for name, value in bm25_options.items() if value is not None}
        if given:
            warnings.warn(_DEPRECATED_BM25.format(", ".join(given)), DeprecationWarning, stacklevel=2)
        source = sparse_source(
            sparse,
            analyzer=analyzer,
            k1=1.5 if k1 is None else k1,
            b=0.75 if b is None else b,
            builtin_analyzer_params=builtin_analyzer_params,
        )
        self.search_params = search_params if search_params is not None else SearchParams()
        """The defaults of ``search``."""
        super().__init__(
            uri,
            collection,
            dense=dense,
            sparse=source,
            token=token,
            db_name=db_name,
            dense_index=dense_index,
            sparse_index=sparse_index,
            drop_existing=drop_existing,
            client=client,
            tenant_field=tenant_field,
            fields=fields,
        )
        self._searcher = Searcher(
            self.client,
            self.collection,
            self.dense,
            self.sparse,
            self._lock,
            self.engine,
            self._async_client,
            fields=self.fields,
        )
        searcher = self._searcher
        self._coalescer = Coalescer(lambda texts, p, vectors, scope: searcher.arun(texts, p, vectors, scope=scope))

    # ------------------------------------------------------------------ searches
    def search(
        self,
        query: str,
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        vector: Sequence[float] | None = None,
        **options: Unpack[SearchOptions],
    ) -> Hits:
        """Search with the dense route, the sparse route, or both fused.

        Args:
            query: The question.
            k: Hits to return (a shorthand for ``k=`` in ``options``).
            params: The search settings; ``search_params`` (the store's defaults) if ``None``.
            vector: The query's dense vector, if computed elsewhere with the store's model.
            **options: Settings that override ``params``: ``k``, ``mode``, ``fetch_k``, ``ranker``,
                ``offset``, ``rrf_k``, ``weights``, ``filter``, ``expr``, ``reranker``, ``rerank_k``, ``fusion``,
                ``group_by``, ``group_size``, the ranking controls (``min_dense_score``, ``min_sparse_score``,
                ``min_relevance``, ``boost``, ``decay``, ``highlight``) and the engine's knobs (see
                ``SearchParams``).

        Returns:
            Up to ``k`` hits, best first; with ``group_by``, up to ``k`` groups of up to ``group_size``
            hits each, one group after the other. A ``Hits`` list: ``why_empty`` says why it is empty.

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
    ) -> Hits:
        """``search``, without blocking the event loop; concurrent calls share Milvus calls.

        Searches with equal settings that are waiting at the same time go to Milvus together, one call per
        route for all of them (``search_many``), in a worker thread; each gets the hits it gets alone.
        Bad input raises here, before anything is sent.
        """
        text = check_texts([query], what="queries")[0]
        given = None if vector is None else documents.check_query_vectors([vector], self.dense.dim)[0]
        p = self._params(k, params, options)
        return _hits(await self._coalescer.search(text, p, given, self._scope(p.tenant)))

    def search_many(
        self,
        queries: Sequence[str],
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        vectors: Sequence[Sequence[float]] | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[Hits]:
        """``search`` for several queries, with one Milvus call per route for all of them.

        ``vectors``, if given, are the queries' dense vectors, computed elsewhere with the store's model.
        """
        texts, given = self._queries(queries, vectors)
        p = self._params(k, params, options)
        return [_hits(hits) for hits in self._searcher.run(texts, p, given, scope=self._scope(p.tenant))]

    async def asearch_many(
        self,
        queries: Sequence[str],
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        vectors: Sequence[Sequence[float]] | None = None,
        **options: Unpack[SearchOptions],
    ) -> list[Hits]:
        """``search_many`` without blocking the event loop (Milvus's calls async on a served engine)."""
        texts, given = self._queries(queries, vectors)
        p = self._params(k, params, options)
        return [_hits(hits) for hits in await self._searcher.arun(texts, p, given, scope=self._scope(p.tenant))]

    def search_by_vector(
        self,
        vector: Sequence[float],
        k: int | None = None,
        /,
        *,
        params: SearchParams | None = None,
        **options: Unpack[SearchOptions],
    ) -> Hits:
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
        return _hits(self._searcher.run([""], p, vectors, scope=self._scope(p.tenant))[0])

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
            found = self._searcher.mmr(texts, p, candidates, float(lambda_mult), scope=scope)
        else:
            vectors = documents.check_query_vectors([query], self.dense.dim)
            found = self._searcher.mmr(
                [""], p.replace(mode="dense"), candidates, float(lambda_mult), vectors, scope=scope
            )
        return _hits(steps.run(found, self.client)[0])

    def _queries(self, queries: Sequence[str], vectors: Sequence[Sequence[float]] | None) -> tuple[list[str], Any]:
        """Checked queries, and their checked dense vectors (``None`` when not given)."""
        texts = check_texts(queries, what="queries")
        given = None if vectors is None else documents.check_query_vectors(vectors, self.dense.dim)
        if given is not None and len(given) != len(texts):
            raise InvalidInputError(f"{len(given)} vectors for {len(texts)} queries")
        return texts, given

    def _params(self, k: int | None, params: SearchParams | None, options: SearchOptions) -> SearchParams:
        if k is not None:
            options["k"] = k
        return (params if params is not None else self.search_params).replace(**options)

    def __repr__(self) -> str:
        return (
            f"HybridStore(uri={self.uri!r}, collection={self.collection!r}, "
            f"sparse={self.sparse!r}, dense={self.dense!r}"
            + (f", tenant_field={self.tenant_field!r}" if self.tenant_field else "")
            + (f", tenant={self.tenant!r}" if self.tenant else "")
            + ")"
        )


def _hits(found: list[Hit]) -> Hits:
    """``found`` as the ``Hits`` the searches return (every search path builds one; MMR's picks a list)."""
    return found if isinstance(found, Hits) else Hits(found)
