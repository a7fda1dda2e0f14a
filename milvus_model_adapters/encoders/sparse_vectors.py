"""Sparse vectors: the one place where their forms are converted.

Milvus accepts a sparse vector either as ``dict[int, float]`` or as one row of a SciPy sparse
matrix. Encoders in this package produce a SciPy CSR matrix for a batch; ``to_dicts`` converts it
to the dictionaries the stores and frameworks pass around.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import numpy as np
import scipy.sparse as sp

from milvus_model_adapters.errors import InvalidTypeError

SparseVector: TypeAlias = dict[int, float]
"""A sparse vector as Milvus takes it: term index -> weight."""


def csr_rows(indptr: Any, indices: Any, data: Any) -> list[SparseVector]:
    """One dictionary per row of a CSR matrix's arrays; entries of one row sharing an index are added.

    The arrays need not be canonical (indices unsorted or repeated within a row, as after mapping
    indices through a hash): no SciPy matrix is built, which matters for the one-row batches of queries.
    """
    keys, values, bounds = indices.tolist(), np.asarray(data).astype(np.float64).tolist(), indptr.tolist()
    rows: list[SparseVector] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        row = dict(zip(keys[start:end], values[start:end], strict=True))
        if len(row) < end - start:  # a repeated index: add its entries in the data's own precision
            unique, where = np.unique(indices[start:end], return_inverse=True)
            summed = np.zeros(len(unique), dtype=np.asarray(data).dtype)
            np.add.at(summed, where, data[start:end])
            row = dict(zip(unique.tolist(), summed.astype(np.float64).tolist(), strict=True))
        rows.append(row)
    return rows


def _csr_to_dicts(matrix: Any) -> list[SparseVector]:
    csr = matrix if isinstance(matrix, sp.csr_array | sp.csr_matrix) else sp.csr_array(matrix)
    return csr_rows(csr.indptr, csr.indices, csr.data)


def to_dicts(vectors: Any) -> list[SparseVector]:
    """Convert a batch of sparse vectors to a list of ``dict[int, float]``.

    Args:
        vectors: A SciPy sparse matrix or array (one row per vector, any format), a sequence
            whose items are mappings or one-row SciPy sparse objects, or a dict holding one of those
            under ``"sparse"`` (a multi-output function's result, such as BGE-M3's).

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
        if "sparse" in vectors:  # a multi-output function's result, such as BGE-M3's {"dense": ..., "sparse": csr}
            return to_dicts(vectors["sparse"])
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
