"""Maximal marginal relevance: pick hits that are close to the query and far from each other."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def mmr_select(query: npt.ArrayLike, candidates: npt.ArrayLike, k: int, lambda_mult: float = 0.5) -> list[int]:
    """Indices of ``k`` candidates in the order maximal marginal relevance picks them.

    Each step takes the candidate maximising ``lambda_mult * cos(query, c) - (1 - lambda_mult) *
    max cos(c, picked)``; on equal values, the earlier candidate (candidates come best first, ties by id).

    Args:
        query: The query vector.
        candidates: One vector per candidate (rows).
        k: How many to pick (at most the number of candidates).
        lambda_mult: 1 ranks by similarity to the query alone, 0 by diversity alone.
    """
    matrix = np.asarray(candidates, dtype=np.float64)
    if matrix.ndim != 2 or len(matrix) == 0 or k <= 0:
        return []
    vector = np.asarray(query, dtype=np.float64).ravel()
    matrix = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
    to_query = matrix @ vector
    picked = [int(np.argmax(to_query))]
    closest = matrix @ matrix[picked[0]]
    while len(picked) < min(k, len(matrix)):
        value = lambda_mult * to_query - (1.0 - lambda_mult) * closest
        value[picked] = -np.inf
        best = int(np.argmax(value))
        picked.append(best)
        closest = np.maximum(closest, matrix @ matrix[best])
    return picked
