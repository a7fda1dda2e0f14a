"""Files to chunks with their ids and metadata: what ``mma index`` writes, and what the loaders yield."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from milvus_model_adapters.files.chunking import chunk_spans
from milvus_model_adapters.files.sources import Skipped, SourceDocument, iter_sources
from milvus_model_adapters.store import content_id


@dataclass
class Chunk:
    """One chunk as ``mma index`` writes it: its id, its text and its metadata.

    The metadata holds the document's (``source``, ``title`` where the file has one, a JSONL
    record's fields), the ``fingerprint`` of its content, the chunk's number ``chunk`` from 0, and
    for a PDF the pages it comes from, ``page_start`` and ``page_end`` (from 1, both included).
    """

    id: str
    text: str
    metadata: dict[str, Any]


def chunk_document(doc: SourceDocument, *, chunk_words: int = 180, chunk_overlap: int = 30) -> list[Chunk]:
    """The chunks of one document, with the ids and metadata ``mma index`` gives them.

    Ids are made of the source and the fingerprint of its content, so the same file gives the same ids.

    Raises:
        InvalidInputError: If ``chunk_overlap`` is not smaller than ``chunk_words``.
    """
    segments = doc.pages if doc.pages is not None else [doc.text]
    spans = chunk_spans(segments, max_words=chunk_words, overlap=chunk_overlap)
    prefix = f"{content_id(doc.source)[:12]}-{doc.fingerprint}"
    chunks = []
    for i, span in enumerate(spans):
        metadata = {**doc.metadata, "fingerprint": doc.fingerprint, "chunk": i}
        if doc.pages is not None:
            metadata.update(page_start=span.first + 1, page_end=span.last + 1)
        chunks.append(Chunk(f"{prefix}-{i}", span.text, metadata))
    return chunks


def iter_chunks(
    paths: Sequence[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    chunk_words: int = 180,
    chunk_overlap: int = 30,
    skipped: list[Skipped] | None = None,
) -> Iterator[Chunk]:
    """The chunks of the files under ``paths``, file by file, as ``mma index`` writes them.

    Args:
        paths: Files and folders (see :func:`~milvus_model_adapters.files.sources.iter_sources`).
        include: Glob patterns of the files to read.
        exclude: Glob patterns of the files not to read.
        chunk_words: Most words in a chunk.
        chunk_overlap: Words shared by neighbouring chunks.
        skipped: Filled with the files (and JSONL records) not indexed, with their reasons.

    Raises:
        InvalidInputError: As ``iter_sources``, or if ``chunk_overlap`` is not smaller than ``chunk_words``.
        MissingDependencyError: If a PDF, HTML or Word file is met without the ``documents`` extra.
    """
    for doc in iter_sources(paths, include=include, exclude=exclude, skipped=skipped):
        yield from chunk_document(doc, chunk_words=chunk_words, chunk_overlap=chunk_overlap)
