"""Documents before they are written: ids, metadata checks, duplicates."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from milvus_model_adapters._validate import check_texts
from milvus_model_adapters.errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.fields import MetadataFields
from milvus_model_adapters.store.filters.emit import one_of
from milvus_model_adapters.store.types import Document

logger = logging.getLogger(__name__)

_INT64 = (-(2**63), 2**63 - 1)


def content_id(text: str, metadata: Mapping[str, Any] | None = None, *, namespace: str | None = None) -> str:
    """A stable id for a document: SHA-256 of its text and metadata (and ``namespace``, if any), hex, 32 characters."""
    content: list[Any] = [text, dict(metadata or {})] if namespace is None else [text, dict(metadata or {}), namespace]
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def prepare(
    texts: Sequence[str],
    metadatas: Sequence[Mapping[str, Any] | None] | None,
    ids: Sequence[str | None] | None,
    embeddings: Sequence[Sequence[float]] | None = None,
    *,
    dim: int = 0,
    dedupe: bool = True,
    namespace: str | None = None,
) -> tuple[list[Document], list[str]]:
    """Check a batch and give each text its id.

    A missing id (``ids=None``, or ``None`` in the list) is the ``content_id`` of the text and
    its metadata, so the same document twice is one row; with ``dedupe=False`` it is a new random id,
    so every text is a row of its own. An id given twice for the same document is one row; given for
    two different documents it is ambiguous and refused. ``embeddings``, if given, are one dense
    vector of ``dim`` numbers per text. ``namespace`` (a tenant) is part of every content id, so two
    tenants adding the same document get two ids.

    Returns:
        The documents to write (one per distinct id), and the id of every text in input order.

    Raises:
        InvalidInputError: On empty texts, mismatched lengths, text or ids too long for Milvus, or one id
            given to two different documents.
        InvalidTypeError: On non-string texts or ids, or metadata that is not a JSON object Milvus stores.
        DimensionMismatchError: If an embedding does not have ``dim`` numbers.
    """
    items = check_texts(texts, what="texts")
    n = len(items)
    if metadatas is None:
        metas: list[dict[str, Any]] = [{} for _ in range(n)]
    else:
        if isinstance(metadatas, Mapping) or len(metadatas) != n:
            raise InvalidInputError(f"metadatas must be a list with one entry per text ({n})")
        metas = [check_metadata(m, i) for i, m in enumerate(metadatas)]
    if ids is not None and (isinstance(ids, str) or len(ids) != n):
        raise InvalidInputError(f"ids must be a list with one id per text ({n})")
    given = list(ids) if ids is not None else [None] * n
    if not dedupe:
        keys = [_random_id() if i is None else check_id(i) for i in given]
    else:
        keys = [
            content_id(t, m, namespace=namespace) if i is None else check_id(i)
            for i, t, m in zip(given, items, metas, strict=True)
        ]
    for i, text in enumerate(items):
        size = len(text.encode("utf-8"))
        if size > schema.TEXT_MAX_BYTES:
            raise InvalidInputError(
                f"texts[{i}] is {size} bytes; the limit is {schema.TEXT_MAX_BYTES}: split it into chunks"
            )
    vectors = check_embeddings(embeddings, n, dim) if embeddings is not None else [None] * n
    first: dict[str, int] = {}
    for i, key in enumerate(keys):
        j = first.setdefault(key, i)
        if j != i and (items[i], metas[i], vectors[i]) != (items[j], metas[j], vectors[j]):
            raise InvalidInputError(
                f"texts[{j}] and texts[{i}] are different documents with the same id {key!r}; "
                "give each document its own id (nothing was written)"
            )
    if len(first) < n:
        logger.info("%d of %d documents repeat a document of the same call; it is written once", n - len(first), n)
    docs = [Document(key, items[i], metas[i], vectors[i]) for key, i in first.items()]
    return docs, keys


def _random_id() -> str:
    """A new id for a document that may be stored more than once (``dedupe=False``)."""
    return uuid.uuid4().hex


def check_embeddings(embeddings: Any, n: int, dim: int) -> list[list[float] | None]:
    """``embeddings`` as lists of floats, if there is one finite vector of ``dim`` numbers per text."""
    if isinstance(embeddings, str | bytes | Mapping) or len(embeddings) != n:
        raise InvalidInputError(f"embeddings must be a list with one vector per text ({n})")
    out: list[list[float] | None] = []
    for i, vector in enumerate(embeddings):
        try:
            values = [float(x) for x in vector]
        except (TypeError, ValueError):
            raise InvalidTypeError(f"embeddings[{i}] must be a sequence of numbers") from None
        if len(values) != dim:
            raise DimensionMismatchError(
                f"embeddings[{i}] has {len(values)} numbers; the collection's vectors have {dim}"
            )
        if not all(math.isfinite(x) for x in values):
            raise InvalidInputError(f"embeddings[{i}] holds NaN or infinity")
        out.append(values)
    return out


def check_query_vectors(vectors: Any, dim: int) -> npt.NDArray[np.float32]:
    """Query vectors as a float32 matrix, if each is ``dim`` finite numbers."""
    with np.errstate(over="ignore"):
        if not isinstance(vectors, str | bytes | Mapping):
            try:
                matrix = np.asarray(vectors, dtype=np.float32)
            except (TypeError, ValueError):
                matrix = None
            if matrix is not None and matrix.ndim == 2 and matrix.shape[1] == dim and np.isfinite(matrix).all():
                return matrix
        # Not a clean matrix: find the first bad vector and say what is wrong with it.
        matrix = np.asarray(check_embeddings(vectors, len(vectors), dim), dtype=np.float32)
    if not np.isfinite(matrix).all():
        raise InvalidInputError("query vectors hold values beyond the range of float32")
    return matrix


def check_metadata(meta: Any, i: int) -> dict[str, Any]:
    """``meta`` as a dict, if it is a JSON object Milvus can store exactly."""
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise InvalidTypeError(f"metadatas[{i}] must be a dict, got {type(meta).__name__}")
    out = dict(meta)
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"metadatas[{i}] is not JSON-serialisable ({exc})") from None
    _check_integers(out, f"metadatas[{i}]")
    return out


def _check_integers(value: Any, where: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
        raise InvalidTypeError(f"{where} holds {value}, beyond the 64-bit integers Milvus stores; store it as a string")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_integers(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            _check_integers(item, f"{where}[{n}]")


def check_id(value: Any) -> str:
    """``value`` if it is a string id Milvus accepts."""
    if not isinstance(value, str):
        raise InvalidTypeError(f"ids must be strings, got {type(value).__name__}")
    if not value or len(value.encode("utf-8")) > schema.ID_MAX_LENGTH:
        raise InvalidInputError(f"ids must be 1 to {schema.ID_MAX_LENGTH} bytes, got {len(value.encode('utf-8'))}")
    return value


def check_ids(ids: Any) -> list[str]:
    """``ids`` as a list of checked ids."""
    if isinstance(ids, str):
        raise InvalidTypeError("ids must be a list of strings, not a single string")
    return [check_id(i) for i in ids]


def ids_expression(ids: Any) -> str:
    """The Milvus expression that keeps the documents with these ids (checked as ``check_ids``)."""
    return one_of(schema.ID, list(check_ids(ids)))


def from_row(row: Mapping[str, Any], fields: MetadataFields | None = None) -> Document:
    """A document from a Milvus row (its metadata: the JSON field's keys and the typed columns of ``fields``)."""
    return Document(
        id=str(row[schema.ID]),
        text=str(row.get(schema.TEXT, "")),
        metadata=fields.joined(row, row.get(schema.METADATA)) if fields else dict(row.get(schema.METADATA) or {}),
        embedding=[float(x) for x in row[schema.DENSE]] if schema.DENSE in row else None,
    )
