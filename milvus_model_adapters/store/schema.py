"""A store's collection: its field names, how it is created and indexed, and how an existing one is read."""

from __future__ import annotations

import json
from typing import Any

from pymilvus import DataType, Function, FunctionType, MilvusClient

from milvus_model_adapters.errors import SchemaMismatchError
from milvus_model_adapters.store.fields import MetadataFields

ID = "id"
TEXT = "text"
METADATA = "metadata"
DENSE = "dense"
SPARSE = "sparse"
STORE_FIELDS = frozenset({ID, TEXT, METADATA, DENSE, SPARSE})
"""The fields every store's collection has (a tenant field may be added beside them)."""
OUTPUT_FIELDS = [ID, TEXT, METADATA]
"""The fields a document is read with (its dense vector only when asked for)."""
SEARCH_FIELDS = [TEXT, METADATA]
"""The fields a search returns with each hit (Milvus returns the hit's id beside them)."""
ID_MAX_LENGTH = 512
TEXT_MAX_BYTES = 65535
BM25_FUNCTION = "bm25_fn"
TENANT_MAX_BYTES = 255


EMPTY_SPARSE_DIMENSION = 2**32 - 2
"""The sparse dimension that marks a text with no sparse weight (Milvus's largest index); no term uses it."""
EMPTY_SPARSE: dict[int, float] = {EMPTY_SPARSE_DIMENSION: 1e-30}
"""What is stored for an empty sparse vector: Milvus Lite 3 refuses empty ones ("sparse vector must contain at
least one nonzero float32 weight"). No query holds its dimension, so it matches nothing, as an empty vector
would, and the text is found by its dense vector."""


def storable_sparse(vector: dict[int, float]) -> dict[int, float]:
    """``vector``, or ``EMPTY_SPARSE`` when it has no weight (every stopword, or unknown to a learned model)."""
    return vector if vector else dict(EMPTY_SPARSE)


def statistics_collection(collection: str) -> str:
    """The side collection where client-side BM25 keeps the statistics of ``collection``."""
    return f"{collection}_bm25"


def build_schema(
    client: MilvusClient,
    *,
    dim: int,
    builtin_bm25: bool,
    analyzer_params: dict[str, Any] | None,
    tenant_field: str | None = None,
    partition_key: bool = False,
    fields: MetadataFields | None = None,
) -> Any:
    """Create the schema: string id, text, JSON metadata, dense vector, sparse BM25 vector, a tenant, typed columns.

    With client-side BM25 the sparse field holds this package's BM25 document vectors; the
    statistics can always be recounted from ``text``. With Milvus's built-in BM25 the sparse field
    is the output of a BM25 function over ``text``. ``tenant_field``, if given, is a string field
    (a partition key if ``partition_key``; see ``tenants``). ``fields`` are the typed metadata columns.
    """
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field(ID, DataType.VARCHAR, is_primary=True, max_length=ID_MAX_LENGTH)
    if builtin_bm25:
        kwargs: dict[str, Any] = {"enable_analyzer": True}
        if analyzer_params:
            kwargs["analyzer_params"] = analyzer_params
        schema.add_field(TEXT, DataType.VARCHAR, max_length=TEXT_MAX_BYTES, **kwargs)
    else:
        schema.add_field(TEXT, DataType.VARCHAR, max_length=TEXT_MAX_BYTES)
    schema.add_field(METADATA, DataType.JSON)
    schema.add_field(DENSE, DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field(SPARSE, DataType.SPARSE_FLOAT_VECTOR)
    if tenant_field is not None:
        schema.add_field(tenant_field, DataType.VARCHAR, max_length=TENANT_MAX_BYTES, is_partition_key=partition_key)
    if fields:
        fields.add_to_schema(schema)
    if builtin_bm25:
        schema.add_function(
            Function(
                name=BM25_FUNCTION,
                function_type=FunctionType.BM25,
                input_field_names=[TEXT],
                output_field_names=[SPARSE],
            )
        )
    return schema


def build_index_params(
    client: MilvusClient,
    *,
    dense_index: dict[str, Any],
    sparse_index: dict[str, Any],
    tenant_field: str | None = None,
    fields: MetadataFields | None = None,
) -> Any:
    """The index parameters of a new collection (see ``indexes``).

    ``tenant_field``, if given, gets an ``INVERTED`` scalar index (for a tenant field that is no partition key),
    as does each indexed typed metadata column of ``fields``.
    """
    params = client.prepare_index_params()
    params.add_index(field_name=DENSE, **dense_index)
    params.add_index(field_name=SPARSE, **sparse_index)
    if tenant_field is not None:
        params.add_index(field_name=tenant_field, index_type="INVERTED")
    if fields:
        fields.add_indexes(params)
    return params


def has_builtin_bm25(description: dict[str, Any]) -> bool:
    """Whether Milvus computes the sparse field of a collection (a BM25 function in its schema)."""
    fields = {f["name"]: f for f in description.get("fields", [])}
    # Milvus Lite 2.5 lists no functions; the output field still says what feeds it.
    return bool(description.get("functions")) or bool(fields.get(SPARSE, {}).get("is_function_output"))


def tenant_field_of(description: dict[str, Any]) -> str | None:
    """The tenant field of an existing collection (its string field besides id, text and metadata columns)."""
    columns = MetadataFields.of_collection(description)
    for found in description.get("fields", []):
        if found["name"] not in (ID, TEXT) and found["type"] == DataType.VARCHAR and found["name"] not in columns:
            return str(found["name"])
    return None


def check_schema(
    description: dict[str, Any], *, name: str, dim: int, builtin_bm25: bool, tenant_field: str | None = None
) -> None:
    """Raise ``SchemaMismatchError`` unless an existing collection has this store's schema."""
    stored_tenant = tenant_field_of(description)
    if stored_tenant != tenant_field:
        if stored_tenant is None:
            reason = f"it keeps no tenants, this store keeps them in field {tenant_field!r}"
        else:
            reason = f"it keeps tenants in field {stored_tenant!r}: open it with tenant_field={stored_tenant!r}"
        raise SchemaMismatchError(f"collection {name!r} exists with a different schema: {reason}")
    fields = {f["name"]: f for f in description.get("fields", [])}
    expected: dict[str, DataType] = {
        ID: DataType.VARCHAR,
        TEXT: DataType.VARCHAR,
        METADATA: DataType.JSON,
        DENSE: DataType.FLOAT_VECTOR,
        SPARSE: DataType.SPARSE_FLOAT_VECTOR,
    }
    problems = []
    for field_name, dtype in expected.items():
        found = fields.get(field_name)
        if found is None:
            problems.append(f"missing field {field_name!r}")
        elif found["type"] != dtype:
            problems.append(f"field {field_name!r} is {found['type'].name}, expected {dtype.name}")
    if not problems:
        if not fields[ID].get("is_primary"):
            problems.append(f"field {ID!r} is not the primary key")
        found_dim = int(fields[DENSE].get("params", {}).get("dim", -1))
        if found_dim != dim:
            problems.append(f"dense dimension is {found_dim}, the encoder gives {dim}")
        has_function = has_builtin_bm25(description)
        if has_function != builtin_bm25:
            have = "Milvus's built-in BM25" if has_function else "client-side BM25"
            want = "Milvus's built-in BM25" if builtin_bm25 else "client-side BM25"
            problems.append(f"its sparse vectors come from {have}, this store uses {want}")
    if problems:
        raise SchemaMismatchError(
            f"collection {name!r} exists with a different schema: {'; '.join(problems)}. "
            "Use another collection name, or pass drop_existing=True to delete it and its data."
        )


def read_fields(fields: MetadataFields | None = None) -> list[str]:
    """The fields a document is read with: id, text, the JSON metadata and the typed columns."""
    return [*OUTPUT_FIELDS, *(fields or ())]


def hit_fields(fields: MetadataFields | None = None) -> list[str]:
    """The fields a search returns with each hit: text, the JSON metadata and the typed columns."""
    return [*SEARCH_FIELDS, *(fields or ())]


def dense_dim(description: dict[str, Any]) -> int:
    """The dense vectors' dimension in a collection's description (0 if it has no dense field)."""
    fields = {f["name"]: f for f in description.get("fields", [])}
    return int(fields.get(DENSE, {}).get("params", {}).get("dim", 0))


def text_analyzer_params(description: dict[str, Any]) -> dict[str, Any] | None:
    """The Milvus analyzer parameters of a collection's text field, if Milvus analyses it."""
    fields = {f["name"]: f for f in description.get("fields", [])}
    params = fields.get(TEXT, {}).get("params", {}).get("analyzer_params")
    parsed = json.loads(params) if isinstance(params, str) else params
    return dict(parsed) if isinstance(parsed, dict) else None
