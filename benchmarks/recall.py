"""Approximate dense indexes against exact search, and what grouping and pages cost, on one collection.

One store of ``--size`` documents (the shared corpora repeated; random unit vectors, each a near copy of
a "source" vector shared by 10 chunks, so neighbours exist as in real collections; metadata ``source``).
Queries are noisy copies of random documents' vectors. Part 1 rebuilds the dense index as each choice
and reports recall@10 against FLAT (exact) and p50 of the dense search, at the engine's default search
knobs and at wider ones. Part 2, on FLAT: p50 of the default hybrid search, of the same with
``group_by="source"`` and with ``offset=20``, and their ratios to the plain search, queries alternated.

    python benchmarks/recall.py --size 100000 --queries 200
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import DIM, percentiles, repeated_corpus, shared_texts, table

from milvus_model_adapters.store import HybridStore

INDEXES: list[tuple[str, dict[str, Any], list[dict[str, Any]]]] = [
    ("FLAT (default)", {"index_type": "FLAT", "metric_type": "IP", "params": {}}, [{}]),
    (
        "IVF_FLAT nlist=1024",
        {"index_type": "IVF_FLAT", "metric_type": "IP", "params": {"nlist": 1024}},
        [{}, {"nprobe": 16}, {"nprobe": 64}],
    ),
    (
        "HNSW M=16 efConstruction=200",
        {"index_type": "HNSW", "metric_type": "IP", "params": {"M": 16, "efConstruction": 200}},
        [{}, {"ef": 64}, {"ef": 256}],
    ),
    (
        "AUTOINDEX (the official integrations' default)",
        {"index_type": "AUTOINDEX", "metric_type": "IP", "params": {}},
        [{}, {"ef": 256}],
    ),
]


class Chunks:
    """Unit vectors in groups of 10 near copies of one source vector; queries are looked up."""

    dim = DIM

    def __init__(self) -> None:
        self.queries: dict[str, np.ndarray] = {}

    @staticmethod
    def documents(n: int) -> np.ndarray:
        rng = np.random.default_rng(0)
        sources = rng.standard_normal((n // 10 + 1, DIM)).astype(np.float32)
        sources /= np.linalg.norm(sources, axis=1, keepdims=True)
        # Each chunk: its source's direction plus noise of norm about 0.6.
        noise = rng.standard_normal((n, DIM)).astype(np.float32) * (0.6 / np.sqrt(DIM))
        vectors = sources[np.arange(n) // 10] + noise
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        raise AssertionError("documents are added with their vectors")

    def encode_queries(self, queries: list[str]) -> np.ndarray:
        return np.stack([self.queries[q] for q in queries])


def dense_search(store: HybridStore, vector: list[float], knobs: dict[str, Any]) -> list[str]:
    found = store.client.search(
        store.collection,
        [vector],
        anns_field="dense",
        limit=10,
        output_fields=["id"],
        search_params={"metric_type": "IP", "params": knobs},
    )
    return [h["id"] for h in found[0]]


def rebuild(store: HybridStore, index: dict[str, Any]) -> None:
    client, name = store.client, store.collection
    client.release_collection(name)
    client.drop_index(name, "dense")
    params = client.prepare_index_params()
    params.add_index(field_name="dense", **index)
    client.create_index(name, params)
    client.load_collection(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="mma-recall-"))
    try:
        dense = Chunks()
        store = HybridStore(str(workdir / "r.db"), "bench", dense=dense)
        vectors = dense.documents(args.size)
        started = time.perf_counter()
        store.add(
            repeated_corpus(args.size),
            metadatas=[{"source": f"s{i // 10}"} for i in range(args.size)],
            ids=[str(i) for i in range(args.size)],
            embeddings=vectors.tolist(),
            batch_size=2000,
        )
        print(f"{args.size} documents added in {time.perf_counter() - started:.0f} s ({store.engine.name})")
        rng = np.random.default_rng(1)
        picks = rng.integers(0, args.size, args.queries)
        noisy = vectors[picks] + rng.standard_normal((args.queries, DIM)).astype(np.float32) * (0.5 / np.sqrt(DIM))
        queries = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).tolist()
        questions = [t.split(".")[0][:120] for t in shared_texts()[: args.queries]]
        for q, v in zip(questions, queries, strict=True):
            dense.queries[q] = np.asarray(v, dtype=np.float32)

        exact = [dense_search(store, v, {}) for v in queries]
        costs = search_costs(store, questions)
        rows = []
        for label, index, knob_sets in INDEXES:
            try:
                rebuild(store, index)
            except Exception as refused:  # an index the engine does not build
                rows.append([label, "-", "not measured", "-", str(refused).splitlines()[0][:80]])
                continue
            for knobs in knob_sets:
                samples, recall = [], []
                for v, truth in zip(queries, exact, strict=True):
                    start = time.perf_counter()
                    found = dense_search(store, v, knobs)
                    samples.append(time.perf_counter() - start)
                    recall.append(len(set(found) & set(truth)) / 10)
                p50, p95 = percentiles(samples)
                rows.append([label, knobs or "engine default", float(np.mean(recall)), p50, p95])
        print(table(["dense index", "search knobs", "recall@10 vs FLAT", "p50 ms", "p95 ms"], rows))
        print()
        print(table(["hybrid search (FLAT)", "p50 ms", "p95 ms", "ratio to plain"], costs))
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def search_costs(store: HybridStore, questions: list[str]) -> list[list[Any]]:
    """p50 and p95 of plain, grouped and paged hybrid search, queries alternated between the three."""
    calls: dict[str, dict[str, Any]] = {
        "plain, k=10": {},
        "group_by='source', k=10": {"group_by": "source"},
        "offset=20, k=10": {"offset": 20},
    }
    for q in questions[:10]:  # warm up
        for options in calls.values():
            store.search(q, 10, **options)
    samples: dict[str, list[float]] = {label: [] for label in calls}
    for q in questions:
        for label, options in calls.items():
            start = time.perf_counter()
            store.search(q, 10, **options)
            samples[label].append(time.perf_counter() - start)
    plain = percentiles(samples["plain, k=10"])[0]
    return [[label, *percentiles(s), percentiles(s)[0] / plain] for label, s in samples.items()]


if __name__ == "__main__":
    main()
