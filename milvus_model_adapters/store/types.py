"""What the store takes and returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

SearchMode = Literal["dense", "sparse", "hybrid"]
SEARCH_MODES: tuple[SearchMode, ...] = ("dense", "sparse", "hybrid")
"""Every search mode."""
MODES = SEARCH_MODES
"""The former name of ``SEARCH_MODES``."""


@dataclass(frozen=True, slots=True)
class Highlights:
    """What a hit matched of the query.

    Attributes:
        spans: ``(start, end)`` character offsets of each match in the hit's text, in order.
        terms: The matched words as they stand in the text, once each, in order.
        fragment: Up to ``fragment_size`` characters around the first match, the matches marked.
    """

    spans: tuple[tuple[int, int], ...]
    terms: tuple[str, ...]
    fragment: str

    def as_metadata(self) -> dict[str, Any]:
        """A JSON form for framework metadata."""
        return {"fragment": self.fragment, "terms": list(self.terms), "spans": [list(s) for s in self.spans]}


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
        highlights: The query terms the hit matched, when the search asked for them (``highlight=True``).
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
    highlights: Highlights | None = field(default=None, compare=False)

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

    def annotations(self) -> dict[str, Any]:
        """What a search adds to a hit's metadata in the framework adapters: ``highlight``, when asked for."""
        return {"highlight": self.highlights.as_metadata()} if self.highlights is not None else {}


class Hits(list[Hit]):
    """The hits of one query, best first: a list, which also tells how many candidates the score floors removed.

    Attributes:
        floored: Candidates that ``min_dense_score``, ``min_sparse_score`` or ``min_relevance`` removed.
    """

    def __init__(self, hits: Iterable[Hit] = (), *, floored: int = 0) -> None:
        super().__init__(hits)
        self.floored = floored

    @property
    def why_empty(self) -> str | None:
        """Why there are no hits (``None`` when there are some): nothing matched, or nothing passed the floors."""
        if self:
            return None
        if self.floored:
            return f"no good answer: the score floors removed all {self.floored} candidates"
        return "nothing matched the search"
