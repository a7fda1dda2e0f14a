"""What each ranking control costs against a plain hybrid search, on the installed Milvus Lite.

    python benchmarks/ranking_controls.py [--size 10000] [--queries 100]

One collection of ``size`` documents of the shared texts (repeated) with random unit dense vectors (query
encoding excluded: query vectors are served from a table) and metadata ``published`` (a timestamp) and
``source`` (one of four). For every query the plain hybrid search (default settings, ``k = 10``) and each
control run one after the other, so both see the same machine state; reported: p50 / p95 latency of each and
the ratio of the control's p50 to the plain search's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import TableDense, percentiles, repeated_corpus, shared_texts, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DAY = 86_400.0
NOW = 1_790_000_000.0


def controls() -> dict[str, dict[str, Any]]:
    from milvus_model_adapters import RRF, Boost, Decay

    return {
        "decay (gauss over a timestamp)": {"decay": Decay("published", "gauss", origin=NOW, scale=90 * DAY)},
        "boost (one filter)": {"boost": Boost({"source": "faq"}, 1.5)},
        "boost (three filters)": {
            "boost": [Boost({"source": "faq"}, 1.5), Boost({"source": "forum"}, 0.8), Boost({"source": "blog"}, 1.1)]
        },
        "floors (min_dense_score, min_sparse_score)": {"min_dense_score": 0.0, "min_sparse_score": 1.0},
        "floor on relevance (min_relevance)": {"min_relevance": 0.2},
        "weighted RRF": {"ranker": RRF(60, weights=(1.0, 0.5))},
        "highlight": {"highlight": True},
        "decay + boost + floors + highlight": {
            "decay": Decay("published", "gauss", origin=NOW, scale=90 * DAY),
            "boost": Boost({"source": "faq"}, 1.5),
            "min_sparse_score": 1.0,
            "highlight": True,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()

    import milvus_lite

    from milvus_model_adapters.store import HybridStore

    workdir = Path(tempfile.mkdtemp(prefix="mma-bench-"))
    try:
        dense = TableDense()
        store = HybridStore(str(workdir / "bench.db"), "bench", dense=dense)
        texts = repeated_corpus(args.size)
        sources = ("faq", "forum", "blog", "manual")
        metadatas = [{"published": NOW - (i % 1000) * DAY, "source": sources[i % 4]} for i in range(args.size)]
        store.add(texts, metadatas=metadatas, ids=[str(i) for i in range(args.size)], batch_size=2000)
        questions = [t.split(".")[0][:120] for t in shared_texts()[: args.queries]]
        for q in questions:
            dense.queries[q] = dense.encode_documents([q])[0]
        samples: dict[str, list[float]] = {"plain hybrid search": []}
        kinds = controls()
        for name in kinds:
            samples[name] = []
        for q in questions:
            for name, options in [("plain hybrid search", {}), *kinds.items()]:
                start = time.perf_counter()
                store.search(q, 10, **options)
                samples[name].append(time.perf_counter() - start)
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    base = percentiles(samples["plain hybrid search"])[0]
    rows = []
    for name, values in samples.items():
        p50, p95 = percentiles(values)
        rows.append([name, round(p50, 2), round(p95, 2), f"{p50 / base:.2f}"])
    version = getattr(milvus_lite, "__version__", "?")
    print(f"Milvus Lite {version} file; {args.size} documents, {len(questions)} queries, k=10, default settings")
    print()
    print(table(["search", "p50 ms", "p95 ms", "p50 / plain p50"], rows))


if __name__ == "__main__":
    main()
