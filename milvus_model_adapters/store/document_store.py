"""A collection of documents with their dense and sparse vectors: written, deleted, and its BM25 kept right.

``DocumentStore`` is the part of ``HybridStore`` that writes: it encodes documents, leaves the sparse column to
its ``SparseSource`` and the rows to a ``RowWriter`` (``writes``), opens the collection (``opening``) and keeps
client-side BM25 statistics right. ``HybridStore`` adds the searches. Its async writes run the same steps
(``steps``) with pymilvus's ``AsyncMilvusClient`` on a served engine, in a worker thread on a Milvus Lite file.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypedDict, Unpack

from pymilvus import MilvusClient

from milvus_model_adapters._progress import progress
from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.encoders.dense import DenseSource, as_dense_encoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import documents, indexes, schema, steps, tenants
from milvus_model_adapters.store.collection import Collection
from milvus_model_adapters.store.connection import milvus_errors, query_all
from milvus_model_adapters.store.fields import FieldsSpec, MetadataFields
from milvus_model_adapters.store.filters import Filter, combine
from milvus_model_adapters.store.opening import open_collection
from milvus_model_adapters.store.sparse.base import SparseSource
from milvus_model_adapters.store.types import Document
from milvus_model_adapters.store.writes import RowWriter


class AddOptions(TypedDict, total=False):
    """The keyword options of ``add`` and ``aadd``."""

    embeddings: Sequence[Sequence[float]] | None
    dedupe: bool
    batch_size: int
    show_progress: bool


class DocumentStore(Collection):
    """Documents with dense and sparse vectors in one Milvus collection: written, read and deleted."""

    def __init__(
        self,
        uri: str | os.PathLike[str],
        collection: str,
        *,
        dense: DenseSource | None,
        sparse: SparseSource,
        token: str | None = None,
        db_name: str | None = None,
        dense_index: Mapping[str, Any] | None = None,
        sparse_index: Mapping[str, Any] | None = None,
        drop_existing: bool = False,
        client: MilvusClient | None = None,
        tenant_field: str | None = None,
        fields: FieldsSpec | MetadataFields | None = None,
    ) -> None:
        """Connect, load the dense model, then open (or create) the collection; the arguments are ``HybridStore``'s.

        Raises:
            SchemaMismatchError: If the collection exists with another schema or dimension.
            StoreLockedError: If another process holds the Milvus Lite file.
        """
        self.sparse = sparse
        """Where the store's sparse vectors come from (``ClientBM25``, ``BuiltinBM25``, ``LearnedSparse``)."""
        # Connect before loading a model, so a locked or unreachable database fails fast.
        super().__init__(uri, collection, token=token, db_name=db_name, client=client, tenant_field=tenant_field)
        reserved = sorted({*schema.STORE_FIELDS, *([self.tenant_field] if self.tenant_field else [])})
        declared = _declared(fields, reserved)
        self._set_up(dense, dense_index, sparse_index, drop_existing, declared)

    def _set_up(
        self,
        dense: DenseSource | None,
        dense_index: Mapping[str, Any] | None,
        sparse_index: Mapping[str, Any] | None,
        drop_existing: bool,
        fields: MetadataFields,
    ) -> None:
        """Load the model, check the index choices against the engine, then open (or create) the collection."""
        self.dense = as_dense_encoder(dense)
        """The dense encoder (``DenseEncoder``) of documents and queries."""
        dense_index = dict(dense_index or indexes.DEFAULT_DENSE_INDEX)
        sparse_index = indexes.sparse_index(sparse_index, engine=self.engine, builtin_bm25=self.sparse.builtin_function)
        self.sparse.attach(self.client, self.collection, local=self.is_local)
        self._writer = RowWriter(self.collection, self.sparse, self._lock, local=self.is_local)
        if drop_existing:
            self.drop()
        with milvus_errors(f"open collection {self.collection!r}"):
            self.fields = open_collection(
                self.client,
                self.collection,
                dim=self.dense.dim,
                sparse=self.sparse,
                engine=self.engine,
                tenant_field=self.tenant_field,
                dense_index=dense_index,
                sparse_index=sparse_index,
                fields=fields,
            )
            if self.sparse.open(self._count_all()):
                self.refresh_bm25()

    def drop(self) -> None:
        """Delete the collection, what its sparse source keeps beside it, and all their data."""
        with self._lock, milvus_errors(f"drop collection {self.collection!r}"):
            if self.client.has_collection(self.collection):
                self.client.drop_collection(self.collection)
            self.sparse.drop()

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
        docs, keys = self._prepare(texts, metadatas, ids, embeddings, dedupe)
        for batch in _batches(docs, batch_size, show_progress):
            with self._lock:
                steps.run(self._write(batch), self.client)
        return keys

    upsert = add

    async def aadd(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str | None] | None = None,
        **options: Unpack[AddOptions],
    ) -> list[str]:
        """``add`` without blocking the event loop: encoding in a worker thread, Milvus's calls async.

        On a Milvus Lite file (or a store given ``client=``) the whole ``add`` runs in a worker thread.
        """
        client = self._async_client()
        if client is None:
            return await asyncio.to_thread(lambda: self.add(texts, metadatas, ids, **options))
        embeddings, dedupe = options.get("embeddings"), options.get("dedupe", True)
        docs, keys = await asyncio.to_thread(self._prepare, texts, metadatas, ids, embeddings, dedupe)
        for batch in _batches(docs, options.get("batch_size", 1024), options.get("show_progress", False)):
            await steps.arun(self._write(batch), client)
        return keys

    def _prepare(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None,
        ids: Sequence[str | None] | None,
        embeddings: Sequence[Sequence[float]] | None,
        dedupe: bool,
    ) -> tuple[list[Document], list[str]]:
        """The checked documents of an ``add`` and the id of every text; nothing is written if one is refused."""
        scope = self._scope()
        docs, keys = documents.prepare(
            texts, metadatas, ids, embeddings, dim=self.dense.dim, dedupe=dedupe, namespace=self.tenant
        )
        self.fields.check([d.metadata for d in docs], [d.id for d in docs])
        self.sparse.check_documents([d.metadata for d in docs])
        if scope:
            assert self.tenant_field is not None and self.tenant is not None
            tenants.refuse_other_tenants_ids(self.client, self.collection, self.tenant_field, self.tenant, keys)
        return docs, keys

    def _write(self, docs: list[Document]) -> steps.Steps[None]:
        """Encode a batch and write it (with the tenant of a view), then flush."""
        given = [d.embedding for d in docs]
        dense = (yield steps.Work(self.dense.encode_documents, ([d.text for d in docs],))) if None in given else given
        rows: list[dict[str, Any]] = []
        for doc, vector in zip(docs, dense, strict=True):
            columns, rest = self.fields.split(doc.metadata)
            rows.append(
                {schema.ID: doc.id, schema.TEXT: doc.text, schema.METADATA: rest, schema.DENSE: vector, **columns}
            )
        if self.tenant_field is not None:
            for row in rows:
                row[self.tenant_field] = self.tenant
        with milvus_errors("write documents"):
            yield from self._writer.write(rows)
            yield steps.Call("flush", (self.collection,))

    def delete(self, ids: Sequence[str] | None = None, *, filter: Filter | None = None, expr: str | None = None) -> int:
        """Delete documents by id and/or by filter; returns how many were deleted.

        Raises:
            InvalidInputError: If neither ids nor a filter is given.
        """
        with self._lock:
            return steps.run(self._delete(ids, filter, expr), self.client)

    async def adelete(
        self, ids: Sequence[str] | None = None, *, filter: Filter | None = None, expr: str | None = None
    ) -> int:
        """``delete`` without blocking the event loop (Milvus's calls async on a served engine)."""
        client = self._async_client()
        if client is None:
            return await asyncio.to_thread(self.delete, ids, filter=filter, expr=expr)
        return await steps.arun(self._delete(ids, filter, expr), client)

    def _delete(self, ids: Sequence[str] | None, filter: Filter | None, expr: str | None) -> steps.Steps[int]:
        if ids is None and not filter and not expr:
            raise InvalidInputError("delete needs ids or a filter; to delete everything use drop()")
        where = self._where(filter, expr)
        targets = documents.check_ids(ids) if ids is not None else None
        with milvus_errors("delete documents", where=where):
            if targets is None or (where and targets):
                among = documents.ids_expression(targets) if targets else ""
                targets = yield steps.Work(self._ids_where, (combine(among, where),))
            if not targets:
                return 0
            deleted = yield from self._writer.delete(targets)
            yield steps.Call("flush", (self.collection,))
            return deleted

    def clear(self) -> int:
        """Delete every document; the collection and its settings stay. Returns how many were deleted."""
        return self.delete(expr=f"{schema.ID} != ''")

    # ------------------------------------------------------------------ BM25 statistics
    @property
    def bm25(self) -> BM25Encoder | None:
        """The client-side BM25 encoder, or ``None`` when Milvus computes the sparse vectors."""
        return self.sparse.bm25

    @property
    def recounted_bm25(self) -> bool:
        """Whether opening found an interrupted write and recounted the BM25 statistics."""
        return self.sparse.recounted

    def bm25_stats(self) -> dict[str, float | int]:
        """Corpus size, vocabulary size and average document length of client-side BM25.

        Raises:
            InvalidInputError: If Milvus computes the sparse vectors (its statistics live in Milvus).
        """
        return self.sparse.stats()

    def recount_bm25(self) -> None:
        """Count the BM25 statistics again from the stored texts, replacing every stored delta.

        Opening a Milvus Lite file does this by itself after an interrupted write. On a served
        database, run it after a writer was killed mid-write, while no other process writes.

        Raises:
            InvalidInputError: If Milvus computes the sparse vectors.
        """
        with self._lock, milvus_errors("recount BM25 statistics"):
            self.sparse.recount()

    def refresh_bm25(self, *, batch_size: int = 500, show_progress: bool = False) -> int:
        """Re-encode every stored sparse vector at the current average document length.

        IDF is always current (it is applied to the query), but each document's length
        normalisation uses the average length at the time it was written. After the corpus has
        grown or changed a lot, this brings every document to the current average, so scores equal
        those of a BM25 fitted on the whole corpus at once. Dense vectors are not recomputed.

        Returns:
            Number of documents re-encoded.

        Raises:
            InvalidInputError: If the sparse source has nothing to refresh.
        """
        batch_size = check_positive_int(batch_size, what="batch_size")
        fields = [*schema.read_fields(self.fields), schema.DENSE]
        fields += [self.tenant_field] if self.tenant_field else []
        done = 0
        with self._lock, milvus_errors("re-encode BM25 vectors"):
            self.sparse.reencode([])  # refuses a source with nothing to refresh, before anything is read
            bar = progress(self._count_all(), show_progress, "Re-encoding BM25", "doc")
            try:
                stored = query_all(self.client, self.collection, "", fields, action="read documents")
                for rows in self._writer.reencoded(stored, batch_size):
                    steps.run(self._writer.put(rows, {r[schema.ID] for r in rows}), self.client)
                    done += len(rows)
                    bar.update(len(rows))
            finally:
                bar.close()
            self.client.flush(self.collection)
        return done


def _declared(fields: FieldsSpec | MetadataFields | None, reserved: list[str]) -> MetadataFields:
    """The checked ``fields=`` of a store; a proposal (``infer_fields``) leaves out the store's own names."""
    if isinstance(fields, MetadataFields):
        kept = {k: v for k, v in fields.items() if not (fields.proposed and k in reserved)}
        return MetadataFields(kept, reserved=reserved, proposed=fields.proposed, optional=fields.optional)
    return MetadataFields(fields, reserved=reserved)


def _batches(docs: list[Document], batch_size: int, show_progress: bool) -> Iterator[list[Document]]:
    """``docs`` in batches of ``batch_size``, with a progress bar if asked.

    Raises:
        InvalidInputError: If ``batch_size`` is not a positive integer (before the first batch).
    """
    size = check_positive_int(batch_size, what="batch_size")
    bar = progress(len(docs), show_progress, "Indexing", "doc")
    try:
        for start in range(0, len(docs), size):
            batch = docs[start : start + size]
            yield batch
            bar.update(len(batch))
    finally:
        bar.close()
