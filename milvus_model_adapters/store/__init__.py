"""The framework-free hybrid search core: store, search parameters, fusion, filters, sparse routes.

Names are imported on first use, so importing one module of the store (its schema, its filters)
does not import the whole store.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "HybridStore": "milvus_model_adapters.store.hybrid",
    "content_id": "milvus_model_adapters.store.documents",
    "Document": "milvus_model_adapters.store.types",
    "Hit": "milvus_model_adapters.store.types",
    "SearchMode": "milvus_model_adapters.store.types",
    "Filter": "milvus_model_adapters.store.filters",
    "compile_filter": "milvus_model_adapters.store.filters",
    "RRF": "milvus_model_adapters.store.search.fusion",
    "Weighted": "milvus_model_adapters.store.search.fusion",
    "SearchOptions": "milvus_model_adapters.store.search.params",
    "SearchParams": "milvus_model_adapters.store.search.params",
    "SparseRoute": "milvus_model_adapters.store.routes.base",
    "BuiltinBM25": "milvus_model_adapters.store.routes.builtin",
    "ClientBM25": "milvus_model_adapters.store.routes.client_bm25",
    "LearnedSparse": "milvus_model_adapters.store.routes.learned",
}

if TYPE_CHECKING:
    from milvus_model_adapters.store.documents import content_id
    from milvus_model_adapters.store.filters import Filter, compile_filter
    from milvus_model_adapters.store.hybrid import HybridStore
    from milvus_model_adapters.store.routes.base import SparseRoute
    from milvus_model_adapters.store.routes.builtin import BuiltinBM25
    from milvus_model_adapters.store.routes.client_bm25 import ClientBM25
    from milvus_model_adapters.store.routes.learned import LearnedSparse
    from milvus_model_adapters.store.search.fusion import RRF, Weighted
    from milvus_model_adapters.store.search.params import SearchOptions, SearchParams
    from milvus_model_adapters.store.types import Document, Hit, SearchMode


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'milvus_model_adapters.store' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = sorted(_EXPORTS)
