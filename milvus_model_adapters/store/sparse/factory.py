"""The one place that turns a user's ``sparse=`` choice, or stored settings, into a sparse source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from milvus_model_adapters._validate import is_embedding_function
from milvus_model_adapters.encoders.sparse import SparseFunction
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.sparse.base import SparseSource
from milvus_model_adapters.store.sparse.builtin import BuiltinBM25
from milvus_model_adapters.store.sparse.client_bm25 import ClientBM25
from milvus_model_adapters.store.sparse.learned import LearnedSparse
from milvus_model_adapters.text.analyzer import TextAnalyzer


def sparse_source(
    sparse: str | SparseSource | SparseFunction,
    *,
    analyzer: TextAnalyzer | None = None,
    k1: float = 1.5,
    b: float = 0.75,
    builtin_analyzer_params: Mapping[str, Any] | None = None,
) -> SparseSource:
    """The source for ``sparse``: a name, a sparse function, or a source itself.

    ``"bm25"`` is client-side BM25, ``"builtin"`` Milvus's function; a sparse function is a learned
    model (see ``LearnedSparse``).

    Raises:
        InvalidInputError: On an unknown name.
        InvalidTypeError: On anything else.
    """
    if isinstance(sparse, SparseSource):
        return sparse
    if is_embedding_function(sparse):
        return LearnedSparse(sparse)
    if sparse == "bm25":
        return ClientBM25(analyzer, k1=k1, b=b)
    if sparse == "builtin":
        if analyzer is not None:
            raise InvalidInputError(
                "analyzer is for client-side BM25; Milvus's BM25 takes builtin_analyzer_params, e.g. "
                "milvus_analyzer_params('de') from milvus_model_adapters.text.languages"
            )
        return BuiltinBM25(builtin_analyzer_params)
    if isinstance(sparse, str):
        raise InvalidInputError(f"unknown sparse source {sparse!r}; use 'bm25', 'builtin' or a SparseSource")
    raise InvalidTypeError(
        f"sparse must be 'bm25', 'builtin', a sparse function or a SparseSource, got {type(sparse).__name__}"
    )


def source_from_settings(settings: Mapping[str, Any]) -> SparseSource:
    """A new source like the one whose ``SparseSource.settings`` gave ``settings``.

    Raises:
        InvalidInputError: On settings of an unknown source.
    """
    kind = settings.get("kind") if isinstance(settings, Mapping) else None
    if kind == "builtin":
        params = settings.get("analyzer_params")
        return BuiltinBM25(params if isinstance(params, Mapping) else None)
    if kind == "bm25":
        return ClientBM25.from_settings(settings)
    if kind == "learned":
        raise InvalidInputError(
            f"the sparse vectors come from a learned model ({settings.get('function')} {settings.get('model')!r}); "
            "open the store with sparse=<that function>"
        )
    raise InvalidInputError(f"unknown sparse source settings {settings!r}: 'kind' must be 'bm25' or 'builtin'")


def source_of_collection(description: Mapping[str, Any]) -> SparseSource:
    """The source that reads an existing collection, from its description alone (no settings given).

    A collection with Milvus's BM25 function gets ``BuiltinBM25`` with its analyzer parameters;
    any other gets ``ClientBM25``, which takes its stored settings when it opens the collection.
    """
    if schema.has_builtin_bm25(dict(description)):
        return BuiltinBM25(schema.text_analyzer_params(dict(description)))
    return ClientBM25()
