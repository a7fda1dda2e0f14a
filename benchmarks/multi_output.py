"""Ingest with one model for both routes (BGE-M3's shape): one forward pass per batch, against dense alone.

    python benchmarks/multi_output.py [--docs 1000]

BGE-M3 itself needs FlagEmbedding and 2 GB of weights; the stand-in is MiniLM (bundled) behind
``BGEM3EmbeddingFunction``'s interface and output types: one forward pass gives the sentence embedding
(``"dense"``) and per-token weights (``"sparse"``: the largest ReLU of a fixed projection of each
token's embedding, the shape of BGE-M3's sparse head). Three timings on the same Cranfield/CISI texts:
the model's dense encoding alone, ``HybridStore(dense=m3, sparse=m3).add`` (both routes from one pass,
plus the writes), and the same store fed by two passes (dense and sparse asked separately).
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
import scipy.sparse as sp
from _common import shared_texts, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")


class MiniLMAsM3:
    """MiniLM with ``BGEM3EmbeddingFunction``'s interface: ``{"dense": [...], "sparse": csr}`` per batch."""

    model_name = "MiniLM as BGE-M3"

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        from milvus_model_adapters.dense import default_model_path

        self.model = SentenceTransformer(default_model_path(), device="cpu")
        self.vocabulary = len(self.model.tokenizer)
        self.head = np.random.default_rng(0).standard_normal(384).astype(np.float32) / 20
        self.calls = 0

    @property
    def dim(self) -> dict[str, int]:
        return {"dense": 384, "colbert_vecs": 384, "sparse": self.vocabulary}

    def _encode(self, texts: list[str]) -> dict[str, Any]:
        self.calls += 1
        outputs = self.model.encode(texts, output_value=None, batch_size=32)
        dense, rows, cols, weights = [], [], [], []
        for i, out in enumerate(outputs):
            dense.append(out["sentence_embedding"].numpy())
            tokens = out["input_ids"].numpy()
            mask = out["attention_mask"].numpy().astype(bool)
            scores = np.maximum(out["token_embeddings"].numpy() @ self.head, 0.0)
            best: dict[int, float] = {}
            for token, score in zip(tokens[mask].tolist(), scores[mask].tolist(), strict=True):
                if score > best.get(token, 0.0):
                    best[token] = score
            rows += [i] * len(best)
            cols += list(best)
            weights += list(best.values())
        sparse = sp.csr_array((np.asarray(weights), (rows, cols)), shape=(len(texts), self.vocabulary))
        return {"dense": dense, "sparse": sparse}

    def encode_documents(self, documents: list[str]) -> dict[str, Any]:
        return self._encode(documents)

    def encode_queries(self, queries: list[str]) -> dict[str, Any]:
        return self._encode(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=1000)
    args = parser.parse_args()

    from milvus_model_adapters.dense import DenseEncoder
    from milvus_model_adapters.store import HybridStore

    texts = shared_texts()[: args.docs]
    m3 = MiniLMAsM3()
    DenseEncoder(m3).encode_documents(texts[:64])  # warm-up
    workdir = Path(tempfile.mkdtemp(prefix="mma-m3-"))
    try:
        start = time.perf_counter()
        DenseEncoder(m3).encode_documents(texts)
        dense_only = time.perf_counter() - start

        m3.calls = 0
        with HybridStore(str(workdir / "one.db"), dense=m3, sparse=m3) as store:
            start = time.perf_counter()
            store.add(texts, batch_size=256)
            one_pass = time.perf_counter() - start
        calls_one = m3.calls

        m3.calls = 0
        with HybridStore(str(workdir / "two.db"), dense=DenseEncoder(m3), sparse=m3) as store:
            start = time.perf_counter()
            store.add(texts, batch_size=256)
            two_passes = time.perf_counter() - start
        calls_two = m3.calls
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = [
        ["dense encoding alone", "-", dense_only, 1.0],
        ["HybridStore(dense=m3, sparse=m3).add", calls_one, one_pass, one_pass / dense_only],
        ["same, dense and sparse asked separately", calls_two, two_passes, two_passes / dense_only],
    ]
    print(table([f"{len(texts)} documents", "model calls", "seconds", "relative to dense alone"], rows))


if __name__ == "__main__":
    main()
