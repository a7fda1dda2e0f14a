"""``langchain_milvus.Milvus``'s own names on ``MilvusHybridVectorStore``, for code written against it.

Construction takes its ``embedding_function``, ``collection_name``, ``connection_args`` and
``drop_old``; ``MilvusCompatMethods`` adds ``add_embeddings``, ``get_pks``, ``upsert``,
``search_by_metadata`` (and their async forms), ``.client`` and ``.collection_name``. A raw ``expr``
may name metadata keys bare, as there (``"SingerName == 'IU'"``), and is read in its names: ``pk`` is the
document id, and a bare ``id`` the metadata key ``id`` (``from_langchain_milvus`` in
``milvus_model_adapters.store.filters.raw``). Its options this store does not have are each one
``InvalidInputError`` naming this store's way to the same result.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.documents import Document
from pymilvus import MilvusClient

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import HybridStore, from_langchain_milvus, infer_fields, langchain_milvus_fields

NOT_OFFERED: dict[str, str] = {
    "partition_names": "tenant_field='<field>' and tenant='<tenant>', or a metadata key and filter={...}",
    "num_partitions": "tenant_field='<field>' (Milvus's 16 partitions)",
    "metadata_field": "metadata is one JSON field named 'metadata'",
    "vector_schema": "one dense field: dense_index={...} sets its index",
    "vector_field": "one dense field ('dense') and one sparse field ('sparse'): pass sparse=... for the second",
    "primary_field": "the primary key is the string field 'id'",
    "text_field": "the text field is 'text'",
    "builtin_function": "sparse='builtin' for Milvus's BM25 function, or sparse=<a pymilvus-model sparse function>",
    "index_params": "dense_index={...} (the dense field's index parameters)",
    "search_params": "search options per call (k, mode, fetch_k, ranker, filter, ...) or search_mode=",
    "auto_id": "ids are content hashes unless given; add_texts(..., dedupe=False) gives random ids",
    "consistency_level": "Milvus Lite reads its own writes; a server keeps its default consistency",
    "collection_description": "no collection description",
    "collection_properties": "no collection properties",
    "replica_number": "a server's replicas are set on the server",
    "num_shards": "a server's shards are set on the server",
    "timeout": "the connection waits a fixed time for a server (milvus_model_adapters.store.connection)",
}
"""``langchain_milvus.Milvus`` options this store does not take, and the way to the same result."""


def store_arguments(embedding: Any, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The embedding and the ``HybridStore`` arguments for ``langchain_milvus.Milvus``-style ``options``.

    ``embedding_function`` is the embedding, ``collection_name`` the collection, ``drop_old`` is
    ``drop_existing`` and ``connection_args`` gives ``uri``, ``token`` (or ``user`` and
    ``password``) and ``db_name``. ``metadata_schema`` and ``partition_key_field`` are typed metadata columns
    (``fields=``; ``milvus_model_adapters.store.framework_fields``), and ``enable_dynamic_field=False`` asks for
    a column per key of the first batch written (``infer_fields``): the options then hold
    ``infer_fields=True``, which the vector store acts on at its first write.

    Raises:
        InvalidInputError: On an option this store does not take, or one given twice under two names.
    """
    out = dict(options)
    typed = {name: out.pop(name) for name in ("metadata_schema", "partition_key_field") if name in out}
    dynamic = out.pop("enable_dynamic_field", True)
    if not isinstance(dynamic, bool):
        raise InvalidInputError(f"enable_dynamic_field must be true or false, got {dynamic!r}")
    if typed:
        if "fields" in out:
            raise InvalidInputError(
                "give fields= or langchain_milvus's metadata_schema / partition_key_field, not both"
            )
        out["fields"] = langchain_milvus_fields(typed.get("metadata_schema"), typed.get("partition_key_field"))
    if not dynamic:
        out["infer_fields"] = True
    for old, new in (("collection_name", "collection"), ("drop_old", "drop_existing")):
        if old in out:
            if new in out:
                raise InvalidInputError(f"give {old} or {new}, not both")
            out[new] = out.pop(old)
    if "embedding_function" in out:
        if embedding is not None:
            raise InvalidInputError("give embedding or embedding_function, not both")
        embedding = out.pop("embedding_function")
    out.update(_connection(out.pop("connection_args", None), out))
    refused = sorted(set(out) & NOT_OFFERED.keys())
    if refused:
        raise InvalidInputError(f"MilvusHybridVectorStore has no option {refused[0]!r}: {NOT_OFFERED[refused[0]]}")
    known = set(inspect.signature(HybridStore.__init__).parameters) - {"self"} | {"infer_fields"}
    unknown = sorted(set(out) - known)
    if unknown:
        raise InvalidInputError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return embedding, out


def _connection(args: Mapping[str, Any] | None, given: Mapping[str, Any]) -> dict[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise InvalidInputError(f"connection_args must be a dict, got {type(args).__name__}")
    unknown = sorted(set(args) - {"uri", "token", "user", "password", "db_name"})
    if unknown:
        raise InvalidInputError(
            f"connection_args takes uri, token, user and password, db_name; not {', '.join(unknown)} "
            "(give the server as uri='http://host:port')"
        )
    out: dict[str, Any] = {k: args[k] for k in ("uri", "token", "db_name") if args.get(k)}
    if args.get("user") or args.get("password"):
        if "token" in out:
            raise InvalidInputError("connection_args: give token or user and password, not both")
        out["token"] = f"{args.get('user', '')}:{args.get('password', '')}"
    for name in out:
        if name in given:
            raise InvalidInputError(f"{name} is given both as an argument and in connection_args")
    return out


class StoreOpening:
    """The store of a vector store: opened at once, or at the first write when its columns come from that batch.

    ``langchain_milvus.Milvus`` creates its collection at the first write, with a typed column per metadata key
    of that batch (its ``enable_dynamic_field=False``, the default there). Given ``enable_dynamic_field=False``,
    this store does the same (``infer_fields``; an existing collection keeps its columns, and keys without one
    stay in the JSON field); otherwise it opens the store at once.
    """

    def __init__(self, options: dict[str, Any], tenant: str | None) -> None:
        """Open a store with ``HybridStore`` ``options`` (``infer_fields=True``: at the first write) for ``tenant``."""
        self._options = dict(options)
        self._infer = bool(self._options.pop("infer_fields", False))
        self._tenant = tenant
        self._store: HybridStore | None = None
        if not self._infer:
            self.store()

    @classmethod
    def of(cls, store: HybridStore) -> StoreOpening:
        """An opening of a store already open."""
        opening = cls.__new__(cls)
        opening._options, opening._infer, opening._tenant, opening._store = {}, False, None, store
        return opening

    def store(self, metadatas: Sequence[Mapping[str, Any] | None] | None = None) -> HybridStore:
        """The store, opened now if it is not yet (with columns for ``metadatas``' keys, if they are inferred)."""
        if self._store is None:
            options = dict(self._options)
            if self._infer and metadatas:
                options["fields"] = infer_fields(metadatas)
            store = HybridStore(**options)
            self._store = store if self._tenant is None else store.for_tenant(self._tenant)
        return self._store


class MilvusCompatMethods:
    """The methods of ``langchain_milvus.Milvus`` that LangChain's ``VectorStore`` does not have."""

    _opening: StoreOpening

    @property
    def store(self) -> HybridStore:
        """The core store (with ``enable_dynamic_field=False``, opened at the first write: ``StoreOpening``)."""
        return self._opening.store()

    @property
    def client(self) -> MilvusClient:
        """The ``MilvusClient``."""
        return self.store.client

    @property
    def collection_name(self) -> str:
        """The collection's name."""
        return self.store.collection

    def add_embeddings(
        self,
        texts: list[str],
        embeddings: list[list[float]],
        metadatas: list[dict[str, Any]] | None = None,
        timeout: float | None = None,
        batch_size: int = 1000,
        *,
        ids: Sequence[str | None] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Add texts with dense vectors computed elsewhere with the store's model; returns their ids.

        Raises:
            InvalidInputError: On a ``timeout`` (not offered) or an unknown option.
            DimensionMismatchError: If a vector does not have the collection's dimension.
        """
        _no_timeout(timeout)
        if not texts:
            return []
        return self.store.add(texts, metadatas, ids, embeddings=embeddings, batch_size=batch_size, **kwargs)

    async def aadd_embeddings(
        self, texts: list[str], embeddings: list[list[float]], *args: Any, **kwargs: Any
    ) -> list[str]:
        """``add_embeddings`` in a worker thread."""
        return await asyncio.to_thread(self.add_embeddings, texts, embeddings, *args, **kwargs)

    def get_pks(self, expr: str, **kwargs: Any) -> list[str]:
        """The ids of the documents ``expr`` selects (bare names in it are metadata keys)."""
        _no_options("get_pks", kwargs)
        return self.store.ids(expr=from_langchain_milvus(expr))

    async def aget_pks(self, expr: str, **kwargs: Any) -> list[str]:
        """``get_pks`` in a worker thread."""
        return await asyncio.to_thread(self.get_pks, expr, **kwargs)

    def upsert(
        self,
        ids: list[str] | None = None,
        documents: list[Document] | None = None,
        batch_size: int = 1000,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        """Replace the documents with these ids (or add the documents, without ids).

        Raises:
            InvalidInputError: If ids and documents differ in number, or ids repeat.
        """
        _no_timeout(timeout)
        if not documents:
            return
        if ids and len(set(ids)) != len(documents):
            raise InvalidInputError(f"upsert got {len(documents)} documents and {len(set(ids))} distinct ids")
        chosen: list[str | None] = list(ids) if ids else [None if d.id is None else str(d.id) for d in documents]
        texts, metadatas = [d.page_content for d in documents], [d.metadata for d in documents]
        self.store.add(texts, metadatas, chosen, batch_size=batch_size, **kwargs)

    async def aupsert(
        self, ids: list[str] | None = None, documents: list[Document] | None = None, **kwargs: Any
    ) -> None:
        """``upsert`` in a worker thread."""
        await asyncio.to_thread(self.upsert, ids, documents, **kwargs)

    def search_by_metadata(self, expr: str, fields: list[str] | None = None, limit: int = 10) -> list[Document]:
        """Up to ``limit`` documents that ``expr`` selects, with no vector search.

        Args:
            expr: A Milvus expression (bare names in it are metadata keys: ``"city == 'Seoul'"``).
            fields: Metadata keys to keep (default: all).
            limit: Most documents returned.
        """
        found = []
        for doc in self.store.documents(expr=from_langchain_milvus(expr), limit=limit):
            metadata = doc.metadata if fields is None else {k: v for k, v in doc.metadata.items() if k in fields}
            found.append(Document(page_content=doc.text, metadata=metadata, id=doc.id))
        return found

    async def asearch_by_metadata(self, expr: str, fields: list[str] | None = None, limit: int = 10) -> list[Document]:
        """``search_by_metadata`` in a worker thread."""
        return await asyncio.to_thread(self.search_by_metadata, expr, fields, limit)


def langchain_expressions(options: Mapping[str, Any]) -> dict[str, Any]:
    """Search options with their ``expr``, if any, read in ``langchain_milvus.Milvus``'s names."""
    out = dict(options)
    if isinstance(out.get("expr"), str):
        out["expr"] = from_langchain_milvus(out["expr"])
    return out


def _no_timeout(timeout: float | None) -> None:
    if timeout is not None:
        raise InvalidInputError(f"this store has no per-call timeout: {NOT_OFFERED['timeout']}")


def _no_options(method: str, options: Mapping[str, Any]) -> None:
    if options:
        raise InvalidInputError(f"{method} takes no option(s) {', '.join(sorted(options))}")
