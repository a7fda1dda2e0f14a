"""Typed metadata fields proposed from a first batch of documents: each key whose values have one column type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from milvus_model_adapters.store.fields import (
    DEFAULT_MAX_CAPACITY,
    MAX_VARCHAR,
    NAME,
    MetadataField,
    MetadataFields,
)


def infer_fields(
    metadatas: Sequence[Mapping[str, Any] | None], *, reserved: Sequence[str] = (), max_length: int = MAX_VARCHAR
) -> MetadataFields:
    """Columns for the keys of a first batch whose values all have one column type.

    ``str`` gives ``varchar`` (of ``max_length`` bytes), ``int`` ``int64``, ``float`` (or ints and floats
    mixed) ``double``, ``bool`` ``bool``, a list of one of them ``array<...>``; a key holding dicts, mixed types,
    empty lists or only ``None`` stays in the JSON field, as do the ``reserved`` names (a store leaves out its
    own). The result is a proposal: a store given it creates these columns in a new collection, and an existing
    collection keeps its own; a key some document of the batch lacks stays in the JSON field on an engine without
    nulls (Milvus Lite 2.5).
    """
    kinds: dict[str, set[str]] = {}
    longest: dict[str, int] = {}
    seen: dict[str, int] = {}
    for meta in metadatas:
        for key, value in (meta or {}).items():
            if value is not None:
                seen[key] = seen.get(key, 0) + 1
    for meta in metadatas:
        for key, value in (meta or {}).items():
            if value is None or key in reserved or not (isinstance(key, str) and NAME.fullmatch(key)):
                continue
            kind = _kind(value)
            kinds.setdefault(key, set()).add(kind or "json")
            if isinstance(value, list):
                longest[key] = max(longest.get(key, 0), len(value))
    fields: dict[str, MetadataField] = {}
    for key, found in kinds.items():
        if found == {"int64", "double"}:
            found = {"double"}
        elif found == {"array<int64>", "array<double>"}:
            found = {"array<double>"}
        if len(found) != 1 or "json" in found:
            continue
        kind = found.pop()
        capacity = max(DEFAULT_MAX_CAPACITY, longest.get(key, 0))
        fields[key] = MetadataField(kind, max_length=max_length, max_capacity=min(capacity, 4096))
    optional = [key for key in fields if seen.get(key, 0) < len(metadatas)]
    return MetadataFields(fields, proposed=True, optional=optional)


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "varchar"
    if isinstance(value, list) and value:
        inner = {_kind(v) for v in value}
        if inner == {"int64", "double"}:
            inner = {"double"}
        if len(inner) == 1 and None not in inner and not next(iter(inner)).startswith("array"):  # type: ignore[union-attr]
            return f"array<{inner.pop()}>"
    return None
