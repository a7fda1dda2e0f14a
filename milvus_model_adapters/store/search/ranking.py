"""Ranking controls: score floors, boosts and decay, applied the same way on every engine.

A search's hits are ranked by their score (one route's, or the fused one). The controls act in this order:

1. **Floors per route** (``min_dense_score``, ``min_sparse_score``), in each route's own score, before
   fusion: a hit below a route's floor is not that route's hit (with client fusion; ``fusion="server"``
   keeps no route scores and refuses them).
2. **A floor on relevance** (``min_relevance``, in [0, 1]), on the relevance of the fused (or single-route)
   score (``store.search.relevance``), before boosts and decay.
3. **Boosts** (``Boost(filter, weight)``): a hit that matches a boost's filter has its score multiplied by the
   weight; several boosts that match multiply together, as Milvus's boost ranker does
   (``function_mode="multiply"``). Which hits match is decided on their metadata, with the meaning every
   engine gives the filter (``store.filters.evaluate``).
4. **Decay** (``Decay(field, ...)``): the score is multiplied by a factor of a numeric metadata value's
   distance from ``origin``, with Milvus's curves; a hit without the value gets the factor 0, as Milvus Lite
   3's decay ranker gives it (it stays, last among the positive scores).
5. Then the reranker reorders the best candidates, and ``group_by``, ``offset`` and ``k`` cut the list.

Boosts and decay reorder the ``fetch_k`` best candidates (``max(2k, 20)`` by default), not the whole
collection: a document they would lift from below them is not found.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store.filters import Filter, Node, parse

DecayFunction = Literal["gauss", "exp", "linear"]
DECAY_FUNCTIONS: tuple[DecayFunction, ...] = ("gauss", "exp", "linear")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidTypeError(f"{name} must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Decay:
    """A score factor from how far a numeric metadata value lies from ``origin``, with Milvus's decay curves.

    With ``d = max(0, |value - origin| - offset)``: the factor is 1 for ``d = 0`` (within ``offset`` of
    ``origin``), ``decay`` for ``d = scale``, and between: ``gauss`` is ``decay ** (d / scale) ** 2``, ``exp``
    is ``decay ** (d / scale)``, ``linear`` is ``max(0, 1 - (1 - decay) * d / scale)`` (Milvus Lite 3's
    floor; a Milvus server floors ``linear`` at ``decay``).

    Attributes:
        field: The metadata key holding the value (a number: a timestamp, a price, a distance).
        function: ``"gauss"``, ``"exp"`` or ``"linear"``.
        origin: Where the factor is 1 (now, for recency).
        scale: The distance from ``origin`` (beyond ``offset``) at which the factor is ``decay``; > 0.
        offset: Distance from ``origin`` within which the factor stays 1; >= 0.
        decay: The factor at ``scale``, in (0, 1).
    """

    field: str
    function: DecayFunction = "gauss"
    origin: float = 0.0
    scale: float = 1.0
    offset: float = 0.0
    decay: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.field, str) or not self.field:
            raise InvalidInputError(f"Decay field must name a metadata key, got {self.field!r}")
        if self.function not in DECAY_FUNCTIONS:
            raise InvalidInputError(
                f"unknown decay function {self.function!r}; use one of {', '.join(DECAY_FUNCTIONS)}"
            )
        for name in ("origin", "scale", "offset", "decay"):
            object.__setattr__(self, name, _number(getattr(self, name), f"Decay {name}"))
        if self.scale <= 0 or self.offset < 0 or not 0 < self.decay < 1:
            raise InvalidInputError(
                f"Decay needs scale > 0, offset >= 0 and 0 < decay < 1, got scale={self.scale}, "
                f"offset={self.offset}, decay={self.decay}"
            )

    def factor(self, value: Any) -> float:
        """The factor for a stored ``value``; 0 for a missing or non-numeric one."""
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return 0.0
        d = max(0.0, abs(float(value) - self.origin) - self.offset)
        if d == 0.0:
            return 1.0
        if self.function == "gauss":
            return math.exp(math.log(self.decay) * (d / self.scale) ** 2)
        if self.function == "exp":
            return math.exp(math.log(self.decay) * d / self.scale)
        return max(0.0, 1.0 - (1.0 - self.decay) * d / self.scale)


@dataclass(frozen=True, slots=True)
class Boost:
    """Multiplies the score of the hits that match ``filter`` (the store's filter language) by ``weight``.

    Attributes:
        filter: A metadata filter, as ``filter=`` of a search takes it.
        weight: The factor, > 0 (below 1 sinks the matching hits).
    """

    filter: Filter
    weight: float
    node: Node = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.filter, Mapping) or not self.filter:
            raise InvalidTypeError(f"Boost filter must be a non-empty filter dict, got {self.filter!r}")
        weight = _number(self.weight, "Boost weight")
        if weight <= 0:
            raise InvalidInputError(f"Boost weight must be > 0, got {weight}")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "node", parse(dict(self.filter)))


def as_boosts(value: Any) -> tuple[Boost, ...]:
    """``boost=`` as a tuple of ``Boost``: one, or a sequence of them."""
    if value is None:
        return ()
    items = [value] if isinstance(value, Boost) else value
    if isinstance(items, str | Mapping) or not isinstance(items, Sequence):
        raise InvalidTypeError(f"boost must be a Boost or a list of them, got {type(value).__name__}")
    for item in items:
        if not isinstance(item, Boost):
            raise InvalidTypeError(f"boost must be a Boost or a list of them, got a {type(item).__name__} in it")
    return tuple(items)


def floor(value: Any, name: str, *, unit: bool = False) -> float | None:
    """A checked score floor (``None``: no floor); ``unit``: it must lie in [0, 1]."""
    if value is None:
        return None
    number = _number(value, name)
    if unit and not 0.0 <= number <= 1.0:
        raise InvalidInputError(f"{name} is a relevance in [0, 1], got {number}")
    return number


def multiplied(scores: Mapping[str, float], factors: Mapping[str, float]) -> dict[str, float]:
    """Each score times its factor (1 where there is none)."""
    return {key: score * factors.get(key, 1.0) for key, score in scores.items()}
