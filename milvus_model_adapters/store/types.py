"""What the store takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SearchMode = Literal["dense", "sparse", "hybrid"]
MODES: tuple[SearchMode, ...] = ("dense", "sparse", "hybrid")


@dataclass(frozen=True, slots=True)
class Document:
    """A stored document; ``embedding`` is its dense vector when it was asked for (or given to be written)."""

    id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    embedding: list[float] | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result.

    Attributes:
        id: Document id.
        text: Document text.
        metadata: Document metadata.
        score: The score the hits are ordered by: the route's score in dense or sparse mode, the
            fused score in hybrid mode, the reranker's score when a reranker ran.
        dense_score: Inner product with the query embedding, if the dense route found the document.
        dense_rank: 1-based rank in the dense route.
        sparse_score: BM25 score, if the sparse route found the document.
        sparse_rank: 1-based rank in the sparse route.
        fused_score: Hybrid fused score (hybrid mode only).
        rerank_score: Reranker score, when a reranker ran.
        embedding: The stored dense vector, when the search read it (MMR and the cosine reranker do).
    """

    id: str
    text: str
    metadata: dict[str, Any]
    score: float
    dense_score: float | None = None
    dense_rank: int | None = None
    sparse_score: float | None = None
    sparse_rank: int | None = None
    fused_score: float | None = None
    rerank_score: float | None = None
    embedding: list[float] | None = field(default=None, repr=False, compare=False)

    def scores(self) -> dict[str, float | int]:
        """The scores and ranks that are set, by name (for metadata in framework adapters)."""
        names = (
            "score",
            "dense_score",
            "dense_rank",
            "sparse_score",
            "sparse_rank",
            "fused_score",
            "rerank_score",
        )
        return {n: v for n in names if (v := getattr(self, n)) is not None}
