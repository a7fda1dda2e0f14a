"""BM25 search latency of each sparse index choice on the installed Milvus Lite, and whether its hits are exact.

    python benchmarks/sparse_index.py [--size 20000] [--queries 300]

One store holds the shared Cranfield/CISI texts (repeated) with random dense vectors; its sparse index is
rebuilt with each choice in turn and the same BM25 queries (the vectors the store sends) run against it,
alternating with the engine's own default walk. A choice's hits are compared with the default index's.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import TableDense, repeated_corpus, shared_texts, table

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.store.indexes import sparse_index

CHOICES: dict[str, dict[str, Any]] = {
    "engine default walk": {"index_type": "SPARSE_INVERTED_INDEX", "params": {"drop_ratio_build": 0.0}},
    "DAAT_MAXSCORE (the store's default)": {"params": {"inverted_index_algo": "DAAT_MAXSCORE"}},
    "DAAT_WAND": {"params": {"inverted_index_algo": "DAAT_WAND"}},
    "TAAT_NAIVE": {"params": {"inverted_index_algo": "TAAT_NAIVE"}},
    "SPARSE_WAND": {"index_type": "SPARSE_WAND"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mma-sparse-"))
    try:
        store = HybridStore(str(workdir / "s.db"), "bench", dense=TableDense())
        store.add(repeated_corpus(args.size), ids=[f"d{i}" for i in range(args.size)], batch_size=2000)
        questions = [t.split(".")[0][:120] for t in shared_texts()[: args.queries]]
        vectors = [v for v in store.sparse.queries(questions) if v is not None]
        client, name = store.client, store.collection

        def search(vector: dict[int, float]) -> list[str]:
            found = client.search(
                name, [vector], anns_field="sparse", limit=10, output_fields=["id"], search_params={"metric_type": "IP"}
            )
            return [h["id"] for h in found[0]]

        rows, reference = [], None
        for label, choice in CHOICES.items():
            if label == "engine default walk":
                params = {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "IP", "params": choice["params"]}
            else:
                try:
                    params = sparse_index(choice, engine=store.engine, builtin_bm25=False)
                except InvalidInputError as refused:
                    rows.append([label, "refused", "", str(refused)])
                    continue
            client.release_collection(name)
            client.drop_index(name, "sparse")
            index = client.prepare_index_params()
            index.add_index(field_name="sparse", **params)
            client.create_index(name, index)
            client.load_collection(name)
            for v in vectors[:20]:  # warm up
                search(v)
            samples, hits = [], []
            for v in vectors:
                start = time.perf_counter()
                hits.append(search(v))
                samples.append(time.perf_counter() - start)
            reference = reference or hits
            same = sum(a == b for a, b in zip(hits, reference, strict=True))
            rows.append([label, f"{statistics.median(samples) * 1000:.2f}", f"{same} / {len(vectors)}", ""])
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from milvus_model_adapters.store.lite_files import lite_version

    print(f"Milvus Lite {lite_version()}, {args.size:,} documents, {len(vectors)} BM25 queries, k=10")
    print(table(["sparse index", "BM25 p50 ms", "same top 10 as the default walk", "note"], rows))


if __name__ == "__main__":
    main()
