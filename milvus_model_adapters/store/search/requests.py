"""Route searches sent to Milvus and received complete: ties at the cut, and ranges the store keeps itself.

Each route (dense, sparse) asks for the hits it keeps and one more, sent (``steps.Send``) so that the
searches of both routes are in flight at once. A hit beyond the cut that ties with the last kept one means a
deeper search (engines order equal scores differently); on Milvus Lite 3 a range search is a plain search
that the store ranges (``store_range``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from milvus_model_adapters.store import schema
from milvus_model_adapters.store.search.params import MAX_TOP_K
from milvus_model_adapters.store.steps import Call, Receive, Send, Steps

TIE_MARGIN = 1
"""Hits asked beyond those kept: one that ties with the last kept one means a deeper search."""


class RouteRequests:
    """The route searches of one collection."""

    def __init__(self, collection: str) -> None:
        self.collection = collection

    def send(self, data: list[Any], field: str, ask: Ask) -> Steps[Pending]:
        """One route's search, sent: ``ask.limit`` hits and a margin for ties at the cut."""
        limit = min(ask.limit + TIE_MARGIN, MAX_TOP_K)
        handle = yield Send(self._search(data, field, limit, ask))
        return Pending(data, field, limit, handle)

    def received(self, pending: Pending, ask: Ask) -> Steps[list[list[dict[str, Any]]]]:
        """Milvus's hits for each query of a sent search, with every hit that ties with the last one kept.

        Engines order equal scores differently; with the whole group of ties at the cut,
        ``route_hits`` keeps the same hits everywhere.
        """
        results = [list(r) for r in (yield Receive(pending.handle))]
        if pending.field == schema.DENSE and ask.ranged is not None:
            return (yield from self._in_range(pending, ask, results))
        limit, asked, data = ask.limit, pending.limit, pending.data
        cut = [i for i, r in enumerate(results) if tie_cut(r, limit, asked)]
        while cut and asked < MAX_TOP_K:
            asked = min(asked * 4, MAX_TOP_K)
            again = yield from self.ask([data[i] for i in cut], pending.field, asked, ask)
            for i, hits in zip(cut, again, strict=True):
                results[i] = hits
            cut = [i for i in cut if tie_cut(results[i], limit, asked)]
        return results

    def _in_range(
        self, pending: Pending, ask: Ask, results: list[list[dict[str, Any]]]
    ) -> Steps[list[list[dict[str, Any]]]]:
        """The dense hits of each query inside ``ask.ranged``, kept by the store from plain searches.

        A query's search goes four times deeper while its hits fill what was asked, still score above the
        radius, and do not yet hold the ``ask.limit`` best in the range with every hit that ties with the last.
        """
        assert ask.ranged is not None
        low, high = ask.ranged
        out: list[list[dict[str, Any]]] = [[] for _ in results]
        pending_queries, asked = list(range(len(results))), pending.limit
        while True:
            deeper = []
            for i, hits in zip(pending_queries, results, strict=True):
                out[i] = [h for h in hits if h["distance"] > low and (high is None or h["distance"] <= high)]
                covered = len(hits) < asked or hits[-1]["distance"] <= low
                held = len(out[i]) > ask.limit and out[i][ask.limit - 1]["distance"] != out[i][-1]["distance"]
                if not (covered or held or asked == MAX_TOP_K):
                    deeper.append(i)
            if not deeper:
                return out
            pending_queries, asked = deeper, min(asked * 4, MAX_TOP_K)
            results = yield from self.ask([pending.data[i] for i in deeper], pending.field, asked, ask)

    def ask(self, data: list[Any], field: str, limit: int, ask: Ask) -> Steps[list[list[dict[str, Any]]]]:
        """Milvus's hits for each query."""
        return [list(r) for r in (yield self._search(data, field, limit, ask))]

    def _search(self, data: list[Any], field: str, limit: int, ask: Ask) -> Call:
        route = ask.params.dense if field == schema.DENSE else ask.params.sparse
        return Call(
            "search",
            (self.collection,),
            dict(
                data=data,
                anns_field=field,
                limit=limit,
                filter=ask.where,
                output_fields=ask.outputs,
                search_params=for_limit(route, limit),
                **ask.params.call,
            ),
        )


@dataclass(frozen=True, slots=True)
class Pending:
    """A route search sent to Milvus: its queries, field and limit, and the handle to receive its hits by."""

    data: list[Any]
    field: str
    limit: int
    handle: Any


@dataclass(frozen=True, slots=True)
class RouteParams:
    """The search parameters of each route (metric and knobs) and the options of every call."""

    dense: dict[str, Any]
    sparse: dict[str, Any]
    call: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Ask:
    """What each route asks of Milvus: how many hits, where, which fields, with which parameters."""

    limit: int
    where: str
    outputs: list[str]
    params: RouteParams
    ranged: tuple[float, float | None] | None = None
    """``(radius, range_filter)`` where the store keeps the dense hits in the range (Milvus Lite 3)."""


def for_limit(route: dict[str, Any], limit: int) -> dict[str, Any]:
    """A route's search parameters for a search of ``limit`` hits: HNSW's ``ef`` is never below it."""
    knobs = route["params"]
    if "ef" not in knobs or knobs["ef"] >= limit:
        return route
    return {**route, "params": {**knobs, "ef": limit}}


def tie_cut(hits: list[dict[str, Any]], limit: int, asked: int) -> bool:
    """Whether hits beyond the ``asked`` ones could tie with the ``limit``-th of ``hits``."""
    return len(hits) == asked > limit and hits[limit - 1]["distance"] == hits[-1]["distance"]
