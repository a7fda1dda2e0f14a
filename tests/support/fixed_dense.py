"""A small deterministic dense function for tests where similarity is not the subject: no model needed."""

from __future__ import annotations

import random


class HashDense:
    """A distinct, repeatable vector per text (8 dimensions)."""

    dim = 8

    def encode_documents(self, texts: list[str]) -> list[list[float]]:
        return [[random.Random(t).uniform(0.1, 1.0) for _ in range(self.dim)] for t in texts]

    encode_queries = encode_documents
