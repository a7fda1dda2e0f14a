"""One large collection on Milvus Lite: insert rate, disk, search latency per route, peak memory.

    python benchmarks/scale.py [--size 1000000] [--index IVF_FLAT] [--queries 200]

Documents are the shared Cranfield/CISI texts repeated (each copy tagged, so BM25 sees real words
and a growing vocabulary) with random unit dense vectors (384 dims, as MiniLM's): encoding a million
texts with MiniLM would take most of a day on 2 cores and does not change what Milvus does. Query
encoding is excluded (query vectors come from a table). Milvus Lite 2.5 runs its engine in a child
process: peak memory is reported for both processes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from _common import peak_rss_mb, percentiles, repeated_corpus, shared_texts, table
from store_latency import TableDense

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def child_peak_rss_mb() -> float:
    """Peak resident memory of this process's children that are still running (the Lite 2.5 engine), MiB."""
    total = 0.0
    me = str(os.getpid())
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == me:
            total += int(fields.get("VmHWM", "0 kB").split()[0]) / 1024
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--index", default="IVF_FLAT", help="dense index type (Lite 2.5: FLAT, IVF_FLAT)")
    parser.add_argument("--nlist", type=int, default=1024)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50_000, help="documents per add() call")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    from milvus_model_adapters.store import HybridStore
    from milvus_model_adapters.store.lite_files import lite_version

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mma-scale-"))
    db = workdir / "scale.db"
    dense = TableDense()
    index = {"index_type": args.index, "metric_type": "IP"}
    if args.index.startswith("IVF"):
        index["params"] = {"nlist": args.nlist}
    store = HybridStore(str(db), "scale", dense=dense, dense_index=index, drop_existing=True)
    texts = repeated_corpus(args.size)
    start = time.perf_counter()
    for first in range(0, args.size, args.batch):
        chunk = texts[first : first + args.batch]
        store.add(chunk, ids=[str(i) for i in range(first, first + len(chunk))], batch_size=5000)
        done = first + len(chunk)
        print(f"{done:>9} rows  {done / (time.perf_counter() - start):8.0f} rows/s", flush=True)
    insert_s = time.perf_counter() - start
    questions = [t.split(".")[0][:120] for t in shared_texts()[: args.queries]]
    for q in questions:
        dense.queries[q] = dense.encode_documents([q])[0]
    for q in questions[:5]:  # warm up: loads, first search of each route
        store.search(q, 10, mode="hybrid")
    latency = {}
    for mode in ("dense", "sparse", "hybrid"):
        samples = []
        for q in questions:
            t0 = time.perf_counter()
            store.search(q, 10, mode=mode, fetch_k=50)
            samples.append(time.perf_counter() - t0)
        latency[mode] = percentiles(samples)
    engine_rss = child_peak_rss_mb()
    store.close()
    disk = sum(f.stat().st_size for f in workdir.rglob("*") if f.is_file())
    print()
    print(
        table(
            [
                "Milvus Lite",
                "rows",
                "index",
                "insert rows/s",
                "disk GiB",
                "dense p50/p95 ms",
                "BM25 p50/p95 ms",
                "hybrid p50/p95 ms",
                "peak RSS MiB (Python + engine)",
            ],
            [
                [
                    lite_version(),
                    f"{args.size:,}",
                    args.index,
                    f"{args.size / insert_s:,.0f}",
                    f"{disk / 2**30:.2f}",
                    "{:.1f} / {:.1f}".format(*latency["dense"]),
                    "{:.1f} / {:.1f}".format(*latency["sparse"]),
                    "{:.1f} / {:.1f}".format(*latency["hybrid"]),
                    f"{peak_rss_mb():,.0f} + {engine_rss:,.0f}",
                ]
            ],
        )
    )
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
