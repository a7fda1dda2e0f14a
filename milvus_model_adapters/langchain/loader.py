"""A LangChain document loader: files to chunked ``Document`` objects, as ``mma index`` writes them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from os import PathLike

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from milvus_model_adapters.files import FileChunks, Skipped


class FileChunkLoader(BaseLoader):
    """Load text, Markdown, PDF, HTML and Word files (and folders, JSONL files) as chunks.

    Each ``Document`` is one chunk with the id and the metadata ``mma index`` gives it: ``source``,
    ``title`` where the file has one, ``page_start`` / ``page_end`` for a PDF (from 1), ``chunk``
    and ``fingerprint``. Give them to ``MilvusHybridVectorStore.add_documents`` (or any vector
    store); the ids make a second load of the same files replace the same rows. PDF, HTML and Word
    need the ``documents`` extra.

    Files in folders that are not loaded (unsupported type, empty, no text layer, unreadable) are
    in :attr:`skipped` after a load, each logged as a warning; a named file that cannot be read
    raises ``InvalidInputError``.

    Example:
        ```python
        from pathlib import Path

        from milvus_model_adapters.langchain import FileChunkLoader, MilvusHybridVectorStore

        Path("notes").mkdir(exist_ok=True)
        Path("notes/kettle.md").write_text("To descale a kettle, boil vinegar and water.")
        loader = FileChunkLoader("notes/", include=["*.md", "*.pdf", "*.html", "*.docx"])
        store = MilvusHybridVectorStore.from_documents(loader.load(), uri="./loaded.db")
        print(store.similarity_search("descale", k=1)[0].metadata["source"], loader.skipped)
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
        """Name the files and folders to load.

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

    def lazy_load(self) -> Iterator[Document]:
        """Yield the chunks file by file.

        Raises:
            InvalidInputError: For a missing path, or a named file that cannot be read.
            MissingDependencyError: If a PDF, HTML or Word file is met without the ``documents`` extra.
        """
        for chunk in self.files:
            yield Document(page_content=chunk.text, metadata=chunk.metadata, id=chunk.id)
