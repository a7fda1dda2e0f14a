"""Move a collection between databases as JSON Lines: Milvus Lite 2.5, Milvus Lite 3 and Milvus servers.

The two Milvus Lite generations cannot read each other's files, and a Milvus server has files of its
own. An export is engine-neutral: a header line, then one line per document with its id, text,
metadata and dense vector::

    {"format": "milvus-model-adapters/export", "version": 1, "collection": "documents", "dim": 384,
     "sparse": {"kind": "bm25", "k1": 1.5, ...}, "count": 2, "fields": {"year": {"type": "int64", ...}}}
    {"id": "a", "text": "...", "metadata": {"topic": "db", "year": 2001}, "dense": [0.0123, ...]}

``fields`` (absent in exports of collections without typed metadata columns) lists the typed columns, which
the import declares again where the target engine can keep them: array columns stay in the JSON field on
Milvus Lite 2.5 (pymilvus cannot read its empty answers there), and so does a column some document lacks a value of
(Milvus Lite 2.5 has no nulls). Metadata is written whole, so filters find the same documents either way.

Dense vectors are carried exactly (float32 values printed in full). BM25 statistics are rebuilt
from the texts on import with the exported settings, and every document is then encoded at the
final average length, so BM25 scores in the new database equal those of the old one after its
``refresh_bm25``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from milvus_model_adapters._progress import progress
from milvus_model_adapters.encoders.dense import DenseEncoder, DenseSource, as_dense_encoder
from milvus_model_adapters.errors import DimensionMismatchError, InvalidInputError, MilvusModelAdaptersError
from milvus_model_adapters.store import documents, schema
from milvus_model_adapters.store.connection import connect, disconnect, is_local_uri, milvus_errors
from milvus_model_adapters.store.engine import detect
from milvus_model_adapters.store.fields import MetadataField, MetadataFields
from milvus_model_adapters.store.hybrid import HybridStore
from milvus_model_adapters.store.sparse.factory import source_from_settings, source_of_collection
from milvus_model_adapters.store.types import Document

FORMAT = "milvus-model-adapters/export"
VERSION = 1
_ROW_KEYS = frozenset({"id", "text", "metadata", "dense"})


@dataclass(frozen=True)
class ExportHeader:
    """The first line of an export: where it came from and how to rebuild the collection."""

    collection: str
    dim: int
    sparse: dict[str, Any]
    count: int
    fields: MetadataFields = field(default_factory=MetadataFields)


def export_database(
    uri: str | os.PathLike[str],
    out: IO[str],
    collection: str = "documents",
    *,
    token: str | None = None,
    db_name: str | None = None,
    show_progress: bool = False,
) -> int:
    """Write every document of an existing collection to ``out``; returns how many.

    No model is loaded (vectors are read, not computed) and nothing in the database is changed.

    Raises:
        InvalidInputError: If there is no database at ``uri`` or no such collection in it.
        LiteGenerationError: If the file belongs to the other Milvus Lite generation.
    """
    target = os.fspath(uri)
    if is_local_uri(target) and not os.path.exists(target):
        raise InvalidInputError(f"no database at {target}")
    client = connect(target, token=token, db_name=db_name)
    try:
        with milvus_errors(f"read collection {collection!r}"):
            names = client.list_collections()
            if collection not in names:
                raise InvalidInputError(f"no collection {collection!r} in {target}; it holds {sorted(names)}")
            description = client.describe_collection(collection)
        dense = DenseEncoder(_NoModel(), dim=schema.dense_dim(description))
        sparse = source_of_collection(description)
        with HybridStore(target, collection, dense=dense, sparse=sparse, client=client) as store:
            return export_collection(store, out, show_progress=show_progress)
    finally:
        disconnect(client, target)


class _NoModel:
    """A dense function for reading a collection: its vectors are read, never computed."""

    def _refuse(self, texts: list[str]) -> Any:
        raise InvalidInputError("this store was opened to read its stored vectors and has no dense model")

    encode_documents = encode_queries = _refuse


def export_collection(store: HybridStore, out: IO[str], *, show_progress: bool = False) -> int:
    """Write every document of ``store`` to ``out`` as JSON Lines; returns how many.

    Nothing in the database is changed.
    """
    count = store.count()
    header = {
        "format": FORMAT,
        "version": VERSION,
        "collection": store.collection,
        "dim": store.dense.dim,
        "sparse": store.sparse.settings(),
        "count": count,
    }
    if store.fields:
        header["fields"] = fields_to_json(store.fields)
    out.write(json.dumps(header, ensure_ascii=False) + "\n")
    written = 0
    bar = progress(count, show_progress, "Exporting", "doc")
    try:
        for doc in store.documents(with_embeddings=True):
            row = {"id": doc.id, "text": doc.text, "metadata": doc.metadata, "dense": doc.embedding}
            out.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
            written += 1
            bar.update(1)
    finally:
        bar.close()
    return written


def export_header(path: str | os.PathLike[str]) -> ExportHeader:
    """The header of the export at ``path`` (its first line only; ``read_export`` checks the whole file).

    Raises:
        InvalidInputError: If the file does not start with the header of this format.
    """
    return _header(path, next(_lines(path), None))


def read_export(path: str | os.PathLike[str]) -> ExportHeader:
    """The header of the export at ``path``, after checking every line of the file.

    Raises:
        InvalidInputError: If the file is not an export of this format, a line is malformed (the
            message gives its number), an id repeats, or the count differs from the header's.
        InvalidTypeError: If a line holds a value of the wrong type.
        DimensionMismatchError: If a vector does not have the header's dimension.
        OSError: If the file cannot be read.
    """
    lines = _lines(path)
    header = _header(path, next(lines, None))
    seen: set[str] = set()
    for number, value in lines:
        doc = _document(path, number, value, header.dim)
        if doc.id in seen:
            raise InvalidInputError(f"{os.fspath(path)}, line {number}: id {doc.id!r} appears more than once")
        seen.add(doc.id)
    if len(seen) != header.count:
        raise InvalidInputError(
            f"{os.fspath(path)}: the header announces {header.count} documents, the file holds {len(seen)}"
        )
    return header


def import_collection(
    path: str | os.PathLike[str],
    uri: str | os.PathLike[str],
    collection: str | None = None,
    *,
    dense: DenseSource | None = None,
    token: str | None = None,
    db_name: str | None = None,
    batch_size: int = 1000,
    show_progress: bool = False,
) -> int:
    """Load an export into a new (or empty) collection; returns how many documents were written.

    The whole file is checked before the database is opened: a bad file writes nothing.

    Args:
        path: The export (from ``export_collection`` or ``mma export``).
        uri: Target database: a Milvus Lite file or a server address.
        collection: Target collection (default: the exported collection's name).
        dense: The dense model of the exported collection, for the target's queries (default: the
            embedded MiniLM); its dimension must be the exported vectors'.
        token: Server credentials.
        db_name: Server database name.
        batch_size: Documents per write.
        show_progress: Show a progress bar.

    Raises:
        InvalidInputError: On a malformed file, or a target collection that already holds documents.
        DimensionMismatchError: If ``dense`` does not have the exported vectors' dimension.
    """
    header = read_export(path)
    encoder = as_dense_encoder(dense)
    if encoder.dim != header.dim:
        raise DimensionMismatchError(
            f"the exported vectors have {header.dim} dimensions; the dense model given has {encoder.dim}"
        )
    name = collection or header.collection
    fields = _fields_for_target(header, path, uri, token=token, db_name=db_name)
    store = HybridStore(
        uri,
        name,
        dense=encoder,
        sparse=source_from_settings(header.sparse),
        token=token,
        db_name=db_name,
        fields=fields,
    )
    try:
        if store.count():
            raise InvalidInputError(
                f"collection {name!r} in {os.fspath(uri)} already holds {store.count()} documents; "
                "import into a new collection (--collection) or another database"
            )
        bar = progress(header.count, show_progress, "Importing", "doc")
        try:
            batch: list[Document] = []
            for number, value in _rows(path):
                batch.append(_document(path, number, value, header.dim))
                if len(batch) >= batch_size:
                    _write(store, batch)
                    bar.update(len(batch))
                    batch = []
            if batch:
                _write(store, batch)
                bar.update(len(batch))
        finally:
            bar.close()
        if store.bm25 is not None:
            store.refresh_bm25()
        return store.count()
    finally:
        store.close()


def _fields_for_target(
    header: ExportHeader, path: str | os.PathLike[str], uri: str | os.PathLike[str], **connection: Any
) -> MetadataFields:
    """The exported columns the target engine can keep for these documents (``MetadataFields.for_engine``)."""
    if not header.fields:
        return header.fields
    target = os.fspath(uri)
    client = connect(target, **connection)
    try:
        engine = detect(client, local=is_local_uri(target))
    finally:
        disconnect(client, target)
    metadatas = [value["metadata"] for _, value in _rows(path)]
    return header.fields.for_engine(engine, metadatas)


def _write(store: HybridStore, batch: list[Document]) -> None:
    store.add(
        [d.text for d in batch],
        metadatas=[d.metadata for d in batch],
        ids=[d.id for d in batch],
        embeddings=[d.embedding or [] for d in batch],
        batch_size=len(batch),
    )


def _lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, Any]]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{os.fspath(path)}, line {number}: not JSON ({exc.msg})") from None


def _rows(path: str | os.PathLike[str]) -> Iterator[tuple[int, Any]]:
    lines = _lines(path)
    next(lines, None)
    return lines


def _header(path: str | os.PathLike[str], first: tuple[int, Any] | None) -> ExportHeader:
    value = first[1] if first else None
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise InvalidInputError(f"{os.fspath(path)} is not an export of milvus-model-adapters (no {FORMAT!r} header)")
    if value.get("version") != VERSION:
        raise InvalidInputError(
            f"{os.fspath(path)} is an export of version {value.get('version')!r}; this release reads version {VERSION}"
        )
    try:
        header = ExportHeader(
            collection=str(value["collection"]),
            dim=int(value["dim"]),
            sparse=dict(value["sparse"]),
            count=int(value["count"]),
            fields=fields_from_json(value.get("fields", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"{os.fspath(path)}: malformed header ({exc!r})") from None
    source_from_settings(header.sparse)  # unknown or broken settings fail here
    return header


def fields_to_json(fields: MetadataFields) -> dict[str, dict[str, Any]]:
    """An export header's ``fields``: name -> type, lengths, nullability, partition key."""
    return {
        name: {
            "type": f.type,
            "max_length": f.max_length,
            "max_capacity": f.max_capacity,
            "nullable": f.nullable,
            "partition_key": f.partition_key,
        }
        for name, f in fields.items()
    }


def fields_from_json(value: Any) -> MetadataFields:
    """The columns of an export header's ``fields``.

    Raises:
        InvalidInputError: On a malformed declaration.
    """
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise InvalidInputError(f"metadata fields must be an object of name -> declaration, got {value!r}")
    try:
        return MetadataFields({name: MetadataField(**spec) for name, spec in value.items()})
    except TypeError as exc:
        raise InvalidInputError(f"malformed metadata field declaration ({exc})") from None


def _document(path: str | os.PathLike[str], number: int, value: Any, dim: int) -> Document:
    where = f"{os.fspath(path)}, line {number}"
    if not isinstance(value, dict) or set(value) != _ROW_KEYS:
        raise InvalidInputError(f"{where}: a document is an object with exactly the keys {sorted(_ROW_KEYS)}")
    try:
        docs, _ = documents.prepare([value["text"]], [value["metadata"]], [value["id"]], [value["dense"]], dim=dim)
    except MilvusModelAdaptersError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    return docs[0]
