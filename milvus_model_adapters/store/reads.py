"""Reading a store's documents: by id, by filter, counted; each confined to a tenant where the store keeps them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pymilvus import MilvusClient

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.store import documents, schema, tenants
from milvus_model_adapters.store.connection import milvus_errors, query_all
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.filters import Filter, combine, compile_filter, metadata_expression
from milvus_model_adapters.store.types import Document


class DocumentReads:
    """The document reads of ``HybridStore``."""

    client: MilvusClient
    collection: str
    engine: Engine
    tenant_field: str | None
    tenant: str | None

    def _scope(self, asked: str | None = None) -> str:
        """The expression confining a call to this view's tenant (or ``asked``); ``""`` without tenants."""
        return tenants.scope(self.tenant_field, self.tenant, asked=asked)

    def get(self, ids: Sequence[str], *, with_embeddings: bool = False) -> list[Document]:
        """Documents by id, in the order given, with their dense vectors if asked; unknown ids are skipped."""
        scope = self._scope()
        keys = documents.check_ids(ids)
        if not keys:
            return []
        fields = [*schema.OUTPUT_FIELDS, schema.DENSE] if with_embeddings else list(schema.OUTPUT_FIELDS)
        if scope:
            fields.append(str(self.tenant_field))
        with milvus_errors("get documents"):
            found = self.client.get(self.collection, ids=keys, output_fields=fields)
        rows = {r[schema.ID]: r for r in found if not scope or r[str(self.tenant_field)] == self.tenant}
        return [documents.from_row(rows[k]) for k in keys if k in rows]

    def _count_all(self) -> int:
        """Number of stored documents, every tenant's."""
        with milvus_errors("count documents"):
            rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def count(self) -> int:
        """Number of stored documents (the view's tenant's, in a view)."""
        scope = self._scope()
        with milvus_errors("count documents"):
            rows = self.client.query(self.collection, filter=scope, output_fields=["count(*)"])
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
        fields = [*schema.OUTPUT_FIELDS, schema.DENSE] if with_embeddings else schema.OUTPUT_FIELDS
        if limit is not None:
            check_positive_int(limit, what="limit")
        for row in self._query(self._where(filter, expr), fields, "read documents", limit=limit):
            yield documents.from_row(row)

    def ids(self, *, filter: Filter | None = None, expr: str | None = None) -> list[str]:
        """The ids of the stored documents that ``filter`` and ``expr`` select (every id without them)."""
        return [row[schema.ID] for row in self._query(self._where(filter, expr), [schema.ID], "read ids")]

    def _where(self, filter: Filter | None, expr: str | None) -> str:
        """The expression of a filter and a raw expression (bare names in it are metadata keys)."""
        return combine(self._scope(), compile_filter(filter, self.engine), metadata_expression(expr) if expr else None)

    def _query(self, where: str, fields: list[str], action: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
        return query_all(self.client, self.collection, where, fields, action=action, limit=limit)
