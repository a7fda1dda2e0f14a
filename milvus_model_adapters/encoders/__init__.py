"""Encoders: dense (any pymilvus-model dense function, the bundled model, ONNX Runtime), sparse, and their caches."""

from milvus_model_adapters.encoders.dense import Backend, DenseEncoder, DenseFunction, DenseSource, as_dense_encoder
from milvus_model_adapters.encoders.embedding_cache import EmbeddingCache
from milvus_model_adapters.encoders.sparse import SparseEncoder

__all__ = [
    "Backend",
    "DenseEncoder",
    "DenseFunction",
    "DenseSource",
    "EmbeddingCache",
    "SparseEncoder",
    "as_dense_encoder",
]
