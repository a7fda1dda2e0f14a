"""Rerankers: local (cosine, cross-encoder), API (Jina, Cohere, Voyage) and any pymilvus-model function."""

from milvus_model_adapters.rerank.api import (
    APIReranker,
    CohereReranker,
    JinaReranker,
    VoyageReranker,
    api_reranker,
)
from milvus_model_adapters.rerank.base import FunctionReranker, Reranker, RerankHit, as_reranker
from milvus_model_adapters.rerank.local import CosineReranker, CrossEncoderReranker

__all__ = [
    "APIReranker",
    "CohereReranker",
    "CosineReranker",
    "CrossEncoderReranker",
    "FunctionReranker",
    "JinaReranker",
    "RerankHit",
    "Reranker",
    "VoyageReranker",
    "api_reranker",
    "as_reranker",
]
