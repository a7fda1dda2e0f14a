"""The framework-free hybrid search core: store, fusion, filters."""

from milvus_model_adapters.store.filters import Filter, compile_filter
from milvus_model_adapters.store.fusion import RRF, Weighted
from milvus_model_adapters.store.hybrid import HybridStore, content_id
from milvus_model_adapters.store.types import Document, Hit, SearchMode

__all__ = [
    "RRF",
    "Document",
    "Filter",
    "Hit",
    "HybridStore",
    "SearchMode",
    "Weighted",
    "compile_filter",
    "content_id",
]
