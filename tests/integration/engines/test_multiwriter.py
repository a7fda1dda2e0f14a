"""Several writers on one served database: BM25 stays right with no lock and no shared vocabulary."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.store import ClientBM25, HybridStore
from tests.support.fixed_dense import HashDense

pytestmark = pytest.mark.network
ROOT = Path(__file__).resolve().parents[3]
COMMON = ["wing", "lift", "drag", "engine", "thrust", "boiler", "valve", "kettle", "flow", "heat"]


def text(writer: int, i: int) -> str:
    words = [COMMON[(writer * 7 + i * k) % len(COMMON)] for k in range(1, 2 + i % 5)]
    return f"{' '.join(words)} unique{writer}x{i}"


WRITER = """
import sys
sys.path.insert(0, {root!r})
from tests.support.fixed_dense import HashDense
from tests.integration.engines.test_multiwriter import text
from milvus_model_adapters.store import HybridStore
writer, uri, name, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
with HybridStore(uri, name, dense=HashDense()) as store:
    for start in range(0, count, 3):
        store.add([text(writer, i) for i in range(start, min(count, start + 3))],
                  ids=[f"w{{writer}}-{{i}}" for i in range(start, min(count, start + 3))])
"""


def store_on(uri: str, name: str) -> HybridStore:
    return HybridStore(uri, name, dense=HashDense(), sparse=ClientBM25(sync_interval=0.0))


def test_processes_writing_at_once_keep_bm25_exact(server_uri: str) -> None:
    name = "mw_" + uuid.uuid4().hex[:8]
    writers, per_writer = 3, 30
    store_on(server_uri, name).close()  # the collection exists before the writers start
    code = WRITER.format(root=str(ROOT))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(w), server_uri, name, str(per_writer)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]

    corpus = {f"w{w}-{i}": text(w, i) for w in range(writers) for i in range(per_writer)}
    with store_on(server_uri, name) as store:
        assert store.count() == len(corpus) and store.bm25_stats()["corpus_size"] == len(corpus)
        for doc_id, doc in corpus.items():
            assert [h.id for h in store.search(doc.split()[-1], 1, mode="sparse")] == [doc_id]
        store.refresh_bm25()
        reference = BM25Encoder(idf="lucene").fit(list(corpus.values()))
        documents = reference.encode_documents(list(corpus.values()))
        for query in ["wing lift", "boiler valve kettle", "thrust unique1x4", "heat flow drag engine"]:
            expected = (documents @ reference.encode_queries([query]).T).toarray()[:, 0]
            found = {h.id: h.sparse_score for h in store.search(query, len(corpus), mode="sparse")}
            for doc_id, score in zip(corpus, expected, strict=True):
                if score > 0:
                    assert found[doc_id] == pytest.approx(float(score), rel=1e-5)
                else:
                    assert doc_id not in found
        store.drop()


def test_two_clients_that_write_in_turn_find_each_others_documents(server_uri: str) -> None:
    name = "mw_" + uuid.uuid4().hex[:8]
    a, b = store_on(server_uri, name), store_on(server_uri, name)
    a.add([text(0, i) for i in range(20)], ids=[f"a{i}" for i in range(20)])
    b.add([text(1, i) for i in range(20)], ids=[f"b{i}" for i in range(20)])
    for reader in (a, b):
        for prefix, writer in (("a", 0), ("b", 1)):
            found = [reader.search(f"unique{writer}x{i}", 1, mode="sparse") for i in range(20)]
            assert [h[0].id if h else None for h in found] == [f"{prefix}{i}" for i in range(20)]
    assert a.bm25_stats() == b.bm25_stats()
    a.drop()
    a.close()
    b.close()


def test_term_ids_are_stable_and_spread() -> None:
    from milvus_model_adapters.store.sparse.client_bm25 import TERM_IDS, term_id

    # Stored vectors hold these ids: they must never change between processes or versions.
    assert (term_id("wing"), term_id("Straße")) == (769447084, 2041362470)
    ids = [term_id(f"term{i}") for i in range(100_000)]
    assert all(0 <= i < TERM_IDS for i in ids)
    assert len(set(ids)) >= 99_990  # about V**2 / 2**33 = 1.2 collisions expected
    assert np.std(np.asarray(ids, dtype=np.float64)) > TERM_IDS / 4


def test_recount_repairs_a_write_cut_short_on_a_served_database(server_uri: str) -> None:
    from milvus_model_adapters.store.sparse.bm25_state import Delta

    name = "mw_" + uuid.uuid4().hex[:8]
    with store_on(server_uri, name) as store:
        store.add([text(0, i) for i in range(6)])
        assert store.bm25 is not None
        batch = store.bm25.analyze([text(1, 0)], grow=True)  # a writer killed after its pending delta
        store.sparse.state.begin(Delta.of(store.bm25, batch))
        store.recount_bm25()
        assert store.bm25_stats()["corpus_size"] == 6 and not store.sparse.state.pending()
        fresh = BM25Encoder(idf="lucene").fit([text(0, i) for i in range(6)])
        assert store.bm25_stats()["avgdl"] == pytest.approx(fresh.avgdl)
        store.drop()


@pytest.mark.parametrize("repeat", range(3))
def test_a_writer_deleting_and_replacing_anothers_documents(server_uri: str, repeat: int) -> None:
    name = "mw_" + uuid.uuid4().hex[:8]
    with store_on(server_uri, name) as a, store_on(server_uri, name) as b:
        a.add([text(0, i) for i in range(10)], ids=[f"a{i}" for i in range(10)])
        b.delete([f"a{i}" for i in range(4)])
        b.add(["a replaced text about kettles"], ids=["a5"])
        remaining = [text(0, i) for i in range(10) if i >= 4 and i != 5] + ["a replaced text about kettles"]
    with store_on(server_uri, name) as reader:  # sums every writer's deltas, in whatever order they come
        fresh = BM25Encoder(idf="lucene").fit(remaining)
        stats = reader.bm25_stats()
        assert stats["corpus_size"] == len(remaining) and stats["avgdl"] == pytest.approx(fresh.avgdl)
        assert reader.search("kettles", 1, mode="sparse")[0].id == "a5"
        reader.drop()
