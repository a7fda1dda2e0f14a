"""The framework-free hybrid search core: store, search parameters, fusion, filters, sparse sources.

Names are imported on first use, so importing one module of the store (its schema, its filters)
does not import the whole store.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "HybridStore": "milvus_model_adapters.store.hybrid",
    "Collection": "milvus_model_adapters.store.collection",
    "content_id": "milvus_model_adapters.store.documents",
    "ids_expression": "milvus_model_adapters.store.documents",
    "Document": "milvus_model_adapters.store.types",
    "Hit": "milvus_model_adapters.store.types",
    "SearchMode": "milvus_model_adapters.store.types",
    "SEARCH_MODES": "milvus_model_adapters.store.types",
    "Filter": "milvus_model_adapters.store.filters",
    "combine": "milvus_model_adapters.store.filters",
    "compile_filter": "milvus_model_adapters.store.filters",
    "from_langchain_milvus": "milvus_model_adapters.store.filters",
    "MetadataField": "milvus_model_adapters.store.fields",
    "langchain_milvus_fields": "milvus_model_adapters.store.framework_fields",
    "llama_index_fields": "milvus_model_adapters.store.framework_fields",
    "MetadataFields": "milvus_model_adapters.store.fields",
    "infer_fields": "milvus_model_adapters.store.field_inference",
    "RRF": "milvus_model_adapters.store.search.fusion",
    "Weighted": "milvus_model_adapters.store.search.fusion",
    "Decay": "milvus_model_adapters.store.search.ranking",
    "Boost": "milvus_model_adapters.store.search.ranking",
    "Hits": "milvus_model_adapters.store.types",
    "SearchOptions": "milvus_model_adapters.store.search.params",
    "SearchParams": "milvus_model_adapters.store.search.params",
    "MAX_TOP_K": "milvus_model_adapters.store.search.params",
    "OPTION_NAMES": "milvus_model_adapters.store.search.params",
    "relevance_function": "milvus_model_adapters.store.search.relevance",
    "SparseSource": "milvus_model_adapters.store.sparse.base",
    "SparseChange": "milvus_model_adapters.store.sparse.base",
    "SparseRoute": "milvus_model_adapters.store.routes",
    "BuiltinBM25": "milvus_model_adapters.store.sparse.builtin",
    "ClientBM25": "milvus_model_adapters.store.sparse.client_bm25",
    "LearnedSparse": "milvus_model_adapters.store.sparse.learned",
}

if TYPE_CHECKING:  # "X as X": the names this package hands on
    from milvus_model_adapters.store.collection import Collection as Collection
    from milvus_model_adapters.store.documents import content_id as content_id
    from milvus_model_adapters.store.documents import ids_expression as ids_expression
    from milvus_model_adapters.store.field_inference import infer_fields as infer_fields
    from milvus_model_adapters.store.fields import MetadataField as MetadataField
    from milvus_model_adapters.store.fields import MetadataFields as MetadataFields
    from milvus_model_adapters.store.filters import Filter as Filter
    from milvus_model_adapters.store.filters import combine as combine
    from milvus_model_adapters.store.filters import compile_filter as compile_filter
    from milvus_model_adapters.store.filters import from_langchain_milvus as from_langchain_milvus
    from milvus_model_adapters.store.framework_fields import langchain_milvus_fields as langchain_milvus_fields
    from milvus_model_adapters.store.framework_fields import llama_index_fields as llama_index_fields
    from milvus_model_adapters.store.hybrid import HybridStore as HybridStore
    from milvus_model_adapters.store.routes import SparseRoute as SparseRoute
    from milvus_model_adapters.store.search.fusion import RRF as RRF
    from milvus_model_adapters.store.search.fusion import Weighted as Weighted
    from milvus_model_adapters.store.search.params import MAX_TOP_K as MAX_TOP_K
    from milvus_model_adapters.store.search.params import OPTION_NAMES as OPTION_NAMES
    from milvus_model_adapters.store.search.params import SearchOptions as SearchOptions
    from milvus_model_adapters.store.search.params import SearchParams as SearchParams
    from milvus_model_adapters.store.search.ranking import Boost as Boost
    from milvus_model_adapters.store.search.ranking import Decay as Decay
    from milvus_model_adapters.store.search.relevance import relevance_function as relevance_function
    from milvus_model_adapters.store.sparse.base import SparseChange as SparseChange
    from milvus_model_adapters.store.sparse.base import SparseSource as SparseSource
    from milvus_model_adapters.store.sparse.builtin import BuiltinBM25 as BuiltinBM25
    from milvus_model_adapters.store.sparse.client_bm25 import ClientBM25 as ClientBM25
    from milvus_model_adapters.store.sparse.learned import LearnedSparse as LearnedSparse
    from milvus_model_adapters.store.types import SEARCH_MODES as SEARCH_MODES
    from milvus_model_adapters.store.types import Document as Document
    from milvus_model_adapters.store.types import Hit as Hit
    from milvus_model_adapters.store.types import Hits as Hits
    from milvus_model_adapters.store.types import SearchMode as SearchMode


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'milvus_model_adapters.store' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = sorted(_EXPORTS)
