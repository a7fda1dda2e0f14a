"""Encoding the default model on torch, ONNX Runtime fp32 and ONNX int8, side by side in one run.

    python benchmarks/onnx_encoding.py [--docs 500] [--rounds 2]

1. Speed: documents per second on the first ``--docs`` Cranfield documents, at batch 32 and 64, the
   backends alternating within each round (fastest round kept), as a ratio to torch.
2. Agreement and quality: every Cranfield and CISI document and query encoded by each backend; the
   cosine of each document's vector to torch's, and dense nDCG@10 by exact search (no engine involved).
3. Ingest: ``HybridStore.add`` of the ``--docs`` documents with the fastest ONNX backend, against that
   backend's bare encoding of the same texts.

The ONNX exports go to a temporary cache, so the first use (export and quantization) is timed too.
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
from _common import DATASETS, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")
BACKENDS = ("torch", "onnx", "onnx-int8")


def encoders(cache: Path, batch_size: int) -> dict[str, Any]:
    from milvus_model_adapters.encoders.dense import DenseEncoder
    from milvus_model_adapters.encoders.onnx import OnnxDenseFunction

    return {
        "torch": DenseEncoder.default(batch_size=batch_size),
        "onnx": DenseEncoder(OnnxDenseFunction(batch_size=batch_size, cache_dir=cache)),
        "onnx-int8": DenseEncoder(OnnxDenseFunction(quantized=True, batch_size=batch_size, cache_dir=cache)),
    }


def speed(texts: list[str], cache: Path, rounds: int) -> list[list[Any]]:
    rows = []
    for batch in (32, 64):
        built = encoders(cache, batch)
        best = dict.fromkeys(BACKENDS, float("inf"))
        for _ in range(rounds):
            for name, encoder in built.items():
                start = time.perf_counter()
                encoder.encode_documents(texts)
                best[name] = min(best[name], time.perf_counter() - start)
        for name in BACKENDS:
            rows.append([batch, name, round(len(texts) / best[name], 1), round(best["torch"] / best[name], 2)])
    return rows


def quality(cache: Path) -> tuple[list[list[Any]], dict[str, Any]]:
    from milvus_model_adapters.tools.evaluation import evaluate_run, load_beir

    built = encoders(cache, 32)
    rows: list[list[Any]] = []
    cosines: dict[str, list[np.ndarray]] = {"onnx": [], "onnx-int8": []}
    for corpus in ("cranfield", "cisi"):
        dataset = load_beir(DATASETS / corpus)
        ids, texts, _ = dataset.documents()
        queries = dataset.judged_queries()
        scores = {}
        vectors = {name: encoder.encode_documents(texts) for name, encoder in built.items()}
        for name, encoder in built.items():
            query_vectors = encoder.encode_queries(list(queries.values()))
            ranking = np.argsort(-(query_vectors @ vectors[name].T), axis=1)[:, :100]
            run = {qid: [ids[i] for i in ranking[n]] for n, qid in enumerate(queries)}
            scores[name] = evaluate_run(run, dataset.qrels)["ndcg@10"]
            if name != "torch":
                cosines[name].append(np.sum(vectors[name] * vectors["torch"], axis=1))
        rows.append([corpus, *(round(scores[name], 4) for name in BACKENDS)])
        rows.append([f"{corpus}: int8 - fp32", "", "", round(scores["onnx-int8"] - scores["onnx"], 4)])
    return rows, {name: np.concatenate(parts) for name, parts in cosines.items()}


def ingest(texts: list[str], cache: Path, backend: str, rounds: int) -> list[list[Any]]:
    from milvus_model_adapters.encoders.dense import DenseEncoder
    from milvus_model_adapters.encoders.onnx import OnnxDenseFunction
    from milvus_model_adapters.store import HybridStore

    encoder = DenseEncoder(OnnxDenseFunction(quantized=backend == "onnx-int8", batch_size=32, cache_dir=cache))
    bare = added = float("inf")
    for n in range(rounds):
        start = time.perf_counter()
        encoder.encode_documents(texts)
        bare = min(bare, time.perf_counter() - start)
        folder = Path(tempfile.mkdtemp(prefix="mma-onnx-"))
        try:
            with HybridStore(str(folder / "ingest.db"), f"ingest{n}", dense=encoder) as store:
                start = time.perf_counter()
                store.add(texts, ids=[str(i) for i in range(len(texts))])
                added = min(added, time.perf_counter() - start)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return [
        [f"{backend}: bare encoding", round(len(texts) / bare, 1), 1.0],
        [f"{backend}: HybridStore.add (dense + BM25, written)", round(len(texts) / added, 1), round(bare / added, 3)],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from milvus_model_adapters.tools.evaluation import load_beir

    texts = load_beir(DATASETS / "cranfield").documents()[1][: args.docs]
    cache = Path(tempfile.mkdtemp(prefix="mma-onnx-cache-"))
    try:
        from milvus_model_adapters.encoders.onnx import OnnxDenseFunction

        start = time.perf_counter()
        OnnxDenseFunction(cache_dir=cache)
        exported = time.perf_counter() - start
        start = time.perf_counter()
        OnnxDenseFunction(quantized=True, cache_dir=cache)
        quantized = time.perf_counter() - start
        print(f"first use: export {exported:.1f} s, int8 quantization {quantized:.1f} s (cached afterwards)\n")

        speed_rows = speed(texts, cache, args.rounds)
        print(f"Speed, {len(texts)} Cranfield documents, fastest of {args.rounds} alternating rounds:")
        print(table(["batch", "backend", "docs/s", "x torch"], speed_rows))
        quality_rows, cosines = quality(cache)
        print("\nDense nDCG@10, exact search:")
        print(table(["corpus", *BACKENDS], quality_rows))
        print("\nCosine to torch's vectors, every Cranfield and CISI document:")
        print(
            table(
                ["backend", "documents", "min", "mean"],
                [[n, len(c), f"{float(c.min()):.7f}", f"{float(c.mean()):.7f}"] for n, c in cosines.items()],
            )
        )
        fastest = max(("onnx", "onnx-int8"), key=lambda n: max(r[2] for r in speed_rows if r[1] == n))
        print(f"\nIngest of {len(texts)} documents with {fastest}, fastest of {args.rounds}:")
        print(table(["path", "docs/s", "x bare encoding"], ingest(texts, cache, fastest, args.rounds)))
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
