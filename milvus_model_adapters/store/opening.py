"""Opening a store's collection: an existing one checked against the store's schema, a new one created; then loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymilvus import MilvusClient

from milvus_model_adapters.store import schema, tenants
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.sparse.base import SparseSource


def open_collection(
    client: MilvusClient,
    name: str,
    *,
    dim: int,
    sparse: SparseSource,
    engine: Engine,
    tenant_field: str | None,
    dense_index: Mapping[str, Any],
    sparse_index: Mapping[str, Any],
) -> None:
    """Check ``name`` against the store's schema, or create it with these indexes; then load it.

    Raises:
        SchemaMismatchError: If the collection exists with another schema or dimension.
    """
    builtin = sparse.builtin_function
    if client.has_collection(name):
        schema.check_schema(
            client.describe_collection(name), name=name, dim=dim, builtin_bm25=builtin, tenant_field=tenant_field
        )
        sparse.check_existing()
    else:
        partition_key = tenants.uses_partition_key(engine)
        client.create_collection(
            name,
            schema=schema.build_schema(
                client,
                dim=dim,
                builtin_bm25=builtin,
                analyzer_params=sparse.analyzer_params,
                tenant_field=tenant_field,
                partition_key=partition_key,
            ),
            index_params=schema.build_index_params(
                client,
                dense_index=dict(dense_index),
                sparse_index=dict(sparse_index),
                tenant_field=None if partition_key else tenant_field,
            ),
        )
        sparse.create()
    client.load_collection(name)
