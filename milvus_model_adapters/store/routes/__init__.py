"""The former name of ``milvus_model_adapters.store.sparse``: its modules and names, kept for one release.

``SparseRoute`` is ``SparseSource``; ``sparse_route``, ``route_from_settings`` and ``route_of_collection``
are ``sparse_source``, ``source_from_settings`` and ``source_of_collection``.
"""

import sys

from milvus_model_adapters.store.sparse import (
    BuiltinBM25,
    ClientBM25,
    LearnedSparse,
    SparseSource,
    base,
    bm25_state,
    builtin,
    client_bm25,
    factory,
    learned,
    source_from_settings,
    source_of_collection,
    sparse_source,
    term_id,
)

SparseRoute = SparseSource
sparse_route = sparse_source
route_from_settings = source_from_settings
route_of_collection = source_of_collection

for _module in (base, bm25_state, builtin, client_bm25, factory, learned):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module

__all__ = [
    "BuiltinBM25",
    "ClientBM25",
    "LearnedSparse",
    "SparseRoute",
    "route_from_settings",
    "route_of_collection",
    "sparse_route",
    "term_id",
]
