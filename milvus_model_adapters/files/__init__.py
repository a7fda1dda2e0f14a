"""Files to chunks: reading text, Markdown, PDF, HTML and Word files, chunking them, and what was skipped.

What ``mma index`` reads and writes, and what the LangChain loader and the LlamaIndex reader yield.
PDF, HTML and Word files need the ``documents`` extra (``pip install "milvus-model-adapters[documents]"``),
imported when the first such file is read.
"""

from milvus_model_adapters.files.chunking import Span, chunk_spans, chunk_text
from milvus_model_adapters.files.chunks import Chunk, FileChunks, chunk_document, iter_chunks
from milvus_model_adapters.files.readers import (
    FORMATS,
    INSTALL_HINT,
    Extracted,
    NoTextLayerError,
    UnreadableError,
    citation,
    read_document,
)
from milvus_model_adapters.files.sources import (
    SKIP_REASONS,
    SUPPORTED_SUFFIXES,
    Skipped,
    SourceDocument,
    Sources,
    collect_sources,
    iter_sources,
)

__all__ = [
    "FORMATS",
    "INSTALL_HINT",
    "SKIP_REASONS",
    "SUPPORTED_SUFFIXES",
    "Chunk",
    "Extracted",
    "FileChunks",
    "NoTextLayerError",
    "Skipped",
    "SourceDocument",
    "Sources",
    "Span",
    "UnreadableError",
    "chunk_document",
    "chunk_spans",
    "chunk_text",
    "citation",
    "collect_sources",
    "iter_chunks",
    "iter_sources",
    "read_document",
]
