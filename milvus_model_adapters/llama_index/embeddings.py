"""LlamaIndex ``BaseEmbedding`` over the core dense encoder."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from milvus_model_adapters.encoders import DenseEncoder, DenseFunction, DenseSource
from milvus_model_adapters.encoders import as_dense_encoder as core_dense_encoder


class MilvusModelEmbedding(BaseEmbedding):
    """Dense embeddings from any pymilvus-model dense function; all-MiniLM-L6-v2 offline by default.

    Works as ``Settings.embed_model`` and in ``VectorStoreIndex``. Queries go through the function's
    query path and texts through its document path.

    Args:
        encoder: A core ``DenseEncoder`` or a pymilvus-model dense function (default: the bundled MiniLM).
        embed_batch_size: Texts per call to the model.

    Examples:
        ```python
        from llama_index.core import Settings
        from milvus_model_adapters.llama_index import MilvusModelEmbedding

        Settings.embed_model = MilvusModelEmbedding()
        print(len(Settings.embed_model.get_query_embedding("What is Milvus Lite?")))
        ```
    """

    _encoder: DenseEncoder = PrivateAttr()

    def __init__(
        self, encoder: DenseEncoder | DenseFunction | None = None, *, embed_batch_size: int = 64, **kwargs: Any
    ) -> None:
        """Wrap a core encoder or a pymilvus-model dense function (default: bundled MiniLM)."""
        if encoder is None:
            enc = DenseEncoder.default(batch_size=embed_batch_size)
        elif isinstance(encoder, DenseEncoder):
            enc = encoder
        else:
            enc = DenseEncoder(encoder, batch_size=embed_batch_size)
        name = str(getattr(enc.function, "model_name", type(enc.function).__name__))
        super().__init__(model_name=kwargs.pop("model_name", name), embed_batch_size=embed_batch_size, **kwargs)
        self._encoder = enc

    @classmethod
    def class_name(cls) -> str:
        """Name under which LlamaIndex serialises the component."""
        return "MilvusModelEmbedding"

    @property
    def encoder(self) -> DenseEncoder:
        """The core encoder."""
        return self._encoder

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.encode_query(query).tolist()  # type: ignore[no-any-return]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode_documents([text])[0].tolist()  # type: ignore[no-any-return]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode_documents(texts).tolist()  # type: ignore[no-any-return]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)


class LlamaIndexDenseFunction:
    """Presents a LlamaIndex ``BaseEmbedding`` as a pymilvus-model style dense function to the core."""

    def __init__(self, embed_model: BaseEmbedding) -> None:
        self.embed_model = embed_model

    def encode_documents(self, documents: list[str]) -> list[list[float]]:
        """Embed documents with ``get_text_embedding_batch``."""
        return self.embed_model.get_text_embedding_batch(documents)

    def encode_queries(self, queries: list[str]) -> list[list[float]]:
        """Embed queries with ``get_query_embedding``."""
        return [self.embed_model.get_query_embedding(q) for q in queries]

    def __repr__(self) -> str:
        return f"LlamaIndexDenseFunction({type(self.embed_model).__name__})"


def as_dense_encoder(embed_model: BaseEmbedding | DenseSource | None) -> DenseEncoder:
    """The core encoder for a LlamaIndex ``BaseEmbedding``, a core encoder, a pymilvus-model function or ``None``."""
    if isinstance(embed_model, BaseEmbedding) and not isinstance(embed_model, MilvusModelEmbedding):
        return core_dense_encoder(LlamaIndexDenseFunction(embed_model))
    return core_dense_encoder(embed_model)
