"""The framework-free hybrid search core: store, search parameters, fusion, filters, sparse routes."""

from milvus_model_adapters.store.bm25_route import ClientBM25
from milvus_model_adapters.store.documents import content_id
from milvus_model_adapters.store.filters import Filter, compile_filter
from milvus_model_adapters.store.fusion import RRF, Weighted
from milvus_model_adapters.store.hybrid import HybridStore
from milvus_model_adapters.store.params import SearchOptions, SearchParams
from milvus_model_adapters.store.sparse_route import BuiltinBM25, SparseRoute
from milvus_model_adapters.store.types import Document, Hit, SearchMode

__all__ = [
    "RRF",
    "BuiltinBM25",
    "ClientBM25",
    "Document",
    "Filter",
    "Hit",
    "HybridStore",
    "SearchMode",
    "SearchOptions",
    "SearchParams",
    "SparseRoute",
    "Weighted",
    "compile_filter",
    "content_id",
]
