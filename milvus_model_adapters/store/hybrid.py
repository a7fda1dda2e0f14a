"""Dense + sparse hybrid search over one Milvus collection: Milvus Lite file or Milvus server."""

from __future__ import annotations

import asyncio
import copy
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pymilvus import MilvusClient

from milvus_model_adapters._progress import progress
from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.encoders.dense import DenseEncoder, DenseSource, as_dense_encoder
from milvus_model_adapters.encoders.shared_pass import split
from milvus_model_adapters.encoders.sparse import SparseFunction
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import documents, indexes, schema, tenants
from milvus_model_adapters.store.connection import connect, disconnect, is_local_uri, milvus_errors
from milvus_model_adapters.store.engine import Engine, detect
from milvus_model_adapters.store.filters import Filter, combine
from milvus_model_adapters.store.reads import DocumentReads
from milvus_model_adapters.store.routes.base import SparseRoute
from milvus_model_adapters.store.routes.factory import sparse_route
from milvus_model_adapters.store.search.coalesce import Coalescer
from milvus_model_adapters.store.search.methods import SearchMethods
from milvus_model_adapters.store.search.params import SearchParams
from milvus_model_adapters.store.search.runner import Searcher
from milvus_model_adapters.store.types import Document
from milvus_model_adapters.store.upkeep import BM25Upkeep
from milvus_model_adapters.text.analyzer import TextAnalyzer

SparseSource = Literal["bm25", "builtin"]
"""The sparse sources named by a string: this package's BM25 (``"bm25"``) or Milvus's BM25 function (``"builtin"``)."""


class HybridStore(BM25Upkeep, DocumentReads, SearchMethods):
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
        sparse: SparseSource | SparseRoute | SparseFunction = "bm25",
        analyzer: TextAnalyzer | None = None,
        k1: float = 1.5,
        b: float = 0.75,
        token: str | None = None,
        db_name: str | None = None,
        dense_index: Mapping[str, Any] | None = None,
        sparse_index: Mapping[str, Any] | None = None,
        drop_existing: bool = False,
        client: MilvusClient | None = None,
        builtin_analyzer_params: Mapping[str, Any] | None = None,
        search_params: SearchParams | None = None,
        tenant_field: str | None = None,
    ) -> None:
        """Open (or create) a collection.

        Args:
            uri: Milvus Lite file path, or a Milvus server address such as ``http://localhost:19530``.
            collection: Collection name.
            dense: A ``DenseEncoder``, any pymilvus-model dense function, or ``None`` for the
                embedded default (all-MiniLM-L6-v2, offline).
            sparse: ``"bm25"`` for client-side BM25 (this package's encoder, statistics kept in the
                database and updated incrementally), ``"builtin"`` for Milvus's BM25 function, a learned
                sparse function (SPLADE, BGE-M3; see ``LearnedSparse``), or a ``SparseRoute``. The
                same multi-output function as ``dense`` (BGE-M3) computes both routes in one pass per batch.
            analyzer: Text analyzer for client-side BM25 (default: English). Ignored when reopening,
                where the stored analyzer settings are used.
            k1: BM25 ``k1`` for a new collection.
            b: BM25 ``b`` for a new collection.
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
            client: An existing ``MilvusClient`` to use instead of opening one.
            builtin_analyzer_params: Milvus analyzer parameters for ``sparse="builtin"``.
            search_params: Defaults of ``search`` (see ``SearchParams``).
            tenant_field: Keep a tenant on every row in a field of this name (a new collection's; see
                ``milvus_model_adapters.store.tenants``): every read and write then goes through
                ``for_tenant`` (or a search's ``tenant=``), and a call without a tenant is a ``TenantRequiredError``.

        Raises:
            SchemaMismatchError: If the collection exists with another schema or dimension.
            StoreLockedError: If another process holds the Milvus Lite file.
        """
        if not isinstance(collection, str) or not collection.replace("_", "a").isalnum() or collection[0].isdigit():
            raise InvalidInputError(f"invalid collection name {collection!r}: use letters, digits and '_'")
        if dense is not None and dense is sparse:  # one model for both routes (BGE-M3): one pass per batch
            dense_half, sparse = split(dense)
            dense = DenseEncoder(dense_half, batches_itself=True)
        self.sparse = sparse_route(
            sparse, analyzer=analyzer, k1=k1, b=b, builtin_analyzer_params=builtin_analyzer_params
        )
        self.search_params = search_params if search_params is not None else SearchParams()
        self.tenant_field = tenants.check_tenant_field(tenant_field) if tenant_field is not None else None
        self.tenant: str | None = None
        """The tenant of a view (``for_tenant``); ``None`` for the store itself."""
        self.uri = os.fspath(uri)
        self.collection = collection
        self.is_local = is_local_uri(self.uri)
        self._lock = threading.RLock()
        # Connect before loading a model, so a locked or unreachable database fails fast.
        self._owns_client = client is None
        self.client = client if client is not None else connect(self.uri, token=token, db_name=db_name)
        self._set_up(dense, dense_index, sparse_index, drop_existing)

    def _set_up(
        self,
        dense: DenseSource | None,
        dense_index: Mapping[str, Any] | None,
        sparse_index: Mapping[str, Any] | None,
        drop_existing: bool,
    ) -> None:
        """Load the model, check the index choices against the engine, then open (or create) the collection."""
        collection = self.collection
        self.dense = as_dense_encoder(dense)
        self._dense_index = dict(dense_index or indexes.DEFAULT_DENSE_INDEX)
        self.engine = detect(self.client, local=self.is_local)
        """The engine (Milvus Lite 2.5, Milvus Lite 3 or a server) and what it can do."""
        self._sparse_index = indexes.sparse_index(
            sparse_index, engine=self.engine, builtin_bm25=self.sparse.builtin_function
        )
        self.sparse.attach(self.client, collection, local=self.is_local)
        self.sparse.carried = (self.tenant_field,) if self.tenant_field else ()
        self._searcher = Searcher(self.client, collection, self.dense, self.sparse, self._lock, self.engine)
        searcher = self._searcher
        self._coalescer = Coalescer(lambda texts, p, vectors, scope: searcher.run(texts, p, vectors, scope=scope))
        if drop_existing:
            self.drop()
        with milvus_errors(f"open collection {collection!r}"):
            self._open_collection()
            self.sparse.open(self._count_all())

    def _open_collection(self) -> None:
        """Check an existing collection against this store's schema, or create it; then load it.

        Raises:
            SchemaMismatchError: If the collection exists with another schema or dimension.
        """
        client, name, builtin = self.client, self.collection, self.sparse.builtin_function
        if client.has_collection(name):
            schema.check_schema(
                client.describe_collection(name),
                name=name,
                dim=self.dense.dim,
                builtin_bm25=builtin,
                tenant_field=self.tenant_field,
            )
            self.sparse.check_existing()
        else:
            partition_key = tenants.uses_partition_key(self.engine)
            client.create_collection(
                name,
                schema=schema.build_schema(
                    client,
                    dim=self.dense.dim,
                    builtin_bm25=builtin,
                    analyzer_params=self.sparse.analyzer_params,
                    tenant_field=self.tenant_field,
                    partition_key=partition_key,
                ),
                index_params=schema.build_index_params(
                    client,
                    dense_index=self._dense_index,
                    sparse_index=self._sparse_index,
                    tenant_field=None if partition_key else self.tenant_field,
                ),
            )
            self.sparse.create()
        client.load_collection(name)

    def drop(self) -> None:
        """Delete the collection, what its sparse source keeps beside it, and all their data."""
        with self._lock, milvus_errors(f"drop collection {self.collection!r}"):
            if self.client.has_collection(self.collection):
                self.client.drop_collection(self.collection)
            self.sparse.drop()

    def for_tenant(self, tenant: str) -> HybridStore:
        """A view of this store that reads and writes ``tenant``'s documents only.

        The view shares the store's connection, model and statistics; closing it leaves the store open.

        Raises:
            InvalidInputError: If the store keeps no tenants, or ``tenant`` is not a valid tenant.
        """
        if self.tenant_field is None:
            raise InvalidInputError("this store keeps no tenants: open it with tenant_field=... to use them")
        view = copy.copy(self)
        view.tenant = tenants.check_tenant(tenant)
        view._is_view = True
        return view

    @property
    def dialect(self) -> Engine:
        """The former name of ``engine``."""
        return self.engine

    def close(self) -> None:
        """Flush and close; a Lite file is released for other processes (a ``client=`` given stays open)."""
        if self._is_view:
            return
        with self._lock:
            try:
                with milvus_errors("flush before closing"):
                    self.client.flush(self.collection)
            finally:
                if self._owns_client:
                    disconnect(self.client, self.uri)

    _is_view = False

    def __enter__(self) -> HybridStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes
    def add(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str | None] | None = None,
        *,
        embeddings: Sequence[Sequence[float]] | None = None,
        dedupe: bool = True,
        batch_size: int = 1024,
        show_progress: bool = False,
    ) -> list[str]:
        """Add or replace documents (an upsert: the same id twice leaves one row).

        Args:
            texts: Document texts.
            metadatas: One JSON-serialisable dict per text (or ``None``).
            ids: One id per text; a missing id (no list, or ``None`` in it) is a hash of text and
                metadata, so re-adding the same document changes nothing. An id repeated in one call
                for the same document is one row; for two different documents it is refused.
            embeddings: Dense vectors computed elsewhere with the store's model, one per text
                (default: the store encodes the texts).
            dedupe: ``False`` gives each text without an id a new random id, so the same text added
                twice is two rows (as ``langchain_milvus.Milvus`` does).
            batch_size: Documents encoded and written per batch.
            show_progress: Show a progress bar.

        Returns:
            The id of every text, in input order.

        Raises:
            InvalidInputError: On empty texts, mismatched lengths, a text longer than the text field, or
                one id given to two different documents; nothing is written.
            InvalidTypeError: On non-string texts or ids, or metadata that is not a JSON object Milvus stores.
            DimensionMismatchError: If an embedding does not have the dimension of the collection.
        """
        scope = self._scope()
        docs, keys = documents.prepare(
            texts, metadatas, ids, embeddings, dim=self.dense.dim, dedupe=dedupe, namespace=self.tenant
        )
        batch_size = check_positive_int(batch_size, what="batch_size")
        self.sparse.check_documents([d.metadata for d in docs])
        if scope:
            self._refuse_other_tenants_ids([d.id for d in docs])
        bar = progress(len(docs), show_progress, "Indexing", "doc")
        try:
            for start in range(0, len(docs), batch_size):
                batch = docs[start : start + batch_size]
                self._write_batch(batch)
                bar.update(len(batch))
        finally:
            bar.close()
        with self._lock, milvus_errors("flush the written documents"):
            self.client.flush(self.collection)
        return keys

    upsert = add

    async def aadd(self, texts: Sequence[str], *args: Any, **kwargs: Any) -> list[str]:
        """``add`` in a worker thread."""
        return await asyncio.to_thread(self.add, texts, *args, **kwargs)

    def _refuse_other_tenants_ids(self, ids: list[str]) -> None:
        """Refuse ids another tenant's documents hold: writing them would replace those documents."""
        assert self.tenant_field is not None and self.tenant is not None
        for start in range(0, len(ids), 1000):
            with milvus_errors("check the ids of the documents"):
                rows = self.client.get(
                    self.collection, ids=ids[start : start + 1000], output_fields=[self.tenant_field]
                )
            taken = sorted(r[schema.ID] for r in rows if r[self.tenant_field] != self.tenant)
            if taken:
                raise InvalidInputError(
                    f"ids {', '.join(map(repr, taken[:5]))} are another tenant's in this collection; "
                    "give these documents other ids (nothing was written)"
                )

    def _write_batch(self, docs: list[Document]) -> None:
        given = [d.embedding for d in docs]
        dense = self.dense.encode_documents([d.text for d in docs]) if None in given else given
        rows: list[dict[str, Any]] = [
            {schema.ID: d.id, schema.TEXT: d.text, schema.METADATA: d.metadata, schema.DENSE: v}
            for d, v in zip(docs, dense, strict=True)
        ]
        if self.tenant_field is not None:
            for row in rows:
                row[self.tenant_field] = self.tenant
        with self._lock, milvus_errors("write documents"):
            self.sparse.write(rows)

    def delete(self, ids: Sequence[str] | None = None, *, filter: Filter | None = None, expr: str | None = None) -> int:
        """Delete documents by id and/or by filter; returns how many were deleted.

        Raises:
            InvalidInputError: If neither ids nor a filter is given.
        """
        if ids is None and not filter and not expr:
            raise InvalidInputError("delete needs ids or a filter; to delete everything use drop()")
        where = self._where(filter, expr)
        targets = documents.check_ids(ids) if ids is not None else None
        with self._lock, milvus_errors("delete documents", where=where):
            if targets is None:
                targets = [r[schema.ID] for r in self._query(where, [schema.ID], "delete documents")]
            elif where and targets:
                among = documents.ids_expression(targets)
                targets = [r[schema.ID] for r in self._query(combine(among, where), [schema.ID], "delete documents")]
            if not targets:
                return 0
            deleted = self.sparse.delete(targets)
            self.client.flush(self.collection)
            return deleted

    def clear(self) -> int:
        """Delete every document; the collection and its settings stay. Returns how many were deleted."""
        return self.delete(expr=f"{schema.ID} != ''")

    def __repr__(self) -> str:
        return (
            f"HybridStore(uri={self.uri!r}, collection={self.collection!r}, "
            f"sparse={self.sparse!r}, dense={self.dense!r}"
            + (f", tenant_field={self.tenant_field!r}" if self.tenant_field else "")
            + (f", tenant={self.tenant!r}" if self.tenant else "")
            + ")"
        )
