"""Where a store's sparse vectors come from: client-side BM25, Milvus's BM25, or a learned model."""

from milvus_model_adapters.store.routes.base import WRITE_ROWS, SparseRoute
from milvus_model_adapters.store.routes.builtin import BuiltinBM25
from milvus_model_adapters.store.routes.client_bm25 import ClientBM25, term_id
from milvus_model_adapters.store.routes.factory import route_from_settings, route_of_collection, sparse_route
from milvus_model_adapters.store.routes.learned import LearnedSparse

__all__ = [
    "WRITE_ROWS",
    "BuiltinBM25",
    "ClientBM25",
    "LearnedSparse",
    "SparseRoute",
    "route_from_settings",
    "route_of_collection",
    "sparse_route",
    "term_id",
]
