"""Crash safety and concurrency of the store on a real Milvus Lite database."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.store import HybridStore
from tests.support.corpus import CORPUS
from tests.support.fixed_dense import HashDense

ROOT = Path(__file__).resolve().parents[3]
# The writer that is killed: a fixed dense function (no model to load), since rows and BM25 statistics
# are the subject.
INGEST = textwrap.dedent(
    f"""
    import sys
    sys.path.insert(0, {str(ROOT)!r})
    from tests.support.fixed_dense import HashDense
    from milvus_model_adapters.store import HybridStore
    db, batches = sys.argv[1], int(sys.argv[2])
    store = HybridStore(db, dense=HashDense())
    for b in range(batches):
        ids = [f"b{{b}}-{{i}}" for i in range(50)]
        texts = [f"batch {{b}} document {{i}} about wing lift number {{b * 50 + i}} and engine thrust" for i in range(50)]
        store.add(texts, ids=ids)
        print(f"ACK {{b}}", flush=True)
    print("DONE", flush=True)
    """
)


def stored_statistics_match_rows(store: HybridStore) -> None:
    texts = [d.text for d in store.documents()]
    assert store.bm25 is not None
    fresh = BM25Encoder(store.bm25.analyzer).fit(texts)
    assert store.bm25.corpus_size == len(texts) == store.count()
    assert store.bm25.avgdl == fresh.avgdl
    vocab = store.bm25.vocabulary
    df = store.bm25.document_frequencies
    for term, index in fresh.vocabulary.items():
        assert df[vocab[term]] == fresh.document_frequencies[index]


def test_sigkill_during_ingest_loses_no_acknowledged_batch(tmp_path: Path) -> None:
    db = str(tmp_path / "crash.db")
    script = tmp_path / "ingest.py"
    script.write_text(INGEST)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, str(script), db, "40"], stdout=subprocess.PIPE, text=True, env=env)
    acked: list[int] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ACK"):
            acked.append(int(line.split()[1]))
            if len(acked) == 4:
                proc.send_signal(signal.SIGKILL)  # in the middle of the fifth batch
                break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    store = HybridStore(db, dense=HashDense())
    ids = {d.id for d in store.documents()}
    for b in acked:
        assert {f"b{b}-{i}" for i in range(50)} <= ids
    assert len(ids) == store.count()  # no duplicates
    stored_statistics_match_rows(store)
    store.close()

    rerun = subprocess.run(
        [sys.executable, str(script), db, "40"], capture_output=True, text=True, env=env, timeout=900
    )
    assert "DONE" in rerun.stdout, rerun.stderr[-2000:]
    store = HybridStore(db, dense=HashDense())
    assert store.count() == 40 * 50
    stored_statistics_match_rows(store)
    store.close()


def test_threads_and_asyncio_return_the_serial_results(filled_store: HybridStore) -> None:
    queries = [*CORPUS, "vector database", "jet engines", "Turing", "rank fusion"] * 2
    serial = [[(h.id, h.score) for h in filled_store.search(q, k=5)] for q in queries]
    results: list[list[tuple[str, float]]] = [[] for _ in queries]

    def worker(offset: int) -> None:
        for i in range(offset, len(queries), 8):
            results[i] = [(h.id, h.score) for h in filled_store.search(queries[i], k=5)]

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == serial

    async def gather() -> list[list[tuple[str, float]]]:
        hits = await asyncio.gather(*(filled_store.asearch(q, k=5) for q in (queries * 2)[:32]))
        return [[(h.id, h.score) for h in r] for r in hits]

    # Concurrent searches share batched Milvus calls: the same hits in the same order, and the same scores up
    # to float32 rounding (Milvus Lite 3 scores a batch a rounding apart from a query alone).
    together, expected = asyncio.run(gather()), (serial * 2)[:32]
    assert [[i for i, _ in hits] for hits in together] == [[i for i, _ in hits] for hits in expected]
    scores = [s for hits in together for _, s in hits]
    assert scores == pytest.approx([s for hits in expected for _, s in hits], rel=1e-5, abs=1e-6)


def test_concurrent_ingest_and_query_never_see_half_written_documents(store: HybridStore) -> None:
    def text(i: int) -> str:
        return f"document {i} about wings " + "lift " * (i % 7)

    def checksum(t: str) -> str:
        return hashlib.sha256(t.encode()).hexdigest()[:12]

    stop = threading.Event()
    seen: list[tuple[str, dict[str, object]]] = []
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                for h in store.search("wings lift document", k=20):
                    seen.append((h.text, h.metadata))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for start in range(0, 200, 20):
            batch = [text(i) for i in range(start, start + 20)]
            store.add(batch, metadatas=[{"sum": checksum(t)} for t in batch], batch_size=20)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert seen
    for t, meta in seen:
        assert meta["sum"] == checksum(t)
    assert store.count() == 200
    assert np.isfinite([h.score for h in store.search("wings", k=10)]).all()


def _lite_server_of(uri: str, *, start: bool = True) -> Any:
    """The Milvus Lite 2.5 server process serving ``uri`` (skips on the generation that has none).

    It is started through Milvus Lite's own manager, as pymilvus starts it, but with no client connected.
    """
    manager = pytest.importorskip("milvus_lite.server_manager").server_manager_instance
    if start:
        manager.start_and_get_uri(uri)
    process = getattr(manager._servers.get(os.path.realpath(uri)), "_p", None)
    if start and process is None:
        pytest.skip("this Milvus Lite generation serves files from this process, not from a server process")
    return process


def test_a_milvus_lite_server_slow_to_answer_is_waited_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Milvus Lite 2.5's server process may answer after pymilvus's connection timeout on a busy machine."""
    from pymilvus import MilvusClient

    from milvus_model_adapters.store import connection

    uri = str(tmp_path / "slow.db")
    process = _lite_server_of(uri)
    process.send_signal(signal.SIGSTOP)  # the server is there but does not answer
    attempts: list[dict[str, object]] = []

    def paused_on_first_attempt(**kwargs: object) -> MilvusClient:
        attempts.append(kwargs)
        if len(attempts) > 1:
            return MilvusClient(**kwargs)  # type: ignore[arg-type]
        try:
            return MilvusClient(**kwargs, timeout=0.5)  # type: ignore[arg-type]
        finally:
            process.send_signal(signal.SIGCONT)

    monkeypatch.setattr(connection, "MilvusClient", paused_on_first_attempt)
    try:
        client = connection.connect(uri, token=None, db_name=None)
    finally:
        process.send_signal(signal.SIGCONT)
    try:
        assert client.list_collections() == []
        assert len(attempts) == 2
    finally:
        connection.disconnect(client, uri)


def test_a_milvus_lite_server_that_ended_is_started_again(tmp_path: Path) -> None:
    """A file's server process killed after it started (Milvus Lite keeps handing out its socket) is replaced."""
    uri = str(tmp_path / "ended.db")
    with HybridStore(uri, dense=HashDense()) as store:
        store.add(["kept across the restart"])
    process = _lite_server_of(uri)
    process.kill()
    process.wait()
    with HybridStore(uri, dense=HashDense()) as store:
        assert _lite_server_of(uri, start=False) not in (None, process)
        assert [d.text for d in store.documents()] == ["kept across the restart"]


def test_a_milvus_lite_server_that_dies_while_starting_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server process ends before it answers the first connection: it is started once more."""
    from pymilvus import MilvusClient

    from milvus_model_adapters.store import connection

    uri = str(tmp_path / "dies.db")
    attempts: list[dict[str, object]] = []

    def killed_on_first_attempt(**kwargs: object) -> MilvusClient:
        attempts.append(kwargs)
        if len(attempts) > 1:
            return MilvusClient(**kwargs)  # type: ignore[arg-type]
        process = _lite_server_of(uri)
        process.kill()
        process.wait()
        return MilvusClient(**kwargs, timeout=0.5)  # type: ignore[arg-type]

    monkeypatch.setattr(connection, "MilvusClient", killed_on_first_attempt)
    client = connection.connect(uri, token=None, db_name=None)
    try:
        assert client.list_collections() == []
        assert len(attempts) == 2
    finally:
        connection.disconnect(client, uri)
