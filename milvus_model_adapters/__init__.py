"""PyMilvus model functions for LangChain and LlamaIndex, with hybrid search over Milvus Lite.

The core (this package's top level) needs neither framework: dense, BM25 and rerank encoders and a
hybrid store. Framework adapters live in ``milvus_model_adapters.langchain`` and
``milvus_model_adapters.llama_index`` and are imported only when asked for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from milvus_model_adapters._version import __version__

_EXPORTS = {
    "Analyzer": "milvus_model_adapters.text.analyzer",
    "MultilingualAnalyzer": "milvus_model_adapters.text.multilingual",
    "PymilvusAnalyzer": "milvus_model_adapters.text.pymilvus_analysis",
    "BM25Encoder": "milvus_model_adapters.bm25.encoder",
    "DenseEncoder": "milvus_model_adapters.encoders.dense",
    "OnnxDenseFunction": "milvus_model_adapters.encoders.onnx",
    "HybridStore": "milvus_model_adapters.store.hybrid",
    "Document": "milvus_model_adapters.store.types",
    "Hit": "milvus_model_adapters.store.types",
    "RRF": "milvus_model_adapters.store.search.fusion",
    "Weighted": "milvus_model_adapters.store.search.fusion",
    "Decay": "milvus_model_adapters.store.search.ranking",
    "Boost": "milvus_model_adapters.store.search.ranking",
    "Hits": "milvus_model_adapters.store.types",
    "Reranker": "milvus_model_adapters.rerank.base",
    "RerankHit": "milvus_model_adapters.rerank.base",
    "CosineReranker": "milvus_model_adapters.rerank.local",
    "CrossEncoderReranker": "milvus_model_adapters.rerank.local",
    "JinaReranker": "milvus_model_adapters.rerank.api",
    "CohereReranker": "milvus_model_adapters.rerank.api",
    "VoyageReranker": "milvus_model_adapters.rerank.api",
    "SearchParams": "milvus_model_adapters.store.search.params",
    "BM25Settings": "milvus_model_adapters.bm25.settings",
    "EmbeddingCache": "milvus_model_adapters.encoders.embedding_cache",
    "evaluate_beir": "milvus_model_adapters.tools.evaluation",
    # Every exception type, so callers catch them from the top level.
    **{
        name: "milvus_model_adapters.errors"
        for name in (
            "MilvusModelAdaptersError",
            "MissingDependencyError",
            "InvalidInputError",
            "InvalidTypeError",
            "TenantRequiredError",
            "NotFittedError",
            "ParamsFileError",
            "DimensionMismatchError",
            "SchemaMismatchError",
            "FilterError",
            "RerankError",
            "StoreLockedError",
            "StoreStateError",
            "MilvusOperationError",
            "LiteGenerationError",
        )
    },
}

if TYPE_CHECKING:
    from milvus_model_adapters.bm25.encoder import BM25Encoder
    from milvus_model_adapters.bm25.settings import BM25Settings
    from milvus_model_adapters.encoders.dense import DenseEncoder
    from milvus_model_adapters.encoders.embedding_cache import EmbeddingCache
    from milvus_model_adapters.encoders.onnx import OnnxDenseFunction
    from milvus_model_adapters.errors import (
        DimensionMismatchError,
        FilterError,
        InvalidInputError,
        InvalidTypeError,
        LiteGenerationError,
        MilvusModelAdaptersError,
        MilvusOperationError,
        MissingDependencyError,
        NotFittedError,
        ParamsFileError,
        RerankError,
        SchemaMismatchError,
        StoreLockedError,
        StoreStateError,
        TenantRequiredError,
    )
    from milvus_model_adapters.rerank.api import CohereReranker, JinaReranker, VoyageReranker
    from milvus_model_adapters.rerank.base import Reranker, RerankHit
    from milvus_model_adapters.rerank.local import CosineReranker, CrossEncoderReranker
    from milvus_model_adapters.store.hybrid import HybridStore
    from milvus_model_adapters.store.search.fusion import RRF, Weighted
    from milvus_model_adapters.store.search.params import SearchParams
    from milvus_model_adapters.store.search.ranking import Boost, Decay
    from milvus_model_adapters.store.types import Document, Hit, Hits
    from milvus_model_adapters.text.analyzer import Analyzer
    from milvus_model_adapters.text.multilingual import MultilingualAnalyzer
    from milvus_model_adapters.text.pymilvus_analysis import PymilvusAnalyzer
    from milvus_model_adapters.tools.evaluation import evaluate_beir


_MODULES = {"lite_server": "milvus_model_adapters.tools.lite_server"}
"""Modules reachable as attributes of the package, as before they moved into ``tools``."""


def __getattr__(name: str) -> Any:
    # Imported on first use: ``import milvus_model_adapters`` stays cheap and loads no framework,
    # no model and no Milvus client.
    if name in _MODULES:
        return import_module(_MODULES[name])
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'milvus_model_adapters' has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = sorted(_EXPORTS)
