"""Fusion of ranked lists from several search routes: reciprocal rank and weighted scores.

A ranker is one protocol (``Ranker``): it fuses the routes' hits on the client, names Milvus's ranker for
server fusion (or refuses it), checks the search it is used in, and says its best possible score, from which
relevance in [0, 1] is read.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError

Normalization = Literal["minmax", "arctan"]


@dataclass(frozen=True, slots=True)
class RouteHit:
    """One hit of one route: the document id, the route's raw score and its 1-based rank."""

    id: str
    score: float
    rank: int


class Ranker(ABC):
    """How the routes' hits of a hybrid search are fused."""

    @abstractmethod
    def fuse(
        self, routes: Mapping[str, Sequence[RouteHit]], *, kinds: Mapping[str, str] | None = None
    ) -> dict[str, float]:
        """Fused score by document id; ``kinds`` names each route's metric (``"ip"`` or ``"bm25"``)."""

    @abstractmethod
    def server_ranker(self) -> Any:
        """Milvus's ranker that fuses as this one does, for ``hybrid_search``.

        Raises:
            InvalidInputError: If Milvus has none that does.
        """

    @abstractmethod
    def best_score(self) -> float:
        """The highest fused score of two routes (a hit first on both): relevance is the score over it."""

    def check(self, *, routes: int, fusion: str) -> None:
        """Refuse a hybrid search of ``routes`` routes with ``fusion`` this ranker cannot fuse.

        Raises:
            InvalidInputError: If it cannot.
        """
        return None


@dataclass(frozen=True)
class RRF(Ranker):
    """Reciprocal rank fusion: ``score = sum over routes of weight / (k + rank)``, as Milvus's RRF ranker.

    Ranks are 1-based; a route a document is missing from adds nothing. Without ``weights`` every route
    weighs 1 (Milvus's ``RRFRanker``); with them the formula is Milvus 3.0.1's weighted RRF.

    Attributes:
        k: Smoothing constant; larger values flatten the difference between top ranks.
        weights: One weight in [0, 1] per route (dense, sparse), or ``None`` for 1 each.
    """

    k: int = 60
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int):
            raise InvalidTypeError(f"RRF k must be an int, got {type(self.k).__name__}")
        if self.k < 0:
            raise InvalidInputError(f"RRF k must be >= 0, got {self.k}")
        if self.weights is None:
            return
        if isinstance(self.weights, str) or not isinstance(self.weights, Sequence):
            raise InvalidTypeError(f"RRF weights must be a sequence of numbers, got {type(self.weights).__name__}")
        for w in self.weights:
            if isinstance(w, bool) or not isinstance(w, int | float) or not 0.0 <= w <= 1.0:
                raise InvalidInputError(f"RRF weights must be numbers in [0, 1] (Milvus's rule), got {self.weights!r}")
        if not any(self.weights):
            raise InvalidInputError("at least one RRF weight must be > 0")
        object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))

    def fuse(
        self, routes: Mapping[str, Sequence[RouteHit]], *, kinds: Mapping[str, str] | None = None
    ) -> dict[str, float]:
        """Fused score by document id (ranks only: ``kinds`` plays no part).

        Raises:
            InvalidInputError: If the number of weights is not the number of routes.
        """
        weights = self.weights if self.weights is not None else (1.0,) * len(routes)
        if len(weights) != len(routes):
            raise InvalidInputError(f"{len(weights)} RRF weights given for {len(routes)} routes")
        fused: dict[str, float] = {}
        for weight, hits in zip(weights, routes.values(), strict=True):
            for hit in hits:
                fused[hit.id] = fused.get(hit.id, 0.0) + weight / (self.k + hit.rank)
        return fused

    def server_ranker(self) -> Any:
        """Milvus's ``RRFRanker`` with the same ``k``.

        Raises:
            InvalidInputError: With weights: pymilvus's ``RRFRanker`` takes none, and Milvus Lite 3 ignores
                them in a ranker function (measured), so no engine here fuses weighted RRF.
        """
        if self.weights is not None:
            raise InvalidInputError(
                "fusion='server' cannot weigh RRF here: pymilvus's RRFRanker takes no weights and Milvus Lite 3 "
                "ignores them; use fusion='client' (the same formula as Milvus 3.0.1's weighted RRF)"
            )
        from pymilvus import RRFRanker

        return RRFRanker(self.k)

    def best_score(self) -> float:
        """``sum(weights) / (k + 1)``: first on both routes (``2 / (k + 1)`` without weights)."""
        return (sum(self.weights) if self.weights is not None else 2.0) / (self.k + 1)

    def check(self, *, routes: int, fusion: str) -> None:
        """One weight per route, and no weights with server fusion."""
        if self.weights is not None and len(self.weights) != routes:
            raise InvalidInputError(f"RRF takes {routes} weights (dense, sparse), got {len(self.weights)}")
        if fusion == "server":
            self.server_ranker()


@dataclass(frozen=True)
class Weighted(Ranker):
    """Weighted sum of normalised route scores.

    Attributes:
        weights: Weight per route, in route order (dense, sparse).
        normalization: ``"minmax"`` rescales each route's scores to [0, 1] per query, so routes on
            different scales (cosine vs BM25) are comparable; ``"arctan"`` is Milvus's
            ``WeightedRanker`` normalisation (``0.5 + atan(s)/pi`` for inner product, ``2*atan(s)/pi``
            for BM25), giving the same ranking as server-side fusion.
    """

    weights: tuple[float, ...] = (0.5, 0.5)
    normalization: Normalization = "minmax"

    def __post_init__(self) -> None:
        if isinstance(self.weights, str) or not isinstance(self.weights, Sequence):
            raise InvalidTypeError(f"weights must be a sequence of numbers, got {type(self.weights).__name__}")
        for w in self.weights:
            if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w < 0:
                raise InvalidInputError(f"weights must be finite numbers >= 0, got {self.weights!r}")
        if not any(self.weights):
            raise InvalidInputError("at least one weight must be > 0")
        if self.normalization not in ("minmax", "arctan"):
            raise InvalidInputError(f"unknown normalization {self.normalization!r}; use 'minmax' or 'arctan'")
        object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))

    def fuse(
        self, routes: Mapping[str, Sequence[RouteHit]], *, kinds: Mapping[str, str] | None = None
    ) -> dict[str, float]:
        """Fused score by document id; ``kinds`` maps a route to ``"ip"`` (the default) or ``"bm25"``.

        Raises:
            InvalidInputError: If the number of weights is not the number of routes.
        """
        if len(self.weights) != len(routes):
            raise InvalidInputError(f"{len(self.weights)} weights given for {len(routes)} routes")
        fused: dict[str, float] = {}
        for weight, (name, hits) in zip(self.weights, routes.items(), strict=True):
            kind = (kinds or {}).get(name, "ip")
            for hit, norm in zip(hits, self._normalise(hits, kind), strict=True):
                fused[hit.id] = fused.get(hit.id, 0.0) + weight * norm
        return fused

    def _normalise(self, hits: Sequence[RouteHit], kind: str) -> list[float]:
        scores = [h.score for h in hits]
        if self.normalization == "arctan":
            if kind == "bm25":
                return [2.0 * math.atan(s) / math.pi for s in scores]
            return [0.5 + math.atan(s) / math.pi for s in scores]
        if not scores:
            return []
        lo, hi = min(scores), max(scores)
        if hi == lo:
            return [1.0] * len(scores)
        return [(s - lo) / (hi - lo) for s in scores]

    def server_ranker(self) -> Any:
        """Milvus's ``WeightedRanker`` with the same weights (its normalisation is arctan's).

        Raises:
            InvalidInputError: With min-max normalisation, which Milvus does not do.
        """
        if self.normalization == "minmax":
            raise InvalidInputError(
                "fusion='server' cannot normalise scores min-max (Milvus's WeightedRanker uses arctan): "
                "pass ranker='rrf', or Weighted(weights, normalization='arctan'), or use fusion='client'"
            )
        from pymilvus import WeightedRanker

        return WeightedRanker(*self.weights)

    def best_score(self) -> float:
        """The sum of the weights: every route's best normalised score is at most 1."""
        return float(sum(self.weights))

    def check(self, *, routes: int, fusion: str) -> None:
        """One weight per route, and a normalisation Milvus has for server fusion."""
        if len(self.weights) != routes:
            raise InvalidInputError(f"weighted fusion takes {routes} weights (dense, sparse), got {len(self.weights)}")
        if fusion == "server":
            self.server_ranker()


def make_ranker(ranker: str | Ranker) -> Ranker:
    """A ranker by its name (``"rrf"``: RRF(60), ``"weighted"``: equal weights), or the given one itself.

    ``rrf_k=`` and ``weights=`` shorthands are read by ``create``.
    """
    if isinstance(ranker, Ranker):
        return ranker
    if ranker == "rrf":
        return RRF()
    if ranker == "weighted":
        return Weighted()
    raise InvalidInputError(f"unknown ranker {ranker!r}; use 'rrf' or 'weighted'")


def order(fused: Mapping[str, float]) -> list[str]:
    """Ids by descending fused score, ties by ascending id: the order of client and server fusion alike."""
    return sorted(fused, key=lambda i: (-fused[i], i))
