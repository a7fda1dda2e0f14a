"""Typed metadata fields: metadata keys kept in Milvus scalar columns of their own, beside the JSON field.

A store keeps every metadata key in one JSON field unless it is given ``fields=``: each key named there becomes
a real column (``INT64``, ``DOUBLE``, ``VARCHAR``, ``BOOL``, an ``ARRAY`` of one of them) with the engine's
scalar index where it has one, and every other key stays in the JSON field. Filters on a typed key compile to
the column (``key in [...]`` works on Milvus Lite 3, which refuses ``in`` on a JSON key), Milvus groups by it,
and a document reads back as one metadata dict, as without columns.

Every column is nullable unless declared otherwise: a document without the key, or with ``None`` at it, stores
a null, and reads back without the key (a null is a missing value, for filters too). A value of another type,
a string over the column's length or a list over its capacity is refused before anything is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeAlias

from pymilvus import DataType

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, SchemaMismatchError
from milvus_model_adapters.store.engine import Engine

ScalarType: TypeAlias = Literal["int8", "int16", "int32", "int64", "float", "double", "bool", "varchar"]
SCALAR_TYPES: dict[str, DataType] = {
    "int8": DataType.INT8,
    "int16": DataType.INT16,
    "int32": DataType.INT32,
    "int64": DataType.INT64,
    "float": DataType.FLOAT,
    "double": DataType.DOUBLE,
    "bool": DataType.BOOL,
    "varchar": DataType.VARCHAR,
}
"""The column types, by the name ``fields=`` gives them (an array is ``"array<int64>"`` and so on)."""
_INT_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
_ARRAY = re.compile(r"array<(\w+)>")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
MARK = "mma:metadata"
"""The description of a metadata column in the collection's schema: how a reopened store finds its columns."""
PROPERTY = "mma.metadata_fields"
"""The collection property that lists the metadata columns, on engines that forget field descriptions."""
DEFAULT_MAX_LENGTH = 512
"""Bytes of a ``varchar`` column (or of each string of an ``array<varchar>``) unless declared."""
DEFAULT_MAX_CAPACITY = 64
"""Elements of an ``array<...>`` column unless declared."""
MAX_VARCHAR = 65_535


@dataclass(frozen=True, slots=True)
class MetadataField:
    """One metadata key kept in a typed column.

    Attributes:
        type: ``"int64"``, ``"int32"``, ``"int16"``, ``"int8"``, ``"double"``, ``"float"``, ``"bool"``,
            ``"varchar"``, or ``"array<T>"`` with ``T`` one of them.
        max_length: Longest string, in UTF-8 bytes (``varchar`` and ``array<varchar>``; 1 to 65,535).
        max_capacity: Most elements of an array (1 to 4,096).
        nullable: Whether a document may lack the key; ``False`` refuses such documents.
        index: Give the column the engine's scalar index (``INVERTED``); array columns have none.
        partition_key: Make the column Milvus's partition key (``varchar`` or ``int64``, not nullable): a
            filter on one value reads that value's partitions only (the column is then never null).
    """

    type: str
    max_length: int = DEFAULT_MAX_LENGTH
    max_capacity: int = DEFAULT_MAX_CAPACITY
    nullable: bool = True
    index: bool = True
    partition_key: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.type, str):
            raise InvalidTypeError(f"a field type must be a string such as 'int64', got {type(self.type).__name__}")
        spelled = self.type.strip().lower().replace(" ", "")
        element = _ARRAY.fullmatch(spelled)
        if spelled not in SCALAR_TYPES and (element is None or element.group(1) not in SCALAR_TYPES):
            raise InvalidInputError(
                f"unknown field type {self.type!r}: use one of {', '.join(SCALAR_TYPES)} or 'array<T>' of one of them"
            )
        object.__setattr__(self, "type", spelled)
        if not isinstance(self.max_length, int) or not 1 <= self.max_length <= MAX_VARCHAR:
            raise InvalidInputError(f"max_length must be 1 to {MAX_VARCHAR}, got {self.max_length!r}")
        if not isinstance(self.max_capacity, int) or not 1 <= self.max_capacity <= 4096:
            raise InvalidInputError(f"max_capacity must be 1 to 4096, got {self.max_capacity!r}")
        if self.partition_key:
            if self.type not in ("varchar", "int64"):
                raise InvalidInputError(f"a partition key is a varchar or int64 column, not {self.type}")
            object.__setattr__(self, "nullable", False)

    @property
    def element(self) -> str | None:
        """The element type of an array column; ``None`` for a scalar one."""
        found = _ARRAY.fullmatch(self.type)
        return found.group(1) if found else None

    @property
    def scalar(self) -> str:
        """The type of one value: the column's, or its elements' for an array."""
        return self.element or self.type

    @property
    def described(self) -> str:
        """The column in words: ``"an int64 column"``."""
        return f"{'an' if self.type[0] in 'aeiou' else 'a'} {self.type} column"

    @property
    def numeric(self) -> bool:
        """Whether the column holds one number per document."""
        return self.type in _INT_BITS or self.type in ("float", "double")

    def checked(self, value: Any, where: str) -> Any:
        """``value`` as the column stores it.

        Raises:
            InvalidTypeError: If it is not of the column's type.
            InvalidInputError: If it is over the column's length or capacity, or out of its range.
        """
        if self.element is None:
            return _one(value, self.type, self.max_length, where)
        if not isinstance(value, list | tuple):
            raise InvalidTypeError(f"{where} must be a list ({self.type} column), got {type(value).__name__}")
        if len(value) > self.max_capacity:
            raise InvalidInputError(
                f"{where} holds {len(value)} elements; the column holds at most {self.max_capacity} "
                "(declare it with a larger max_capacity)"
            )
        return [_one(item, self.element, self.max_length, f"{where}[{n}]") for n, item in enumerate(value)]


def _one(value: Any, kind: str, max_length: int, where: str) -> Any:
    if kind == "bool":
        if not isinstance(value, bool):
            raise InvalidTypeError(f"{where} must be true or false (bool column), got {_shown(value)}")
        return value
    if kind in _INT_BITS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidTypeError(f"{where} must be an integer ({kind} column), got {_shown(value)}")
        bits = _INT_BITS[kind]
        if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            raise InvalidInputError(f"{where} is {value}, outside the range of a {kind} column")
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InvalidTypeError(f"{where} must be a finite number ({kind} column), got {_shown(value)}")
        return float(value)
    if not isinstance(value, str):
        raise InvalidTypeError(f"{where} must be a string (varchar column), got {_shown(value)}")
    size = len(value.encode("utf-8"))
    if size > max_length:
        raise InvalidInputError(
            f"{where} is {size} bytes; the column holds at most {max_length} (declare it with a larger max_length)"
        )
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


FieldsSpec: TypeAlias = Mapping[str, "str | MetadataField"]
"""``fields=``: metadata key -> a type name (``"int64"``, ``"array<varchar>"``) or a ``MetadataField``."""


class MetadataFields(Mapping[str, MetadataField]):
    """The typed metadata columns of a collection, by metadata key (an empty one: every key in JSON)."""

    def __init__(
        self,
        fields: FieldsSpec | None = None,
        *,
        reserved: Sequence[str] = (),
        proposed: bool = False,
        optional: Collection[str] = (),
    ) -> None:
        """Check a ``fields=`` declaration.

        Args:
            fields: Metadata key -> type name or ``MetadataField``.
            reserved: Names no column may take (the store's own fields, a tenant field).
            proposed: The columns are a proposal (``infer_fields``): a collection that exists keeps its own.
            optional: Proposed columns that some document lacked: they stay in the JSON field on an engine
                without nulls.

        Raises:
            InvalidInputError: On a key that cannot name a column, or one of ``reserved``.
            InvalidTypeError: On a declaration that is neither a type name nor a ``MetadataField``.
        """
        if fields is not None and not isinstance(fields, Mapping):
            raise InvalidTypeError(f"fields must be a dict of metadata key -> type, got {type(fields).__name__}")
        self.proposed = proposed
        """Whether these columns are only proposed for a new collection (an existing one keeps its own)."""
        self.optional = frozenset(optional)
        """Proposed columns that some document lacked (kept in the JSON field where the engine has no nulls)."""
        self._fields: dict[str, MetadataField] = {}
        for name, declared in (fields or {}).items():
            if not isinstance(name, str) or not NAME.fullmatch(name):
                raise InvalidInputError(f"field name {name!r} cannot name a column: use letters, digits and '_'")
            if name in reserved:
                raise InvalidInputError(
                    f"{name!r} is one of the store's own fields ({', '.join(sorted(reserved))}); "
                    "keep that metadata key in the JSON field (leave it out of fields=)"
                )
            if isinstance(declared, str):
                declared = MetadataField(declared)
            if not isinstance(declared, MetadataField):
                raise InvalidTypeError(f"fields[{name!r}] must be a type name or a MetadataField, got {declared!r}")
            self._fields[name] = declared
        if sum(f.partition_key for f in self._fields.values()) > 1:
            raise InvalidInputError("a collection has one partition key: declare partition_key=True on one field")

    def __getitem__(self, key: str) -> MetadataField:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MetadataFields) and self._fields == other._fields

    def __hash__(self) -> int:
        return hash(tuple(self._fields.items()))

    def __repr__(self) -> str:
        return f"MetadataFields({self._fields!r})"

    @property
    def partition_key(self) -> str | None:
        """The column that is Milvus's partition key, if one is."""
        return next((name for name, f in self._fields.items() if f.partition_key), None)

    def not_null(self) -> MetadataFields:
        """The same columns, none of them nullable (for an engine without nulls), the ``optional`` ones left out."""
        return MetadataFields(
            {name: replace(f, nullable=False) for name, f in self._fields.items() if name not in self.optional},
            proposed=self.proposed,
        )

    def property(self) -> dict[str, str]:
        """The collection property that lists these columns (``PROPERTY``)."""
        return {PROPERTY: ",".join(self._fields)}

    def without_partition_key(self) -> MetadataFields:
        """The same columns, none of them a partition key (an indexed, non-null column instead)."""
        return MetadataFields(
            {name: replace(f, partition_key=False) for name, f in self._fields.items()},
            proposed=self.proposed,
            optional=self.optional,
        )

    # ------------------------------------------------------------------ documents
    def check(self, metadatas: Sequence[Mapping[str, Any]], ids: Sequence[str] | None = None) -> None:
        """Refuse a batch of metadata that the columns cannot store, naming the document and the key.

        Raises:
            InvalidTypeError: On a value of another type than its column's.
            InvalidInputError: On a missing value in a column that cannot be null, or one over its size.
        """
        for i, meta in enumerate(metadatas):
            for name, spec in self._fields.items():
                where = f"metadatas[{i}][{name!r}]" + (f" (document {ids[i]!r})" if ids is not None else "")
                value = meta.get(name)
                if value is None:
                    if not spec.nullable:
                        raise InvalidInputError(f"{where} is missing; the {spec.type} column {name!r} cannot be null")
                    continue
                spec.checked(value, where)

    def split(self, metadata: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The column values of a checked document (``None`` for a null) and the keys left for the JSON field."""
        columns = {
            name: None if metadata.get(name) is None else spec.checked(metadata[name], name)
            for name, spec in self._fields.items()
        }
        rest = {key: value for key, value in metadata.items() if key not in self._fields}
        return columns, rest

    def joined(self, row: Mapping[str, Any], json_metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        """A row's metadata as one dict: the JSON field's keys, then each non-null column."""
        out = dict(json_metadata or {})
        for name in self._fields:
            value = row.get(name)
            if value is not None:
                out[name] = list(value) if isinstance(value, list | tuple) else value
        return out

    # ------------------------------------------------------------------ the collection
    def add_to_schema(self, schema: Any) -> None:
        """Add a column per field to a pymilvus ``CollectionSchema``."""
        for name, spec in self._fields.items():
            kwargs: dict[str, Any] = {"description": MARK}
            if spec.nullable:
                kwargs["nullable"] = True
            if spec.partition_key:
                kwargs["is_partition_key"] = True
            if spec.element is not None:
                kwargs.update(element_type=SCALAR_TYPES[spec.element], max_capacity=spec.max_capacity)
                if spec.element == "varchar":
                    kwargs["max_length"] = spec.max_length
                schema.add_field(name, DataType.ARRAY, **kwargs)
            else:
                if spec.type == "varchar":
                    kwargs["max_length"] = spec.max_length
                schema.add_field(name, SCALAR_TYPES[spec.type], **kwargs)

    def add_indexes(self, params: Any) -> None:
        """Add the scalar index of each indexed column to pymilvus ``IndexParams``.

        Array columns get none: neither Milvus Lite generation indexes them ("field type ARRAY does not support
        scalar index"); a partition key needs none.
        """
        for name, spec in self._fields.items():
            if spec.index and not spec.partition_key and spec.element is None:
                params.add_index(field_name=name, index_type="INVERTED")

    def for_engine(self, engine: Engine, metadatas: Sequence[Mapping[str, Any]]) -> MetadataFields:
        """The columns an engine can keep for these documents; the others' keys stay in the JSON field.

        Array columns stay in JSON where the engine cannot return them (Milvus Lite 2.5), and so do columns
        that some document lacks where the engine has no nulls.
        """
        kept = {}
        for name, spec in self._fields.items():
            if spec.element is not None and not engine.array_columns:
                continue
            if not engine.null_values and any(meta.get(name) is None for meta in metadatas):
                continue
            kept[name] = spec
        return MetadataFields(kept)

    @classmethod
    def of_collection(cls, description: Mapping[str, Any]) -> MetadataFields:
        """The columns of an existing collection, read from its description (none for a JSON-only one)."""
        found: dict[str, MetadataField] = {}
        by_type = {dtype: name for name, dtype in SCALAR_TYPES.items()}
        listed = set(filter(None, str((description.get("properties") or {}).get(PROPERTY, "")).split(",")))
        for column in description.get("fields", []):
            if column.get("description") != MARK and column["name"] not in listed:
                continue
            params = column.get("params", {})
            if column["type"] == DataType.ARRAY:
                kind = f"array<{by_type[column['element_type']]}>"
            else:
                kind = by_type[column["type"]]
            found[column["name"]] = MetadataField(
                kind,
                max_length=int(params.get("max_length", DEFAULT_MAX_LENGTH)),
                max_capacity=int(params.get("max_capacity", DEFAULT_MAX_CAPACITY)),
                nullable=bool(column.get("nullable", False)),
                partition_key=bool(column.get("is_partition_key", False)),
            )
        return cls(found)

    def check_against(self, stored: MetadataFields, collection: str) -> None:
        """Refuse a declaration that differs from the columns ``collection`` has.

        Raises:
            SchemaMismatchError: Naming the first difference.
        """
        if not self._fields or self.proposed:
            return
        for name in [*self, *(key for key in stored if key not in self._fields)]:
            mine, theirs = self._fields.get(name), stored._fields.get(name)
            if mine is None or theirs is None or _comparable(mine) != _comparable(theirs):
                have = theirs.described if theirs is not None else "no column"
                want = mine.described if mine is not None else "no column"
                raise SchemaMismatchError(
                    f"collection {collection!r} exists with other metadata fields: {name!r} is {have} there, "
                    f"{want} in fields=. Open it without fields= to use its own, or pass drop_existing=True."
                )


def _comparable(field: MetadataField) -> MetadataField:
    """What a collection's description tells of a column (not its index; no partition key on Milvus Lite 2.5)."""
    return replace(field, index=True, partition_key=False)
