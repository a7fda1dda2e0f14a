"""Dense encoding through DenseEncoder vs sentence-transformers called directly, on the same batch.

    python benchmarks/dense_overhead.py [--docs 512]

Both encode the same Cranfield/CISI texts with the bundled all-MiniLM-L6-v2 (batch size 64,
normalised), alternating runs to share the machine's noise; the table gives the best of 5 each.
"""

from __future__ import annotations

import argparse
import os
import time

from _common import shared_texts, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from milvus_model_adapters.encoders.dense import DenseEncoder, default_model_path

    texts = shared_texts()[: args.docs]
    model = SentenceTransformer(default_model_path(), device="cpu")
    encoder = DenseEncoder.default(batch_size=64)
    direct_times, adapter_times = [], []
    model.encode(texts[:64], batch_size=64)  # warm up both
    encoder.encode_documents(texts[:64])
    for _ in range(args.repeat):
        start = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        direct_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        encoder.encode_documents(texts)
        adapter_times.append(time.perf_counter() - start)
    direct, adapter = min(direct_times), min(adapter_times)
    print(
        table(
            ["path", "docs", f"seconds (best of {args.repeat})", "docs/s", "relative time"],
            [
                ["sentence-transformers directly", len(texts), direct, len(texts) / direct, 1.0],
                ["DenseEncoder (pymilvus-model function)", len(texts), adapter, len(texts) / adapter, adapter / direct],
            ],
        )
    )


if __name__ == "__main__":
    main()
