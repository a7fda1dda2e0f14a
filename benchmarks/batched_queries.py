"""Many queries: one ``search`` call each against ``search_many`` (one Milvus call per route for a batch).

    python benchmarks/batched_queries.py [--size 10000] [--queries 120] [--batch 30]

Run it under each Milvus Lite generation: Milvus Lite 3 pays a fixed cost per search call that grows with
the collection, which a batch pays once; ``mma eval`` and ``mma search Q1 Q2 ...`` send batches. Same
corpus and query-vector table as ``store_latency.py``; query encoding excluded.
"""

from __future__ import annotations

import argparse
import os
import time

from _common import filled_store, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=120)
    parser.add_argument("--batch", type=int, default=30)
    args = parser.parse_args()

    from milvus_model_adapters.store.lite_files import lite_version

    with filled_store(args.size, args.queries) as (store, questions):
        store.search_many(questions[:5], 10)  # warm up
        rows = []
        for mode in ("dense", "sparse", "hybrid"):
            runs = []
            for batched in (False, True, False, True):  # alternate: the machine's noise hits both
                start = time.perf_counter()
                if batched:
                    for first in range(0, len(questions), args.batch):
                        store.search_many(questions[first : first + args.batch], 10, mode=mode)
                else:
                    for q in questions:
                        store.search(q, 10, mode=mode)
                runs.append((time.perf_counter() - start) / len(questions) * 1000)
            one, many = min(runs[0::2]), min(runs[1::2])
            rows.append([lite_version(), f"{args.size:,}", mode, f"{one:.1f}", f"{many:.1f}", f"{one / many:.1f}"])
    print(
        table(
            [
                "milvus-lite",
                "docs",
                "mode",
                "one call per query ms/query",
                f"batches of {args.batch} ms/query",
                "speed-up",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
