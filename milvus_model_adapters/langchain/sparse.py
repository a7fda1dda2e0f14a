"""Sparse embeddings that ``langchain_milvus.Milvus`` accepts, over BM25 or any pymilvus-model sparse function.

``langchain_milvus.Milvus`` recognises sparse functions by ``isinstance(f, BaseSparseEmbedding)``.
When langchain-milvus is installed the class below derives from its ``BaseSparseEmbedding``; when
it is not, from an identical local interface, so langchain-milvus stays optional.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from milvus_model_adapters._deps import is_installed
from milvus_model_adapters.encoders import SparseEncoder

if TYPE_CHECKING or not is_installed("langchain_milvus"):

    class BaseSparseEmbedding(ABC):
        """The interface of ``langchain_milvus.utils.sparse.BaseSparseEmbedding``."""

        @abstractmethod
        def embed_query(self, query: str) -> dict[int, float]:
            """Embed query text."""

        @abstractmethod
        def embed_documents(self, texts: list[str]) -> list[dict[int, float]]:
            """Embed documents."""

else:
    from langchain_milvus.utils.sparse import BaseSparseEmbedding


class MilvusModelSparseEmbeddings(BaseSparseEmbedding):
    """BM25 (offline analyzer) or a pymilvus-model sparse function, as LangChain sparse embeddings.

    Vectors are ``dict[int, float]``, the form ``langchain_milvus.Milvus`` takes for a sparse field.

    Setup:
        ```bash
        pip install "milvus-model-adapters[langchain]"
        ```

    Key init args:
        - ``encoder`` (SparseEncoder | sparse function): What computes the vectors:
          ``MilvusModelSparseEmbeddings.bm25(corpus, language=...)`` fits BM25 on a corpus; any pymilvus-model
          sparse function (``BM25EmbeddingFunction``, ``SpladeEmbeddingFunction``, BGE-M3's sparse output) works as
          it is.

    Instantiate:
        ```python
        from milvus_model_adapters.langchain import MilvusModelSparseEmbeddings

        sparse = MilvusModelSparseEmbeddings.bm25(corpus=["the wing lift", "the engine thrust"])
        ```

    Embed single text:
        ```python
        query = sparse.embed_query("wing")
        assert all(isinstance(k, int) and v > 0 for k, v in query.items())
        ```

    Embed multiple texts:
        ```python
        vectors = sparse.embed_documents(["the wing lift", "the engine thrust"])
        ```

    Async:
        ```python
        import asyncio

        query = asyncio.run(sparse.aembed_query("wing"))
        ```
    """

    def __init__(self, function: Any) -> None:
        """Wrap a ``BM25Encoder`` or a pymilvus-model sparse function."""
        self.encoder = function if isinstance(function, SparseEncoder) else SparseEncoder(function)

    @classmethod
    def bm25(cls, corpus: Sequence[str] | None = None, **kwargs: Any) -> MilvusModelSparseEmbeddings:
        """BM25 with the offline analyzer, fitted on ``corpus`` if given (``language="de"``, BM25Encoder settings)."""
        return cls(SparseEncoder.bm25(corpus, **kwargs))

    def embed_query(self, query: str) -> dict[int, float]:
        """Sparse vector of a query."""
        return self.encoder.encode_query(query)

    def embed_documents(self, texts: list[str]) -> list[dict[int, float]]:
        """Sparse vectors of documents."""
        return self.encoder.encode_documents(texts)

    async def aembed_query(self, query: str) -> dict[int, float]:
        """Sparse vector of a query, in a worker thread."""
        return await asyncio.to_thread(self.embed_query, query)

    async def aembed_documents(self, texts: list[str]) -> list[dict[int, float]]:
        """Sparse vectors of documents, in a worker thread."""
        return await asyncio.to_thread(self.embed_documents, texts)

    def __repr__(self) -> str:
        return f"MilvusModelSparseEmbeddings({self.encoder.function!r})"
