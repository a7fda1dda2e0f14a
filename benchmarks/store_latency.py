"""Hybrid search latency and ingest cost of HybridStore on Milvus Lite, against raw pymilvus.

    python benchmarks/store_latency.py [--sizes 10000 100000] [--queries 200]

For each size a collection is filled with the shared Cranfield/CISI texts (repeated) and random
unit dense vectors (a FLAT index's search cost does not depend on the vectors' content; real
MiniLM vectors for 100k documents would take most of an hour to compute on 2 cores). Query
encoding is excluded: query vectors are computed once up front and served from a table, so the
timings are the store's own work (BM25 query analysis, two searches, fusion, hits) against
``MilvusClient.hybrid_search`` with the same vectors, side by side, alternating queries.

The second table is ingest of real MiniLM embeddings: dense encoding alone vs ``HybridStore.add``
(dense + BM25 + insert + flush) on the same documents.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import peak_rss_mb, percentiles, repeated_corpus, shared_texts, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")
DIM = 384


class TableDense:
    """A dense function that serves precomputed vectors: random for documents, looked up for queries."""

    dim = DIM

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)
        self.queries: dict[str, np.ndarray] = {}

    def encode_documents(self, docs: list[str]) -> np.ndarray:
        v = self.rng.standard_normal((len(docs), DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def encode_queries(self, queries: list[str]) -> np.ndarray:
        return np.stack([self.queries[q] for q in queries])


def latency(size: int, n_queries: int, workdir: Path) -> dict[str, Any]:
    from pymilvus import AnnSearchRequest, RRFRanker

    from milvus_model_adapters.sparse import to_dicts
    from milvus_model_adapters.store import HybridStore

    texts = repeated_corpus(size)
    dense = TableDense()
    db = workdir / f"lat{size}.db"
    store = HybridStore(str(db), "bench", dense=dense, drop_existing=True)
    start = time.perf_counter()
    store.add(texts, ids=[str(i) for i in range(size)], batch_size=2000)
    ingest_s = time.perf_counter() - start
    questions = [t.split(".")[0][:120] for t in shared_texts()[:n_queries]]
    for q in questions:
        dense.queries[q] = dense.encode_documents([q])[0]
    assert store.bm25 is not None
    sparse_q = {q: to_dicts(store.bm25.query_vectors(store.bm25.analyze([q])))[0] for q in questions}
    for q in questions[:10]:  # warm up
        store.search(q, 10, fetch_k=50, ranker="rrf")
    raw_t, store_t, server_t = [], [], []
    for q in questions:
        reqs = [
            AnnSearchRequest([dense.queries[q]], "dense", {"metric_type": "IP"}, 50),
            AnnSearchRequest([sparse_q[q]], "sparse", {"metric_type": "IP"}, 50),
        ]
        t0 = time.perf_counter()
        store.client.hybrid_search("bench", reqs, RRFRanker(60), limit=10, output_fields=["id", "text", "metadata"])
        t1 = time.perf_counter()
        store.search(q, 10, fetch_k=50, ranker="rrf")
        t2 = time.perf_counter()
        store.search(q, 10, fetch_k=50, ranker="rrf", fusion="server")
        t3 = time.perf_counter()
        raw_t.append(t1 - t0)
        store_t.append(t2 - t1)
        server_t.append(t3 - t2)
    modes = {}
    for mode in ("dense", "sparse"):
        ts = []
        for q in questions:
            t0 = time.perf_counter()
            store.search(q, 10, mode=mode)
            ts.append(time.perf_counter() - t0)
        modes[mode] = percentiles(ts)
    store.close()
    disk = sum(f.stat().st_size for f in db.parent.rglob("*") if f.is_file() and f.name.startswith(db.name))
    return {
        "size": size,
        "ingest_s": ingest_s,
        "raw": percentiles(raw_t),
        "store": percentiles(store_t),
        "server": percentiles(server_t),
        "dense": modes["dense"],
        "sparse": modes["sparse"],
        "disk_mb": disk / 2**20,
    }


def ingest(n_docs: int, workdir: Path) -> dict[str, float]:
    from milvus_model_adapters.dense import DenseEncoder
    from milvus_model_adapters.store import HybridStore

    texts = shared_texts()[:n_docs]
    encoder = DenseEncoder.default()
    encoder.encode_documents(texts[:32])
    dense_runs, store_runs = [], []
    for attempt in range(2):  # alternate, best of two each: the machine's noise hits both
        start = time.perf_counter()
        encoder.encode_documents(texts)
        dense_runs.append(time.perf_counter() - start)
        store = HybridStore(str(workdir / "ingest.db"), f"ingest{attempt}", dense=encoder, drop_existing=True)
        start = time.perf_counter()
        store.add(texts)
        store_runs.append(time.perf_counter() - start)
        store.close()
    return {"docs": len(texts), "dense_s": min(dense_runs), "store_s": min(store_runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ingest-docs", type=int, default=1000)
    parser.add_argument("--ingest-only", action="store_true", help="skip the latency table")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mma-bench-"))
    try:
        rows = []
        for size in [] if args.ingest_only else args.sizes:
            r = latency(size, args.queries, workdir)
            rows.append(
                [
                    r["size"],
                    f"{r['raw'][0]:.1f} / {r['raw'][1]:.1f}",
                    f"{r['store'][0]:.1f} / {r['store'][1]:.1f}",
                    f"{r['store'][0] / r['raw'][0]:.3f}",
                    f"{r['server'][0]:.1f} / {r['server'][1]:.1f}",
                    f"{r['dense'][0]:.1f} / {r['dense'][1]:.1f}",
                    f"{r['sparse'][0]:.1f} / {r['sparse'][1]:.1f}",
                    f"{r['ingest_s']:.0f}",
                    f"{r['disk_mb']:.0f}",
                ]
            )
        if rows:
            print(
                table(
                    [
                        "docs",
                        "raw hybrid_search p50/p95 ms",
                        "HybridStore hybrid p50/p95 ms",
                        "store/raw p50",
                        "store, server fusion p50/p95 ms",
                        "store dense p50/p95 ms",
                        "store BM25 p50/p95 ms",
                        "ingest s (random vectors)",
                        "disk MiB",
                    ],
                    rows,
                )
            )
        r = ingest(args.ingest_docs, workdir)
        print()
        print(
            table(
                [
                    "docs (real MiniLM)",
                    "dense encoding alone s",
                    "HybridStore.add s",
                    "add throughput / encoding throughput",
                ],
                [[r["docs"], r["dense_s"], r["store_s"], r["dense_s"] / r["store_s"]]],
            )
        )
        print(f"\npeak RSS of the benchmark process: {peak_rss_mb():.0f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
