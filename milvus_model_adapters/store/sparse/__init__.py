"""Where a store's sparse vectors come from: client-side BM25, Milvus's BM25, or a learned model."""

from milvus_model_adapters.store.sparse.base import NO_CHANGE, SparseChange, SparseSource
from milvus_model_adapters.store.sparse.builtin import BuiltinBM25
from milvus_model_adapters.store.sparse.client_bm25 import ClientBM25, term_id
from milvus_model_adapters.store.sparse.factory import source_from_settings, source_of_collection, sparse_source
from milvus_model_adapters.store.sparse.learned import LearnedSparse

__all__ = [
    "NO_CHANGE",
    "BuiltinBM25",
    "ClientBM25",
    "LearnedSparse",
    "SparseChange",
    "SparseSource",
    "source_from_settings",
    "source_of_collection",
    "sparse_source",
    "term_id",
]
