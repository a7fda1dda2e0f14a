"""The official integrations' spellings of typed metadata fields, as ``fields=`` declarations.

* ``langchain_milvus.Milvus``: ``metadata_schema={"key": {"dtype": DataType.X, "kwargs": {...}}}`` (or the
  ``kwargs`` flat beside ``dtype``), ``partition_key_field="key"`` (a ``VARCHAR`` partition key) and
  ``enable_dynamic_field`` (``True``: keys without a column stay in the JSON field, as they always do here;
  ``False``, its default: every key of the first batch is a column, as ``infer_fields`` proposes).
* LlamaIndex's ``MilvusVectorStore``: ``scalar_field_names=[...]`` with ``scalar_field_types=[DataType.X, ...]``,
  ``VARCHAR`` of 65,535 bytes, as there.

Unlike theirs, every column here may lack a value (where the engine has nulls) and a key without a column is
kept in the JSON field, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymilvus import DataType

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store.fields import MAX_VARCHAR, SCALAR_TYPES, MetadataField, MetadataFields

_TYPE_NAMES = {dtype: name for name, dtype in SCALAR_TYPES.items()}
_KWARGS = frozenset({"max_length", "max_capacity", "element_type", "nullable", "is_partition_key"})


def field_of_data_type(dtype: Any, options: Mapping[str, Any] | None = None, *, where: str) -> MetadataField:
    """A ``MetadataField`` from a pymilvus ``DataType`` and ``add_field`` options.

    Raises:
        InvalidInputError: On a type a metadata column cannot have (a vector, JSON, an array without its
            element type) or an option it does not take.
    """
    given = dict(options or {})
    unknown = sorted(set(given) - _KWARGS - {"default_value"})
    if unknown:
        raise InvalidInputError(f"{where}: unknown option(s) {', '.join(unknown)} for a metadata column")
    if "default_value" in given:
        raise InvalidInputError(f"{where}: default_value is not offered; a document without the key stores a null")
    if dtype == DataType.ARRAY:
        element = given.get("element_type")
        if element not in _TYPE_NAMES:
            raise InvalidInputError(f"{where}: an ARRAY needs element_type, a scalar DataType (INT64, VARCHAR, ...)")
        kind = f"array<{_TYPE_NAMES[element]}>"
    elif dtype in _TYPE_NAMES:
        kind = _TYPE_NAMES[dtype]
    else:
        raise InvalidInputError(
            f"{where}: {getattr(dtype, 'name', dtype)} cannot be a metadata column; use a scalar DataType or an ARRAY "
            "of one (other values stay in the JSON field)"
        )
    return MetadataField(
        kind,
        max_length=int(given.get("max_length", MAX_VARCHAR)),
        max_capacity=int(given.get("max_capacity", 4096 if kind.startswith("array") else 64)),
        nullable=bool(given.get("nullable", True)),
        partition_key=bool(given.get("is_partition_key", False)),
    )


def langchain_milvus_fields(
    metadata_schema: Mapping[str, Any] | None, partition_key_field: str | None
) -> MetadataFields:
    """``fields=`` for ``langchain_milvus.Milvus``'s ``metadata_schema`` and ``partition_key_field``.

    As there, they shape a new collection (an existing one keeps its columns); where the engine cannot return
    array columns (Milvus Lite 2.5), lists stay in the JSON field, where ``array_contains`` works alike.

    Raises:
        InvalidInputError: On a malformed entry of ``metadata_schema``.
        InvalidTypeError: If ``metadata_schema`` is not a dict of dicts.
    """
    if metadata_schema is not None and not isinstance(metadata_schema, Mapping):
        raise InvalidTypeError(f"metadata_schema must be a dict, got {type(metadata_schema).__name__}")
    fields: dict[str, MetadataField] = {}
    for key, entry in (metadata_schema or {}).items():
        where = f"metadata_schema[{key!r}]"
        if not isinstance(entry, Mapping) or "dtype" not in entry:
            raise InvalidInputError(f'{where} must be a dict with "dtype" (and "kwargs"), got {entry!r}')
        options = {k: v for k, v in entry.items() if k not in ("dtype", "kwargs")}
        options.update(entry.get("kwargs") or {})
        fields[key] = field_of_data_type(entry["dtype"], options, where=where)
    if partition_key_field is not None:
        if not isinstance(partition_key_field, str):
            raise InvalidTypeError(f"partition_key_field must be a string, got {type(partition_key_field).__name__}")
        declared = fields.get(partition_key_field, MetadataField("varchar", max_length=MAX_VARCHAR))
        fields[partition_key_field] = MetadataField(
            declared.type, max_length=declared.max_length, nullable=False, partition_key=True
        )
    return MetadataFields(fields, proposed=True)


def llama_index_fields(names: Sequence[str] | None, types: Sequence[Any] | None) -> MetadataFields:
    """``fields=`` for LlamaIndex's ``scalar_field_names`` and ``scalar_field_types`` (a new collection's).

    Raises:
        InvalidInputError: If the two lists differ in length, or a type cannot be a metadata column.
    """
    if names is None and types is None:
        return MetadataFields()
    if names is None or types is None or len(names) != len(types):
        raise InvalidInputError("scalar_field_names and scalar_field_types must be two lists of the same length")
    declared = {
        name: field_of_data_type(dtype, where=f"scalar_field_types[{n}] ({name!r})")
        for n, (name, dtype) in enumerate(zip(names, types, strict=True))
    }
    return MetadataFields(declared, proposed=True)
