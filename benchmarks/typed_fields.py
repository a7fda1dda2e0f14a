"""A filtered hybrid search on typed metadata columns against the same keys in the JSON field.

    python benchmarks/typed_fields.py [--size 100000] [--queries 50]

Two collections in one Milvus Lite file (the installed generation) hold the same ``size`` documents (the shared
texts, repeated, with random unit dense vectors; query encoding excluded) and the same metadata: ``year``
(1990-2024), ``source`` (one of 200) and ``lang`` (one of four). One declares ``year`` and ``source`` as typed
columns (``fields=``), the other keeps every key in the JSON field. Each filter runs, for every query, on both,
one after the other, so both see the same machine state; reported: p50 / p95 latency of a ``k = 10`` hybrid
search and the ratio typed / JSON (below 1: the column is faster). The filters are checked to select the same
documents in both collections first.
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

SOURCES = [f"site{i:03d}.example" for i in range(200)]
FILTERS: dict[str, dict[str, Any]] = {
    "year == 2020 (1 in 35)": {"year": 2020},
    "year >= 2015 and lang == 'en'": {"year": {"$gte": 2015}, "lang": "en"},
    "source in [5 values] (1 in 40)": {"source": {"$in": SOURCES[:5]}},
    "year in [3 values] and source != one": {"year": {"$in": [2001, 2011, 2021]}, "source": {"$ne": SOURCES[0]}},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()

    import milvus_lite

    from milvus_model_adapters.store import HybridStore

    workdir = Path(tempfile.mkdtemp(prefix="mma-bench-"))
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        dense = TableDense()
        path = str(workdir / "bench.db")
        typed = HybridStore(path, "typed", dense=dense, fields={"year": "int64", "source": "varchar"})
        plain = HybridStore(path, "plain", dense=dense, client=typed.client)
        texts = repeated_corpus(args.size)
        metadatas = [
            {"year": 1990 + i % 35, "source": SOURCES[(i * 7) % 200], "lang": ("en", "de", "fr", "ja")[i % 4]}
            for i in range(args.size)
        ]
        ids = [str(i) for i in range(args.size)]
        vectors = dense.encode_documents(texts)
        load: dict[str, float] = {}
        for name, store in (("typed", typed), ("json", plain)):
            start = time.perf_counter()
            store.add(texts, metadatas=metadatas, ids=ids, embeddings=vectors, batch_size=5000)
            load[name] = time.perf_counter() - start
        for label, flt in FILTERS.items():
            assert sorted(typed.ids(filter=flt)) == sorted(plain.ids(filter=flt)), label
        questions = [t.split(".")[0][:120] for t in shared_texts()[: args.queries]]
        for q in questions:
            dense.queries[q] = dense.encode_documents([q])[0]
        for q in questions:
            for label, flt in FILTERS.items():
                for name, store in (("typed", typed), ("json", plain)):
                    start = time.perf_counter()
                    store.search(q, 10, filter=flt)
                    samples.setdefault((label, name), []).append(time.perf_counter() - start)
        plain.close()
        typed.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = []
    for label in FILTERS:
        json_p50, json_p95 = percentiles(samples[(label, "json")])
        typed_p50, typed_p95 = percentiles(samples[(label, "typed")])
        rows.append(
            [
                label,
                round(json_p50, 2),
                round(typed_p50, 2),
                round(json_p95, 2),
                round(typed_p95, 2),
                f"{typed_p50 / json_p50:.2f}",
            ]
        )
    version = getattr(milvus_lite, "__version__", "?")
    print(f"Milvus Lite {version} file; {args.size} documents, {len(questions)} queries, hybrid, k=10")
    print(f"load: typed {load['typed']:.1f} s, JSON {load['json']:.1f} s (vectors given, BM25 encoded)")
    print()
    print(table(["filter", "JSON p50 ms", "typed p50 ms", "JSON p95 ms", "typed p95 ms", "typed / JSON p50"], rows))


if __name__ == "__main__":
    main()
