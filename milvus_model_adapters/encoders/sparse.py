"""Sparse embeddings as ``dict[int, float]``: BM25 or any pymilvus-model sparse function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from milvus_model_adapters._validate import check_text, check_texts, is_embedding_function
from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.encoders.sparse_vectors import SparseVector, to_dicts
from milvus_model_adapters.encoders.splade import mend_splade
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, NotFittedError
from milvus_model_adapters.text.analyzer import Analyzer


@runtime_checkable
class SparseFunction(Protocol):
    """What pymilvus-model sparse functions provide: SciPy sparse rows (or ``{"sparse": ...}``) per text."""

    def encode_documents(self, documents: list[str]) -> Any:
        """Sparse vectors of documents."""

    def encode_queries(self, queries: list[str]) -> Any:
        """Sparse vectors of queries."""


class SparseEncoder:
    """Encode documents and queries as sparse vectors in the form Milvus takes.

    Wraps a ``BM25Encoder`` or any pymilvus-model sparse function
    (``BM25EmbeddingFunction``, ``SpladeEmbeddingFunction``, BGE-M3's sparse output, ...): anything with
    ``encode_documents`` and ``encode_queries`` returning SciPy sparse rows (or a ``{"sparse": ...}``
    dict). A ``SpladeEmbeddingFunction`` is mended to run with transformers 5
    (``mend_splade``).
    """

    def __init__(self, function: SparseFunction) -> None:
        """Wrap ``function``.

        Raises:
            InvalidTypeError: If it lacks ``encode_documents`` / ``encode_queries``.
        """
        if not is_embedding_function(function):
            raise InvalidTypeError(f"{type(function).__name__} is not a sparse embedding function")
        self.function = mend_splade(function)

    @classmethod
    def bm25(cls, corpus: Sequence[str] | None = None, *, language: str | None = None, **kwargs: Any) -> SparseEncoder:
        """A BM25 encoder with the offline analyzer, fitted on ``corpus`` if given.

        Args:
            corpus: Texts to fit on.
            language: The analyzer's language (ISO code or name; default English), unless ``analyzer`` is given.
            **kwargs: ``BM25Encoder`` settings (``analyzer``, ``k1``, ...).
        """
        if language is not None:
            if "analyzer" in kwargs:
                raise InvalidInputError("give language or analyzer, not both")
            kwargs["analyzer"] = Analyzer(language)
        encoder = BM25Encoder(**kwargs)
        if corpus is not None:
            encoder.fit(corpus)
        return cls(encoder)

    def _check_fitted(self) -> None:
        fn = self.function
        if isinstance(fn, BM25Encoder):
            if not fn.is_fitted:
                raise NotFittedError("BM25 encoder is not fitted: call fit(corpus) or BM25Encoder.load(path) first")
        elif hasattr(fn, "idf") and hasattr(fn, "avgdl") and not fn.idf:
            raise NotFittedError("BM25EmbeddingFunction is not fitted: call fit(corpus) or load(path) first")

    def encode_documents(self, documents: Sequence[str]) -> list[SparseVector]:
        """Sparse vectors of documents."""
        texts = check_texts(documents, what="documents")
        self._check_fitted()
        return to_dicts(self.function.encode_documents(texts))

    def encode_queries(self, queries: Sequence[str]) -> list[SparseVector]:
        """Sparse vectors of queries; a query with no known term is ``{}``."""
        texts = check_texts(queries, what="queries")
        self._check_fitted()
        return to_dicts(self.function.encode_queries(texts))

    def encode_query(self, query: str) -> SparseVector:
        """Sparse vector of one query."""
        return self.encode_queries([check_text(query, what="query")])[0]

    def __repr__(self) -> str:
        return f"SparseEncoder({self.function!r})"
