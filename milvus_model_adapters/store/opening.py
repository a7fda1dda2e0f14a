"""Opening a store's collection: an existing one checked against the store's schema, a new one created; then loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymilvus import MilvusClient

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import schema, tenants
from milvus_model_adapters.store.engine import Engine
from milvus_model_adapters.store.fields import MetadataFields
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
    fields: MetadataFields,
) -> MetadataFields:
    """Check ``name`` against the store's schema, or create it with these indexes; then load it.

    Returns:
        The collection's typed metadata columns: those it has, or ``fields`` for a new one.

    Raises:
        SchemaMismatchError: If the collection exists with another schema or dimension, or other columns than
            ``fields`` declares.
    """
    builtin = sparse.builtin_function
    if client.has_collection(name):
        description = client.describe_collection(name)
        schema.check_schema(description, name=name, dim=dim, builtin_bm25=builtin, tenant_field=tenant_field)
        stored = MetadataFields.of_collection(description)
        (fields if engine.null_values else fields.not_null()).check_against(stored, name)
        sparse.check_existing()
        fields = stored
    else:
        if fields.partition_key is not None and not engine.partition_key_filters:
            # Milvus Lite 2.5 refuses every filter on a partition key: an indexed column there, as for tenants.
            fields = fields.without_partition_key()
        if not engine.null_values:
            fields = fields.not_null()
        arrays = [key for key, field in fields.items() if field.element is not None]
        if arrays and not engine.array_columns and fields.proposed:
            # Proposed columns (inferred, or an integration's names): lists stay in the JSON field, where
            # $contains, array_contains and key[0] work alike.
            fields = MetadataFields(
                {k: f for k, f in fields.items() if k not in arrays}, proposed=True, optional=fields.optional
            )
        elif arrays and not engine.array_columns:
            raise InvalidInputError(
                f"{engine.name} cannot keep {arrays[0]!r} in an array column (pymilvus cannot read its answers with "
                "no row from such a collection): leave it out of fields=, so that it stays in the JSON field, "
                "where $contains works"
            )
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
                fields=fields,
            ),
            index_params=schema.build_index_params(
                client,
                dense_index=dict(dense_index),
                sparse_index=dict(sparse_index),
                tenant_field=None if partition_key else tenant_field,
                fields=fields,
            ),
        )
        if fields and not engine.field_descriptions:
            client.alter_collection_properties(name, properties=fields.property())
        sparse.create()
    client.load_collection(name)
    return fields
