"""The reranker interface and the wrapper over pymilvus-model rerank functions."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from milvus_model_adapters._validate import check_positive_int, check_text, check_texts
from milvus_model_adapters.errors import InvalidTypeError, RerankError


@dataclass(frozen=True, slots=True)
class RerankHit:
    """One reranked document: its position in the input, its relevance score and its text.

    Mirrors pymilvus-model's ``RerankResult(index, score, text)`` with plain Python types.
    """

    index: int
    score: float
    text: str


class Reranker(ABC):
    """Scores documents against a query; higher is more relevant."""

    def rerank(self, query: str, documents: Sequence[str], top_k: int | None = None) -> list[RerankHit]:
        """Rank ``documents`` for ``query``.

        Args:
            query: The query text.
            documents: Candidate texts.
            top_k: How many hits to return (all when ``None``).

        Returns:
            Hits sorted by descending score, ties broken by input position.

        Raises:
            InvalidInputError: On an empty query, an empty list or a blank document.
            InvalidTypeError: On non-string input.
            RerankError: If the underlying model or API fails.
        """
        query = check_text(query, what="query")
        docs = check_texts(documents, what="documents")
        k = len(docs) if top_k is None else min(check_positive_int(top_k, what="top_k"), len(docs))
        return ranked(self._rerank(query, docs, k), docs, k)

    @abstractmethod
    def _rerank(self, query: str, documents: list[str], top_k: int) -> list[tuple[int, float]]:
        """Score validated input as ``(index, score)`` pairs; may return more than ``top_k``."""

    def __call__(self, query: str, documents: Sequence[str], top_k: int | None = None) -> list[RerankHit]:
        """Same as ``rerank``, in pymilvus-model's calling convention."""
        return self.rerank(query, documents, top_k)


def ranked(scores: Sequence[tuple[int, float]], documents: Sequence[str], top_k: int) -> list[RerankHit]:
    """The ``top_k`` best of ``(index, score)`` pairs as hits, by descending score, ties by input position.

    Raises:
        RerankError: On an index outside ``documents`` or a non-finite score.
    """
    hits = []
    for index, score in scores:
        if not 0 <= index < len(documents):
            raise RerankError(f"reranker returned index {index} for {len(documents)} documents")
        if not math.isfinite(score):
            raise RerankError(f"reranker returned a non-finite score for document {index}")
        hits.append(RerankHit(index=index, score=score, text=documents[index]))
    hits.sort(key=lambda h: (-h.score, h.index))
    return hits[:top_k]


class RerankFunction(Protocol):
    """What a pymilvus-model rerank function is: ``rf(query, documents, top_k) -> [RerankResult]``.

    Each result has the document's ``index`` in ``documents`` and its ``score``.
    """

    def __call__(self, query: str, documents: list[str], top_k: int) -> Any:
        """Rank ``documents`` for ``query``; the ``top_k`` best."""


class FunctionReranker(Reranker):
    """Any pymilvus-model rerank function (``rf(query, documents, top_k) -> [RerankResult]``)."""

    def __init__(self, function: RerankFunction) -> None:
        """Wrap ``function``.

        Raises:
            InvalidTypeError: If it is not callable.
        """
        if not callable(function):
            raise InvalidTypeError(f"{type(function).__name__} is not a rerank function")
        self.function = function

    def _rerank(self, query: str, documents: list[str], top_k: int) -> list[tuple[int, float]]:
        try:
            results = self.function(query, documents, top_k)
        except Exception as exc:  # the provider's own error types vary
            raise RerankError(f"{type(self.function).__name__} failed: {exc}") from exc
        return [(int(r.index), float(r.score)) for r in results]

    def __repr__(self) -> str:
        return f"FunctionReranker({type(self.function).__name__})"


def as_reranker(reranker: Reranker | RerankFunction) -> Reranker:
    """Return ``reranker`` as a ``Reranker``, wrapping a pymilvus-model rerank function if needed."""
    if isinstance(reranker, Reranker):
        return reranker
    return FunctionReranker(reranker)
