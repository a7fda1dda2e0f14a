"""Search latency and ingest cost of HybridStore on Milvus Lite, against raw pymilvus doing the same calls.

    python benchmarks/store_latency.py [--sizes 10000 100000] [--queries 200]

For each size a collection is filled with the shared Cranfield/CISI texts (repeated) and random
unit dense vectors (a FLAT index's search cost does not depend on the vectors' content; real
MiniLM vectors for 100k documents would take most of an hour to compute on 2 cores). Query
encoding is excluded: query vectors are computed once up front and served from a table. Each path
of the store runs against the raw pymilvus calls that do the same work, alternating on every query:
``search`` for dense and BM25, ``hybrid_search`` for server fusion, and for client fusion two
``search`` calls of 50 candidates fused in a few lines of Python (the store runs the two side by side).

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

from _common import TableDense, peak_rss_mb, percentiles, repeated_corpus, shared_texts, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")


OUT = ["id", "text", "metadata"]


def rrf(routes: list[list[Any]], k: int = 60) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of Milvus hit lists, as a user would write it."""
    scores: dict[str, float] = {}
    for hits in routes:
        for rank, hit in enumerate(hits, start=1):
            scores[hit["id"]] = scores.get(hit["id"], 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])[:10]


def latency(size: int, n_queries: int, workdir: Path) -> dict[str, Any]:
    from pymilvus import AnnSearchRequest, RRFRanker

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

    # BM25 query vectors are computed in the timed part on both sides, as the store sends them (term ids
    # hashed as stored), so both search the same postings; dense query vectors come from the table.
    def sparse_q(q: str) -> Any:
        return store.sparse.queries([q])[0]

    client = store.client
    ip = {"metric_type": "IP"}

    def raw_dense(q: str) -> Any:
        return client.search(
            "bench", [dense.queries[q]], anns_field="dense", limit=10, output_fields=OUT, search_params=ip
        )

    def raw_sparse(q: str) -> Any:
        return client.search("bench", [sparse_q(q)], anns_field="sparse", limit=10, output_fields=OUT, search_params=ip)

    def raw_server(q: str) -> Any:
        reqs = [
            AnnSearchRequest([dense.queries[q]], "dense", ip, 50),
            AnnSearchRequest([sparse_q(q)], "sparse", ip, 50),
        ]
        return client.hybrid_search("bench", reqs, RRFRanker(60), limit=10, output_fields=OUT)

    def raw_client(q: str) -> Any:
        d = client.search(
            "bench", [dense.queries[q]], anns_field="dense", limit=50, output_fields=OUT, search_params=ip
        )
        s = client.search("bench", [sparse_q(q)], anns_field="sparse", limit=50, output_fields=OUT, search_params=ip)
        return rrf([d[0], s[0]])

    paths = {
        "dense": (raw_dense, lambda q: store.search(q, 10, mode="dense")),
        "BM25": (raw_sparse, lambda q: store.search(q, 10, mode="sparse")),
        "hybrid, server fusion": (raw_server, lambda q: store.search(q, 10, fetch_k=50, ranker="rrf", fusion="server")),
        "hybrid, client fusion": (raw_client, lambda q: store.search(q, 10, fetch_k=50, ranker="rrf")),
    }
    for raw, ours in paths.values():  # warm up
        for q in questions[:10]:
            raw(q)
            ours(q)
    timings: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in paths}
    for q in questions:  # alternate raw and store on every query: the machine's noise hits both
        for name, (raw, ours) in paths.items():
            t0 = time.perf_counter()
            raw(q)
            t1 = time.perf_counter()
            ours(q)
            t2 = time.perf_counter()
            timings[name][0].append(t1 - t0)
            timings[name][1].append(t2 - t1)
    store.close()
    # Milvus Lite 2.5 keeps a file (and files named after it), Milvus Lite 3 a folder.
    files = db.rglob("*") if db.is_dir() else (f for f in db.parent.iterdir() if f.name.startswith(db.name))
    disk = sum(f.stat().st_size for f in files if f.is_file())
    return {
        "size": size,
        "ingest_s": ingest_s,
        "paths": {name: (percentiles(r), percentiles(o)) for name, (r, o) in timings.items()},
        "disk_mb": disk / 2**20,
    }


def ingest(n_docs: int, workdir: Path) -> dict[str, float]:
    from milvus_model_adapters.encoders.dense import DenseEncoder
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
    parser.add_argument("--ingest-docs", type=int, default=1000, help="0: skip the ingest table")
    parser.add_argument("--ingest-only", action="store_true", help="skip the latency table")
    args = parser.parse_args()
    from milvus_model_adapters.store.lite_files import lite_version

    workdir = Path(tempfile.mkdtemp(prefix="mma-bench-"))
    try:
        rows = []
        for size in [] if args.ingest_only else args.sizes:
            r = latency(size, args.queries, workdir)
            for name, (raw, ours) in r["paths"].items():
                rows.append(
                    [
                        lite_version(),
                        f"{size:,}",
                        name,
                        f"{raw[0]:.1f} / {raw[1]:.1f}",
                        f"{ours[0]:.1f} / {ours[1]:.1f}",
                        f"{ours[0] / raw[0]:.3f}",
                    ]
                )
            server, client = r["paths"]["hybrid, server fusion"][0], r["paths"]["hybrid, client fusion"][1]
            print(
                f"{size:,} docs: ingest {r['ingest_s']:.0f} s (random vectors), {r['disk_mb']:.0f} MiB on disk; "
                f"store client fusion / raw hybrid_search p50 = {client[0] / server[0]:.3f}",
                flush=True,
            )
        if rows:
            print(
                table(
                    [
                        "milvus-lite",
                        "docs",
                        "path (k = 10, RRF over 50 + 50)",
                        "raw pymilvus p50/p95 ms",
                        "HybridStore p50/p95 ms",
                        "store/raw p50",
                    ],
                    rows,
                )
            )
        if not args.ingest_docs:
            return
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
