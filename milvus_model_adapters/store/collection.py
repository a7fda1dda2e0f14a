"""An opened Milvus collection of the store's layout: its connection, engine, tenants, reads and lifecycle.

``Collection`` is the part of ``HybridStore`` that needs no model: it connects (a Milvus Lite file or a server),
detects the engine, confines every read to a tenant where the store keeps them, reads documents back, and
closes. ``HybridStore`` adds the encoders, the writes and the searches.
"""

from __future__ import annotations

import asyncio
import copy
import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Self

from pymilvus import MilvusClient

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import documents, schema, tenants
from milvus_model_adapters.store.aio import AsyncClients
from milvus_model_adapters.store.connection import (
    CONNECT_TIMEOUT,
    connect,
    disconnect,
    is_local_uri,
    milvus_errors,
    query_all,
)
from milvus_model_adapters.store.engine import Engine, detect
from milvus_model_adapters.store.fields import MetadataFields
from milvus_model_adapters.store.filters import Filter, combine, compile_filter, metadata_expression
from milvus_model_adapters.store.types import Document


class Collection:
    """One collection of the store's layout, opened through a Milvus Lite file or a server."""

    def __init__(
        self,
        uri: str | os.PathLike[str],
        collection: str,
        *,
        token: str | None = None,
        db_name: str | None = None,
        client: MilvusClient | None = None,
        tenant_field: str | None = None,
    ) -> None:
        """Connect to ``uri`` (or use ``client``) and detect the engine; the collection itself is opened later.

        Raises:
            InvalidInputError: On an invalid collection name or tenant field.
            StoreLockedError: If another process holds the Milvus Lite file.
        """
        if not isinstance(collection, str) or not collection.replace("_", "a").isalnum() or collection[0].isdigit():
            raise InvalidInputError(f"invalid collection name {collection!r}: use letters, digits and '_'")
        self.tenant_field = tenants.check_tenant_field(tenant_field) if tenant_field is not None else None
        """The field that keeps each row's tenant, or ``None`` (see ``milvus_model_adapters.store.tenants``)."""
        self.tenant: str | None = None
        """The tenant of a view (``for_tenant``); ``None`` for the store itself."""
        self.uri = os.fspath(uri)
        self.collection = collection
        self.is_local = is_local_uri(self.uri)
        self._lock = threading.RLock()
        self._owns_client = client is None
        self.client = client if client is not None else connect(self.uri, token=token, db_name=db_name)
        self._async_clients = (
            None
            if self.is_local or client is not None
            else AsyncClients(self.uri, token=token, db_name=db_name, timeout=CONNECT_TIMEOUT)
        )
        self.engine = detect(self.client, local=self.is_local)
        """The engine (Milvus Lite 2.5, Milvus Lite 3 or a server) and what it can do."""
        self.fields = MetadataFields()
        """The collection's typed metadata columns (``store.fields``); none when every key is in the JSON field."""

    @property
    def aclient(self) -> Any | None:
        """Pymilvus's ``AsyncMilvusClient`` of the running event loop, which the async methods use.

        One per event loop, made on first use; ``None`` outside a running loop, on a Milvus Lite file and
        for a store given ``client=`` (their async methods run the blocking ones in a worker thread).
        """
        return self._async_client()

    def _async_client(self) -> Any | None:
        if self._async_clients is None:
            return None
        try:
            return self._async_clients.current()
        except RuntimeError:  # no running event loop
            return None

    def for_tenant(self, tenant: str) -> Self:
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
        if self._async_clients is not None:
            self._async_clients.close()
        with self._lock:
            try:
                with milvus_errors("flush before closing"):
                    self.client.flush(self.collection)
            finally:
                if self._owns_client:
                    disconnect(self.client, self.uri)

    async def aclose(self) -> None:
        """``close``, with the running loop's async client closed before it returns."""
        if self._async_clients is not None and not self._is_view:
            await self._async_clients.aclose()
        await asyncio.to_thread(self.close)

    _is_view = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _scope(self, asked: str | None = None) -> str:
        """The expression confining a call to this view's tenant (or ``asked``); ``""`` without tenants."""
        return tenants.scope(self.tenant_field, self.tenant, asked=asked)

    def get(self, ids: Sequence[str], *, with_embeddings: bool = False) -> list[Document]:
        """Documents by id, in the order given, with their dense vectors if asked; unknown ids are skipped."""
        scope = self._scope()
        keys = documents.check_ids(ids)
        if not keys:
            return []
        fields = schema.read_fields(self.fields) + ([schema.DENSE] if with_embeddings else [])
        if scope:
            fields.append(str(self.tenant_field))
        with milvus_errors("get documents"):
            found = self.client.get(self.collection, ids=keys, output_fields=fields)
        rows = {r[schema.ID]: r for r in found if not scope or r[str(self.tenant_field)] == self.tenant}
        return [documents.from_row(rows[k], self.fields) for k in keys if k in rows]

    def count(self) -> int:
        """Number of stored documents (the view's tenant's, in a view)."""
        return self._count(self._scope())

    def _count_all(self) -> int:
        """Number of stored documents, every tenant's."""
        return self._count("")

    def _count(self, where: str) -> int:
        with milvus_errors("count documents"):
            rows = self.client.query(self.collection, filter=where, output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def documents(
        self,
        *,
        filter: Filter | None = None,
        expr: str | None = None,
        with_embeddings: bool = False,
        limit: int | None = None,
    ) -> Iterator[Document]:
        """Iterate over stored documents, optionally filtered, at most ``limit``, with their dense vectors.

        ``expr`` is a raw Milvus expression in which a bare name that is no field of the store is a
        metadata key (``"year > 2000"``).
        """
        fields = schema.read_fields(self.fields) + ([schema.DENSE] if with_embeddings else [])
        if limit is not None:
            check_positive_int(limit, what="limit")
        for row in query_all(
            self.client, self.collection, self._where(filter, expr), fields, action="read documents", limit=limit
        ):
            yield documents.from_row(row, self.fields)

    def ids(self, *, filter: Filter | None = None, expr: str | None = None) -> list[str]:
        """The ids of the stored documents that ``filter`` and ``expr`` select (every id without them)."""
        return self._ids_where(self._where(filter, expr))

    def _ids_where(self, where: str) -> list[str]:
        rows = query_all(self.client, self.collection, where, [schema.ID], action="read ids")
        return [row[schema.ID] for row in rows]

    def _where(self, filter: Filter | None, expr: str | None) -> str:
        """The expression of a filter and a raw expression (bare names in it are metadata keys)."""
        return combine(
            self._scope(),
            compile_filter(filter, self.engine, self.fields),
            metadata_expression(expr, self.fields, native_in=self.engine.native_in) if expr else None,
        )
