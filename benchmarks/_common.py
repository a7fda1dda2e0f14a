"""Shared helpers for the benchmarks: corpora, timing, tables."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from milvus_model_adapters.tools.evaluation import load_beir

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


ROOT = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("MMA_DATASETS", ROOT.parent / "shared" / "datasets"))


def shared_texts() -> list[str]:
    """Cranfield and CISI documents, as ``mma index`` and ``mma eval`` index them."""
    texts = []
    for name in ("cranfield", "cisi"):
        path = DATASETS / name
        if not (path / "corpus.jsonl").exists():
            raise SystemExit(f"shared dataset not found: {path} (set MMA_DATASETS)")
        texts.extend(load_beir(path).documents()[1])
    return texts


def repeated_corpus(n: int) -> list[str]:
    """``n`` documents: the shared corpora repeated, each copy tagged so copies are distinct texts."""
    base = shared_texts()
    return [f"{base[i % len(base)]} copy{i // len(base)}" for i in range(n)]


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Fastest of ``repeat`` wall-clock runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        out.append("| " + " | ".join(f"{c:.4g}" if isinstance(c, float) else str(c) for c in row) + " |")
    return "\n".join(out)


@contextmanager
def filled_store(size: int, n_queries: int) -> Iterator[tuple[Any, list[str]]]:
    """A store in a temporary folder holding ``size`` documents of :func:`repeated_corpus` with random
    vectors, and ``n_queries`` questions whose query vectors its :class:`TableDense` serves (query encoding
    excluded); the folder is removed afterwards."""
    from milvus_model_adapters.store import HybridStore

    workdir = Path(tempfile.mkdtemp(prefix="mma-bench-"))
    try:
        dense = TableDense()
        store = HybridStore(str(workdir / "bench.db"), "bench", dense=dense)
        store.add(repeated_corpus(size), ids=[str(i) for i in range(size)], batch_size=2000)
        questions = [t.split(".")[0][:120] for t in shared_texts()[:n_queries]]
        for q in questions:
            dense.queries[q] = dense.encode_documents([q])[0]
        yield store, questions
        store.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
