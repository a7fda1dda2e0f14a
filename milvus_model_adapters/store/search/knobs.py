"""The engine's search knobs: what each route's Milvus search is sent, checked against the index it meets.

===================  =======================================================================
knob                 meaning (route)
===================  =======================================================================
``ef``               HNSW's search breadth (dense; HNSW indexes only); at least the hits asked
``nprobe``           IVF lists searched (dense; IVF indexes only)
``radius``           range search: only hits scoring above it (dense)
``range_filter``     range search: only hits scoring at most it (dense; above ``radius``)
``drop_ratio_search``  share of a query's smallest sparse weights ignored (sparse; approximate)
``consistency_level``  ``Strong``, ``Bounded``, ``Session`` or ``Eventually`` (servers)
===================  =======================================================================

Values are checked when ``SearchParams`` is built; whether
the collection's index has the knob (``ef`` on a ``FLAT`` index) or the engine takes it (Milvus Lite 3
refuses a ``drop_ratio_search`` other than 0) is known when the search meets the collection, and refused
then, before Milvus is called. Milvus Lite answers every search with all it holds, whatever the
``consistency_level``.

Milvus Lite 3 ranges only a window of the best hits (five times the hits asked): below more hits than that
scoring above ``range_filter``, it answers nothing. There the store sends a plain dense search and keeps the
hits in the range itself (``Knobs.store_range``), deeper until the range is covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store.engine import Engine

CONSISTENCY_LEVELS = ("Strong", "Bounded", "Session", "Eventually")
HNSW_INDEXES = frozenset({"HNSW", "HNSW_SQ", "HNSW_PQ", "HNSW_PRQ"})
IVF_INDEXES = frozenset({"IVF_FLAT", "IVF_SQ8", "IVF_PQ", "IVF_RABITQ", "SCANN"})
MAX_EF = 32768
MAX_NPROBE = 65536


@dataclass(frozen=True, slots=True)
class Knobs:
    """The engine knobs of one search (each ``None`` when not set)."""

    ef: int | None = None
    nprobe: int | None = None
    radius: float | None = None
    range_filter: float | None = None
    drop_ratio_search: float | None = None
    consistency_level: str | None = None

    def __post_init__(self) -> None:
        _int_in(self.ef, "ef", MAX_EF)
        _int_in(self.nprobe, "nprobe", MAX_NPROBE)
        for name in ("radius", "range_filter", "drop_ratio_search"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise InvalidTypeError(f"{name} must be a number, got {type(value).__name__}")
        if self.range_filter is not None and self.radius is None:
            raise InvalidInputError("range_filter needs a radius: Milvus ranges the scores between the two")
        if self.radius is not None and self.range_filter is not None and not self.radius < self.range_filter:
            raise InvalidInputError(
                f"radius ({self.radius}) must be below range_filter ({self.range_filter}): hits score in between"
            )
        if self.drop_ratio_search is not None and not 0.0 <= self.drop_ratio_search < 1.0:
            raise InvalidInputError(f"drop_ratio_search must be in [0, 1), got {self.drop_ratio_search}")
        if self.consistency_level is not None and self.consistency_level not in CONSISTENCY_LEVELS:
            raise InvalidInputError(
                f"unknown consistency_level {self.consistency_level!r}; use one of {', '.join(CONSISTENCY_LEVELS)}"
            )

    def dense(self, index_type: str, engine: Engine | None = None) -> dict[str, Any]:
        """The ``params`` of a dense search of an ``index_type`` index (``ef`` is raised to the hits asked later).

        Raises:
            InvalidInputError: If the index has no such knob (``ef`` beside HNSW, ``nprobe`` beside IVF), or
                the engine ignores it (``nprobe`` on Milvus Lite 2.5).
        """
        params: dict[str, Any] = {}
        if self.ef is not None:
            if index_type not in HNSW_INDEXES:
                raise InvalidInputError(f"ef is a knob of HNSW indexes; this collection's dense index is {index_type}")
            params["ef"] = self.ef
        if self.nprobe is not None:
            if index_type not in IVF_INDEXES:
                raise InvalidInputError(
                    f"nprobe is a knob of IVF indexes; this collection's dense index is {index_type}"
                )
            if engine is not None and not engine.nprobe:
                # Measured at 100,000 rows: the same recall@10 at nprobe 1, 8, 64 and 1024 (benchmarks/recall.py).
                raise InvalidInputError(
                    f"{engine.name} ignores nprobe (its IVF search probes the same lists whatever it is): "
                    "use FLAT for exact search there, or Milvus Lite 3 or a server for a tunable IVF index"
                )
            params["nprobe"] = self.nprobe
        if self.store_range(engine) is None:
            if self.radius is not None:
                params["radius"] = float(self.radius)
            if self.range_filter is not None:
                params["range_filter"] = float(self.range_filter)
        return params

    def store_range(self, engine: Engine | None) -> tuple[float, float | None] | None:
        """``(radius, range_filter)`` where the store, not ``engine``, keeps the dense hits in the range.

        That is Milvus Lite 3, which ranges only a window of the best hits; ``None`` elsewhere, or without a
        range (a ``range_filter`` always comes with a ``radius``).
        """
        if engine is None or engine.whole_range or self.radius is None:
            return None
        return float(self.radius), self.range_filter

    def sparse(self, engine: Engine) -> dict[str, Any]:
        """The ``params`` of a sparse search on ``engine``.

        Raises:
            InvalidInputError: On a ``drop_ratio_search`` other than 0 on Milvus Lite 3.
        """
        if not self.drop_ratio_search:
            return {}
        if not engine.drop_ratio_search:
            raise InvalidInputError(f"{engine.name} refuses a drop_ratio_search other than 0")
        return {"drop_ratio_search": float(self.drop_ratio_search)}

    def call_options(self) -> dict[str, Any]:
        """Keyword arguments of the Milvus calls themselves (the consistency level)."""
        return {} if self.consistency_level is None else {"consistency_level": self.consistency_level}


def _int_in(value: Any, name: str, most: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not 1 <= value <= most:
        raise InvalidInputError(f"{name} must be in [1, {most}], got {value}")
