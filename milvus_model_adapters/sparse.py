"""Sparse vectors: the one place where their forms are converted.

Milvus accepts a sparse vector either as ``dict[int, float]`` or as one row of a SciPy sparse
matrix. Encoders in this package produce a SciPy CSR matrix for a batch; :func:`to_dicts` and
:func:`to_csr` convert between the two forms, and :func:`validate` checks a vector before it is sent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError

SparseVector: TypeAlias = dict[int, float]
"""A sparse vector as Milvus takes it: term index -> weight."""

MAX_INDEX = 2**32 - 2
"""Largest index Milvus accepts in a sparse vector."""


def _csr_to_dicts(matrix: Any) -> list[SparseVector]:
    csr = sp.csr_array(matrix)
    csr.sum_duplicates()
    indptr, indices, data = csr.indptr, csr.indices, csr.data.astype(np.float64)
    rows: list[SparseVector] = []
    for i in range(csr.shape[0]):
        start, end = int(indptr[i]), int(indptr[i + 1])
        rows.append(dict(zip(indices[start:end].tolist(), data[start:end].tolist(), strict=True)))
    return rows


def to_dicts(vectors: Any) -> list[SparseVector]:
    """Convert a batch of sparse vectors to a list of ``dict[int, float]``.

    Args:
        vectors: A SciPy sparse matrix or array (one row per vector, any format), or a sequence
            whose items are mappings or one-row SciPy sparse objects.

    Returns:
        One dictionary per vector, with plain ``int`` keys and ``float`` values.

    Raises:
        InvalidTypeError: If the input is not one of the accepted forms.
    """
    if sp.issparse(vectors):
        if len(vectors.shape) == 1:
            return _csr_to_dicts(sp.csr_array(vectors.reshape((1, -1))))
        return _csr_to_dicts(vectors)
    if isinstance(vectors, Mapping):
        raise InvalidTypeError("expected a batch of sparse vectors, got a single mapping; wrap it in a list")
    if not isinstance(vectors, Iterable) or isinstance(vectors, str | bytes):
        raise InvalidTypeError(f"expected sparse vectors, got {type(vectors).__name__}")
    out: list[SparseVector] = []
    for item in vectors:
        if isinstance(item, Mapping):
            out.append({int(k): float(v) for k, v in item.items()})
        elif sp.issparse(item):
            rows = to_dicts(item)
            if len(rows) != 1:
                raise InvalidTypeError(f"expected one row per sparse vector, got {len(rows)}")
            out.append(rows[0])
        else:
            raise InvalidTypeError(f"expected a mapping or a SciPy sparse row, got {type(item).__name__}")
    return out


def to_csr(vectors: Sequence[Mapping[int, float]], dim: int | None = None) -> sp.csr_array:
    """Stack sparse vectors given as mappings into a SciPy CSR array.

    Args:
        vectors: One mapping per row.
        dim: Number of columns; defaults to one past the largest index.

    Returns:
        A ``float32`` CSR array of shape ``(len(vectors), dim)``.
    """
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for vec in vectors:
        indices.extend(vec.keys())
        data.extend(vec.values())
        indptr.append(len(indices))
    width = dim if dim is not None else (max(indices) + 1 if indices else 0)
    return sp.csr_array(
        (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(indptr) - 1, width),
    )


def validate(vector: Mapping[int, float]) -> SparseVector:
    """Check one sparse vector against what Milvus accepts and return it as a plain dict.

    Raises:
        InvalidInputError: On a negative or too large index, or a NaN or infinite weight.
    """
    out: SparseVector = {}
    for key, value in vector.items():
        index, weight = int(key), float(value)
        if index < 0 or index > MAX_INDEX:
            raise InvalidInputError(f"sparse index {index} is outside [0, {MAX_INDEX}]")
        if not math.isfinite(weight):
            raise InvalidInputError(f"sparse weight for index {index} is {weight}; weights must be finite")
        out[index] = weight
    return out


def dot(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    """Inner product of two sparse vectors."""
    if len(a) > len(b):
        a, b = b, a
    return float(sum(w * b[i] for i, w in a.items() if i in b))
