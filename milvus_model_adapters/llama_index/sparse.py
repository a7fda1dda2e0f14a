"""Sparse embeddings for LlamaIndex: core ``BaseSparseEmbedding`` and the Milvus store's sparse function.

One class serves both interfaces: llama-index-core's ``BaseSparseEmbedding`` and, when
llama-index-vector-stores-milvus is installed, its ``BaseSparseEmbeddingFunction`` (so it can be
passed as ``MilvusVectorStore(sparse_embedding_function=...)``) without making that package a
dependency. Documents are encoded in one batch, not one node at a time.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.embeddings.base_sparse import BaseSparseEmbedding
from pydantic import PrivateAttr

from milvus_model_adapters._deps import is_installed
from milvus_model_adapters.encoders import SparseEncoder

if TYPE_CHECKING or not is_installed("llama_index.vector_stores.milvus"):

    class BaseSparseEmbeddingFunction(ABC):  # noqa: B024
        """The interface of ``llama_index.vector_stores.milvus.utils.BaseSparseEmbeddingFunction``."""

        @abstractmethod
        def encode_queries(self, queries: list[str]) -> list[dict[int, float]]:
            """Encode queries."""

        @abstractmethod
        def encode_documents(self, documents: list[str]) -> list[dict[int, float]]:
            """Encode documents."""

else:
    from llama_index.vector_stores.milvus.utils import BaseSparseEmbeddingFunction


class MilvusModelSparseEmbedding(BaseSparseEmbedding, BaseSparseEmbeddingFunction):  # type: ignore[misc]
    """BM25 (offline analyzer) or a pymilvus-model sparse function, for LlamaIndex.

    Both LlamaIndex sparse interfaces in one: llama-index-core's ``BaseSparseEmbedding`` and, where
    llama-index-vector-stores-milvus is installed, its ``BaseSparseEmbeddingFunction`` (give it to
    ``MilvusVectorStore(sparse_embedding_function=...)``).

    Args:
        function: A ``BM25Encoder``, a core ``SparseEncoder`` or any pymilvus-model sparse function
            (``BM25EmbeddingFunction``, ``SpladeEmbeddingFunction``, ...).

    Examples:
        ```python
        from milvus_model_adapters.llama_index import MilvusModelSparseEmbedding

        sparse = MilvusModelSparseEmbedding.bm25(corpus=["the wing lift", "the engine thrust"])
        query = sparse.get_query_embedding("wing")
        assert all(isinstance(k, int) and v > 0 for k, v in query.items())
        ```
    """

    _encoder: SparseEncoder = PrivateAttr()

    def __init__(self, function: Any, **kwargs: Any) -> None:
        """Wrap a ``BM25Encoder`` or a pymilvus-model sparse function."""
        encoder = function if isinstance(function, SparseEncoder) else SparseEncoder(function)
        super().__init__(model_name=kwargs.pop("model_name", type(encoder.function).__name__), **kwargs)
        self._encoder = encoder

    @classmethod
    def bm25(cls, corpus: Sequence[str] | None = None, **kwargs: Any) -> MilvusModelSparseEmbedding:
        """BM25 with the offline analyzer, fitted on ``corpus`` if given (``language="de"``, BM25Encoder settings)."""
        return cls(SparseEncoder.bm25(corpus, **kwargs))

    @classmethod
    def class_name(cls) -> str:
        """Name under which LlamaIndex serialises the component."""
        return "MilvusModelSparseEmbedding"

    @property
    def encoder(self) -> SparseEncoder:
        """The core sparse encoder."""
        return self._encoder

    # llama-index-core BaseSparseEmbedding
    def _get_query_embedding(self, query: str) -> dict[int, float]:
        return self._encoder.encode_query(query)

    async def _aget_query_embedding(self, query: str) -> dict[int, float]:
        return await asyncio.to_thread(self._get_query_embedding, query)

    def _get_text_embedding(self, text: str) -> dict[int, float]:
        return self._encoder.encode_documents([text])[0]

    async def _aget_text_embedding(self, text: str) -> dict[int, float]:
        return await asyncio.to_thread(self._get_text_embedding, text)

    def _get_text_embeddings(self, texts: list[str]) -> list[dict[int, float]]:
        return self._encoder.encode_documents(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[dict[int, float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)

    # llama-index-vector-stores-milvus BaseSparseEmbeddingFunction
    def encode_queries(self, queries: list[str]) -> list[dict[int, float]]:
        """Sparse vectors of queries."""
        return self._encoder.encode_queries(queries)

    def encode_documents(self, documents: list[str]) -> list[dict[int, float]]:
        """Sparse vectors of documents, in one batch."""
        return self._encoder.encode_documents(documents)

    async def async_encode_queries(self, queries: list[str]) -> list[dict[int, float]]:
        """Sparse vectors of queries, in a worker thread."""
        return await asyncio.to_thread(self.encode_queries, queries)

    async def async_encode_documents(self, documents: list[str]) -> list[dict[int, float]]:
        """Sparse vectors of documents, in a worker thread."""
        return await asyncio.to_thread(self.encode_documents, documents)
