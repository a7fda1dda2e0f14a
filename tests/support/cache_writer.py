"""A process that writes vectors to an embedding cache at the same time as others (run with ``python -m``)."""

from __future__ import annotations

import sys

import numpy as np

from milvus_model_adapters.encoders.embedding_cache import EmbeddingCache


def vector_of(text: str) -> np.ndarray:
    """The vector a text always gets: its bytes' values folded into 4 numbers."""
    values = np.zeros(4, dtype=np.float32)
    for i, byte in enumerate(text.encode()):
        values[i % 4] += byte
    return values


def main(path: str, start: int, stop: int) -> None:
    cache = EmbeddingCache(path, dim=4)
    texts = [f"text {i}" for i in range(start, stop)]
    for begin in range(0, len(texts), 25):  # many small writes, to interleave with the other process
        part = texts[begin : begin + 25]
        got = cache.through("encode_documents", part, lambda missing: np.stack([vector_of(t) for t in missing]))
        assert np.array_equal(got, np.stack([vector_of(t) for t in part]))
    print(cache.hits, cache.misses)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
