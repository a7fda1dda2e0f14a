"""Files to chunks with their ids and metadata: what ``mma index`` writes, and what the loaders yield."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from typing import Any

from milvus_model_adapters.files.chunking import chunk_spans
from milvus_model_adapters.files.sources import Skipped, SourceDocument, iter_sources
from milvus_model_adapters.store import content_id

logger = logging.getLogger(__name__)


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


class FileChunks:
    """The chunks of some files and folders, read anew at each iteration, and what the last one did not read.

    What the LangChain loader and the LlamaIndex reader hold: they translate each ``Chunk`` to their document.
    """

    def __init__(
        self,
        paths: str | PathLike[str] | Sequence[str | PathLike[str]],
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        chunk_words: int = 180,
        chunk_overlap: int = 30,
    ) -> None:
        """Name the files and folders (see ``iter_chunks`` for the options)."""
        items = [paths] if isinstance(paths, str | PathLike) else list(paths)
        self.paths = [str(p) for p in items]
        self.include = list(include)
        self.exclude = list(exclude)
        self.chunk_words = chunk_words
        self.chunk_overlap = chunk_overlap
        self.skipped: list[Skipped] = []
        """The files (and JSONL records) the last iteration did not read, with their reasons."""

    def __iter__(self) -> Iterator[Chunk]:
        """The chunks file by file; each file not read is logged as a warning once the files are read.

        Raises:
            InvalidInputError: For a missing path, or a named file that cannot be read.
            MissingDependencyError: If a PDF, HTML or Word file is met without the ``documents`` extra.
        """
        self.skipped = []
        yield from iter_chunks(
            self.paths,
            include=self.include,
            exclude=self.exclude,
            chunk_words=self.chunk_words,
            chunk_overlap=self.chunk_overlap,
            skipped=self.skipped,
        )
        for skipped in self.skipped:
            logger.warning("not read: %s (%s: %s)", skipped.source, skipped.reason, skipped.detail)
