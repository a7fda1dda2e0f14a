"""LangChain ``Embeddings`` over the core dense encoder."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ConfigDict, Field

from milvus_model_adapters.encoders import DenseEncoder, DenseSource
from milvus_model_adapters.encoders import as_dense_encoder as core_dense_encoder


class MilvusModelEmbeddings(BaseModel, Embeddings):
    """Dense embeddings from any pymilvus-model dense function; all-MiniLM-L6-v2 offline by default.

    Setup:
        ```bash
        pip install "milvus-model-adapters[langchain]"
        ```

    Key init args:
        - ``encoder`` (DenseEncoder): The core encoder (default: the bundled all-MiniLM-L6-v2, 384 dimensions, no
          download). ``MilvusModelEmbeddings.from_function(f)`` wraps any pymilvus-model dense function
          (``OpenAIEmbeddingFunction``, BGE-M3's dense output, ...).

    Instantiate:
        ```python
        from milvus_model_adapters.langchain import MilvusModelEmbeddings

        embeddings = MilvusModelEmbeddings()
        ```

    Embed single text:
        ```python
        vector = embeddings.embed_query("What is Milvus Lite?")
        print(len(vector))
        ```

        ```text
        384
        ```

    Embed multiple texts:
        ```python
        vectors = embeddings.embed_documents(["Milvus Lite runs in-process.", "BM25 counts terms."])
        assert len(vectors) == 2
        ```

    Async:
        ```python
        import asyncio

        vector = asyncio.run(embeddings.aembed_query("What is Milvus Lite?"))
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    encoder: DenseEncoder = Field(default_factory=DenseEncoder.default)
    """The core encoder; documents and queries keep their separate paths."""

    @classmethod
    def from_function(cls, function: Any, **kwargs: Any) -> MilvusModelEmbeddings:
        """Wrap a pymilvus-model dense function (``OpenAIEmbeddingFunction``, ``BGEM3`` dense, ...)."""
        return cls(encoder=DenseEncoder(function, **kwargs))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents (the function's document path)."""
        return self.encoder.encode_documents(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """Embed a query (the function's query path)."""
        return self.encoder.encode_query(text).tolist()  # type: ignore[no-any-return]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents in a worker thread."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query in a worker thread."""
        return await asyncio.to_thread(self.embed_query, text)


class LangChainDenseFunction:
    """Presents a LangChain ``Embeddings`` as a pymilvus-model style dense function to the core."""

    def __init__(self, embeddings: Embeddings) -> None:
        self.embeddings = embeddings

    def encode_documents(self, documents: list[str]) -> list[list[float]]:
        """Embed documents with ``embed_documents``."""
        return self.embeddings.embed_documents(documents)

    def encode_queries(self, queries: list[str]) -> list[list[float]]:
        """Embed queries with ``embed_query``."""
        return [self.embeddings.embed_query(q) for q in queries]

    def __repr__(self) -> str:
        return f"LangChainDenseFunction({type(self.embeddings).__name__})"


def as_dense_encoder(embedding: Embeddings | DenseSource | None) -> DenseEncoder:
    """The core encoder for a LangChain ``Embeddings``, a core encoder, a pymilvus-model function or ``None``."""
    if isinstance(embedding, Embeddings) and not isinstance(embedding, MilvusModelEmbeddings):
        return core_dense_encoder(LangChainDenseFunction(embedding))
    return core_dense_encoder(embedding)
