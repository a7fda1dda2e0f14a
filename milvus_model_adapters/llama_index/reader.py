"""A LlamaIndex reader: files to chunked ``Document`` nodes, as ``mma index`` writes them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from typing import Any

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document

from milvus_model_adapters.files import FileChunks, Skipped

_HIDDEN_FROM_LLM = ["fingerprint", "chunk"]


class FileChunkReader(BaseReader):
    """Read text, Markdown, PDF, HTML and Word files (and folders, JSONL files) as chunks.

    Each ``Document`` is one chunk with the id and the metadata ``mma index`` gives it: ``source``,
    ``title`` where the file has one, ``page_start`` / ``page_end`` for a PDF (from 1), ``chunk``
    and ``fingerprint``. The chunks are already cut to the bundled model's window: build the index
    from them as nodes (``VectorStoreIndex(reader.load_data(), ...)``), not with a node parser.
    The metadata is left out of the embedded text (the store's BM25 and dense vectors see the
    chunk's text, as with ``mma index``) and ``fingerprint`` and ``chunk`` out of the LLM's.
    PDF, HTML and Word need the ``documents`` extra.

    Files in folders that are not read (unsupported type, empty, no text layer, unreadable) are in
    :attr:`skipped` after a load, each logged as a warning; a named file that cannot be read raises
    ``InvalidInputError``.

    Example:
        ```python
        from pathlib import Path

        from llama_index.core import StorageContext, VectorStoreIndex

        from milvus_model_adapters.llama_index import FileChunkReader, MilvusHybridVectorStore

        Path("notes").mkdir(exist_ok=True)
        Path("notes/kettle.md").write_text("To descale a kettle, boil vinegar and water.")
        store = MilvusHybridVectorStore(uri="./read.db")
        index = VectorStoreIndex(
            FileChunkReader("notes/").load_data(),  # chunks as nodes: no node parser
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=store.embed_model,
        )
        print(index.as_retriever(similarity_top_k=1).retrieve("descale")[0].node.metadata["source"])
        ```
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
        """Name the files and folders to read.

        Args:
            paths: A file or folder, or several.
            include: Glob patterns of the files to read (``*.pdf``, ``manuals/*``); all when empty.
            exclude: Glob patterns of the files not to read.
            chunk_words: Most words in a chunk (the default fits the bundled model's window).
            chunk_overlap: Words shared by neighbouring chunks.
        """
        self.files = FileChunks(
            paths, include=include, exclude=exclude, chunk_words=chunk_words, chunk_overlap=chunk_overlap
        )
        """The files and folders, and how they are chunked."""

    @property
    def skipped(self) -> list[Skipped]:
        """The files (and JSONL records) the last load did not read, with their reasons."""
        return self.files.skipped

    def lazy_load_data(self, *args: Any, **load_kwargs: Any) -> Iterable[Document]:
        """Yield the chunks file by file.

        Raises:
            InvalidInputError: For a missing path, or a named file that cannot be read.
            MissingDependencyError: If a PDF, HTML or Word file is met without the ``documents`` extra.
        """
        for chunk in self.files:
            yield Document(
                id_=chunk.id,
                text=chunk.text,
                metadata=chunk.metadata,
                excluded_embed_metadata_keys=list(chunk.metadata),
                excluded_llm_metadata_keys=[k for k in _HIDDEN_FROM_LLM if k in chunk.metadata],
            )

    def load_data(self, *args: Any, **load_kwargs: Any) -> list[Document]:
        """All the chunks at once (see :meth:`lazy_load_data`)."""
        return list(self.lazy_load_data(*args, **load_kwargs))
