"""Query vectors handed to a search: one clear error for each way they can be wrong."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from milvus_model_adapters.errors import DimensionMismatchError, InvalidInputError, InvalidTypeError
from milvus_model_adapters.store.documents import check_query_vectors


def test_clean_vectors_become_a_float32_matrix() -> None:
    matrix = check_query_vectors([[1, 2.5], np.array([0.0, -1.0])], 2)
    assert matrix.dtype == np.float32 and matrix.shape == (2, 2)
    np.testing.assert_allclose(matrix, [[1.0, 2.5], [0.0, -1.0]])


@pytest.mark.parametrize(
    ("vectors", "error", "message"),
    [
        ([[1.0, "a"]], InvalidTypeError, r"embeddings\[0\] must be a sequence of numbers"),
        ([[1.0, 2.0], [1.0]], DimensionMismatchError, r"embeddings\[1\] has 1 numbers"),
        ([[1.0, 2.0, 3.0]], DimensionMismatchError, r"embeddings\[0\] has 3 numbers"),
        ([[float("nan"), 1.0]], InvalidInputError, "NaN or infinity"),
        ([[1e39, 1.0]], InvalidInputError, "beyond the range of float32"),
        ("ab", InvalidInputError, "one vector per text"),
    ],
)
def test_bad_vectors_get_one_clear_error(vectors: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        check_query_vectors(vectors, 2)
