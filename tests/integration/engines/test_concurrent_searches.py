"""Concurrent async searches share Milvus calls and each gets exactly the hits it gets alone.

``asearch`` sends waiting searches with equal settings together (``store.search.coalesce``). Under load
(many in flight, several kinds of settings at once, tenants, a failing kind) every answer must equal the
serial one, on a Milvus Lite file and a served engine, and from several processes at once on loopback.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from milvus_model_adapters import (
    DimensionMismatchError,
    FilterError,
    HybridStore,
    InvalidInputError,
    TenantRequiredError,
)
from milvus_model_adapters.store.search.coalesce import Coalescer
from tests.support.corpus import CORPUS, SEARCH_KINDS
from tests.support.fixed_dense import HashDense

ROOT = Path(__file__).resolve().parents[3]
QUERIES = ["vector database", "keyword ranking", "local file", "similarity search", "BM25", "Milvus Lite server"]
KINDS = SEARCH_KINDS


def _ids(hits: list[Any]) -> list[str]:
    return [h.id for h in hits]


async def _all_at_once(store: HybridStore, searches: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    return await asyncio.gather(*(store.asearch(q, 4, **opts) for q, opts in searches), return_exceptions=True)


def test_concurrent_searches_of_every_kind_equal_the_serial_ones(filled_store: HybridStore) -> None:
    searches = [(q, kind) for kind in KINDS for q in QUERIES] * 3
    serial = [_ids(filled_store.search(q, 4, **opts)) for q, opts in searches]
    calls = []
    run = filled_store._coalescer._run_batch

    def counted(*args: Any) -> Any:
        calls.append(len(args[0]))
        return run(*args)

    filled_store._coalescer._run_batch = counted
    answers = asyncio.run(_all_at_once(filled_store, searches))
    assert [_ids(a) for a in answers] == serial
    assert len(calls) < len(searches) and max(calls) > 1  # searches shared calls


def test_a_search_alone_is_sent_at_once_and_a_failing_kind_fails_alone(filled_store: HybridStore) -> None:
    assert _ids(asyncio.run(filled_store.asearch("vector database", 3))) == _ids(
        filled_store.search("vector database", 3)
    )
    bad = {"expr": 'metadata["n"] >>> 3'}  # Milvus refuses it: one error for each search of that kind
    searches = [(q, opts) for q in QUERIES for opts in ({}, bad)]
    answers = asyncio.run(_all_at_once(filled_store, searches))
    for (q, opts), answer in zip(searches, answers, strict=True):
        if opts:
            assert isinstance(answer, FilterError), answer
        else:
            assert _ids(answer) == _ids(filled_store.search(q, 4))


def test_bad_input_is_refused_before_anything_is_sent(filled_store: HybridStore) -> None:
    for call, error in (
        (lambda: filled_store.asearch("", 3), InvalidInputError),
        (lambda: filled_store.asearch("q", 3, top_k=2), InvalidInputError),
        (lambda: filled_store.asearch("q", 3, vector=[0.1, 0.2]), DimensionMismatchError),
    ):
        with pytest.raises(error):
            asyncio.run(call())


def test_tenants_stay_apart_in_shared_batches(tmp_path: Any) -> None:
    with HybridStore(str(tmp_path / "t.db"), dense=HashDense(), tenant_field="tenant") as store:
        views = {name: store.for_tenant(name) for name in ("acme", "globex")}
        for name, view in views.items():
            view.add([f"{name} {text}" for text in CORPUS[:8]])
        with pytest.raises(TenantRequiredError):
            asyncio.run(store.asearch("vector", 3))

        async def both() -> list[list[Any]]:
            return await asyncio.gather(*(v.asearch(q, 5) for q in QUERIES for v in views.values()))

        answers = asyncio.run(both())
        expected = [_ids(v.search(q, 5)) for q in QUERIES for v in views.values()]
        assert [_ids(a) for a in answers] == expected
        tenants = [name for _ in QUERIES for name in views]
        for name, hits in zip(tenants, answers, strict=True):
            assert all(h.text.startswith(name) for h in hits)


def test_batches_are_bounded_and_every_waiting_search_is_answered() -> None:
    sizes: list[int] = []

    async def run(texts: list[str], params: Any, vectors: Any, scope: str) -> list[list[Any]]:
        sizes.append(len(texts))
        await asyncio.sleep(0)
        return [[text] for text in texts]  # each query's own answer

    coalescer = Coalescer(run, max_batch=5, max_in_flight=2)

    async def many() -> list[Any]:
        return await asyncio.gather(*(coalescer.search(str(i), None, None, "") for i in range(23)))  # type: ignore[arg-type]

    assert asyncio.run(many()) == [[str(i)] for i in range(23)]
    assert sum(sizes) == 23 and max(sizes) <= 5 and sizes[0] == 1


PROCESS = textwrap.dedent(
    """
    import asyncio, json, sys
    from milvus_model_adapters.store import HybridStore
    from tests.support.fixed_dense import HashDense

    uri, collection, worker = sys.argv[1], sys.argv[2], int(sys.argv[3])
    queries = [f"word{(worker * 7 + i) % 40} row" for i in range(40)]
    with HybridStore(uri, collection, dense=HashDense()) as store:
        serial = [[h.id for h in store.search(q, 5, ranker="rrf" if i % 2 else "weighted")] for i, q in enumerate(queries)]

        async def at_once():
            return await asyncio.gather(
                *(store.asearch(q, 5, ranker="rrf" if i % 2 else "weighted") for i, q in enumerate(queries * 3))
            )

        answers = [[h.id for h in hits] for hits in asyncio.run(at_once())]
    print(json.dumps(answers == serial * 3))
    """
)


@pytest.mark.network
def test_processes_searching_a_served_engine_at_once_get_the_serial_answers(server_uri: str) -> None:
    collection = "concurrent_processes"
    with HybridStore(server_uri, collection, dense=HashDense(), drop_existing=True) as store:
        store.add([f"word{i % 40} word{(3 * i) % 40} row {i}" for i in range(400)])
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, server_uri, collection, str(w)], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        for w in range(3)
    ]
    outputs = [w.communicate(timeout=600)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0]
    assert [json.loads(out.strip().splitlines()[-1]) for out in outputs] == [True, True, True]
