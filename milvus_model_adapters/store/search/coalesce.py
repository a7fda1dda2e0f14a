"""Concurrent async searches sent to Milvus together: one call per route for the queries that wait.

A service answering many users at once runs many ``asearch`` calls at the same time. Each would cost its own
Milvus calls; a batch of queries costs one call per route (``search_many`` is about
4x cheaper per query at 30 queries on Milvus Lite 2.5). ``Coalescer`` sends the first search at once; searches
that arrive while batches are in flight wait for the next free slot and go together, at most ``max_batch`` a
batch. Nothing waits on a timer: one search alone is sent as soon as it comes, and under load the batches grow
by themselves. Only searches with equal settings share a batch, and each query's hits are those it gets alone
(``search_many`` answers each query of a batch with the hits it gets alone; Milvus Lite 3 may score them a
float32 rounding apart).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from milvus_model_adapters.store.search.params import SearchParams
from milvus_model_adapters.store.types import Hit

Vectors = npt.NDArray[np.float32]

RunBatch = Callable[[list[str], SearchParams, "Vectors | None", str], Awaitable[list[list[Hit]]]]
"""A search of several queries: texts, settings, their dense vectors (all or none), the scope."""

MAX_BATCH = 64
"""Queries of one batch at most."""

MAX_IN_FLIGHT = 2
"""Batches of the same settings in flight at once: while Milvus answers one, the client works on the other."""


@dataclass(eq=False)
class _Waiting:
    """The searches of one kind of settings that wait for a batch, and the batches of them in flight."""

    params: SearchParams
    scope: str
    with_vector: bool
    queries: list[tuple[str, Vectors | None, asyncio.Future[list[Hit]]]] = field(default_factory=list)
    in_flight: int = 0

    def takes(self, params: SearchParams, scope: str, with_vector: bool) -> bool:
        return self.with_vector == with_vector and self.scope == scope and self.params == params


class Coalescer:
    """Runs concurrent async searches of one store in batches."""

    def __init__(self, run_batch: RunBatch, *, max_batch: int = MAX_BATCH, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        """Run batches with ``run_batch``."""
        self._run_batch = run_batch
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[_Waiting]] = weakref.WeakKeyDictionary()

    async def search(self, query: str, params: SearchParams, vector: Vectors | None, scope: str) -> list[Hit]:
        """The hits of ``query`` (checked, as its ``vector``), searched with the waiting searches of equal settings.

        Args:
            query: The question.
            params: The search settings.
            vector: The query's dense vector, if known (a float32 row of the store's dimension).
            scope: The expression every hit must meet besides the filter (a tenant's).
        """
        loop = asyncio.get_running_loop()
        kinds = self._loops.setdefault(loop, [])
        waiting = next((w for w in kinds if w.takes(params, scope, vector is not None)), None)
        if waiting is None:
            waiting = _Waiting(params, scope, vector is not None)
            kinds.append(waiting)
        answer: asyncio.Future[list[Hit]] = loop.create_future()
        waiting.queries.append((query, vector, answer))
        self._dispatch(waiting, kinds)
        return await answer

    def _dispatch(self, waiting: _Waiting, kinds: list[_Waiting]) -> None:
        """Send the waiting searches in batches, while fewer than ``max_in_flight`` are in flight."""
        while waiting.queries and waiting.in_flight < self.max_in_flight:
            batch, waiting.queries = waiting.queries[: self.max_batch], waiting.queries[self.max_batch :]
            waiting.in_flight += 1
            task = asyncio.ensure_future(self._send(waiting, kinds, batch))
            task.add_done_callback(_retrieve)

    async def _send(
        self,
        waiting: _Waiting,
        kinds: list[_Waiting],
        batch: list[tuple[str, Vectors | None, asyncio.Future[list[Hit]]]],
    ) -> None:
        texts = [query for query, _, _ in batch]
        vectors = np.stack([vector for _, vector, _ in batch]) if waiting.with_vector else None  # type: ignore[misc]
        try:
            results = await self._run_batch(texts, waiting.params, vectors, waiting.scope)
        except BaseException as error:  # every search of the batch gets the batch's error
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
        else:
            for (_, _, answer), hits in zip(batch, results, strict=True):
                if not answer.done():
                    answer.set_result(hits)
        finally:
            waiting.in_flight -= 1
            if waiting.queries:
                self._dispatch(waiting, kinds)
            elif not waiting.in_flight and waiting in kinds:
                kinds.remove(waiting)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a batch task's outcome as seen (its searches already have it)."""
    if not task.cancelled():
        task.exception()
