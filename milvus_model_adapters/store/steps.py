"""A store's operations as steps, written once and run by a blocking driver or an async one.

Each operation that talks to Milvus (a search, a write, a delete) is a generator that yields what it needs
done and receives the answer: ``Call`` (a client method and its arguments), ``Send`` and ``Receive`` (a
search started and its hits taken later, so that both routes' searches are in flight at once) and ``Work``
(encoding, analysis, a reranker: anything that blocks but is no Milvus call). ``run`` drives the steps with a
``MilvusClient``, as the blocking methods do; ``arun`` with pymilvus's ``AsyncMilvusClient``, doing ``Work`` in
a worker thread, as the async methods do on a served engine. A step that fails raises at its ``yield``, so the
operation's own ``milvus_errors`` translates the error alike in both.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """A client method called with these arguments; its answer is sent back."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Send:
    """A search started (``Call`` of ``search``); a handle to ``Receive`` its hits by is sent back."""

    call: Call


@dataclass(frozen=True, slots=True)
class Receive:
    """The answer of a ``Send``."""

    handle: Any


@dataclass(frozen=True, slots=True)
class Work:
    """Blocking work that is no Milvus call: ``function(*args)``, whose result is sent back."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()


Step = Call | Send | Receive | Work
Steps = Generator[Step, Any, T]
"""An operation: the steps it yields, the answers it receives, what it returns."""


@dataclass(frozen=True, slots=True)
class _Finished:
    value: Any


def _advance(steps: Steps[Any], answer: Any, error: BaseException | None) -> Step | _Finished:
    """The next step, given the last one's answer (or error, raised at its ``yield``); or the result."""
    try:
        return steps.throw(error) if error is not None else steps.send(answer)
    except StopIteration as done:
        return _Finished(done.value)


def run(steps: Steps[T], client: Any) -> T:
    """Drive ``steps`` with a blocking ``MilvusClient``; their result."""
    answer: Any = None
    error: BaseException | None = None
    while not isinstance(step := _advance(steps, answer, error), _Finished):
        answer, error = None, None
        try:
            if isinstance(step, Work):
                answer = step.function(*step.args)
            elif isinstance(step, Receive):
                answer = step.handle.result()
            elif isinstance(step, Send):
                answer = getattr(client, step.call.method)(*step.call.args, _async=True, **step.call.kwargs)
            else:
                answer = getattr(client, step.method)(*step.args, **step.kwargs)
        except Exception as exc:
            error = exc
    return step.value  # type: ignore[no-any-return]


async def arun(steps: Steps[T], client: Any) -> T:
    """Drive ``steps`` with an ``AsyncMilvusClient`` of the running loop, ``Work`` in a worker thread."""
    answer: Any = None
    error: BaseException | None = None
    started: set[asyncio.Future[Any]] = set()
    try:
        while not isinstance(step := _advance(steps, answer, error), _Finished):
            answer, error = None, None
            try:
                answer = await _async_answer(step, client, started)
            except Exception as exc:
                error = exc
        return step.value  # type: ignore[no-any-return]
    finally:
        for task in started:  # searches started by an operation that failed before it took their hits
            task.cancel()
        if started:
            await asyncio.gather(*started, return_exceptions=True)


async def _async_answer(step: Step, client: Any, started: set[asyncio.Future[Any]]) -> Any:
    if isinstance(step, Work):
        return await asyncio.to_thread(step.function, *step.args)
    if isinstance(step, Receive):
        started.discard(step.handle)
        return await step.handle
    if isinstance(step, Send):
        call = step.call
        task = asyncio.ensure_future(getattr(client, call.method)(*call.args, **call.kwargs))
        started.add(task)
        return task
    return await getattr(client, step.method)(*step.args, **step.kwargs)
