from __future__ import annotations

import numpy as np
import pytest
import scipy
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from milvus_model_adapters.encoders.sparse_vectors import csr_rows, to_dicts
from milvus_model_adapters.errors import InvalidTypeError


def test_scipy_version_is_recent() -> None:
    major, minor = (int(x) for x in scipy.__version__.split(".")[:2])
    assert (major, minor) >= (1, 15)


@pytest.mark.parametrize("fmt", ["csr_array", "csr_matrix", "coo_array", "csc_array"])
def test_roundtrip_all_scipy_forms(fmt: str) -> None:
    dense = np.array([[0, 1.5, 0, 2.0], [0, 0, 0, 0], [3.0, 0, 0, 0]], dtype=np.float32)
    m = getattr(sp, fmt)(dense)
    rows = to_dicts(m)
    assert rows == [{1: 1.5, 3: 2.0}, {}, {0: 3.0}]
    assert all(isinstance(k, int) and isinstance(v, float) for r in rows for k, v in r.items())


def test_list_of_rows_and_dicts() -> None:
    m = sp.csr_array(np.array([[0, 1.0], [2.0, 0]]))
    assert to_dicts([m[[0]], {5: 1}]) == [{1: 1.0}, {5: 1.0}]
    assert to_dicts(m[1]) == [{0: 2.0}]  # a 1-D row (scipy >= 1.15 indexing)


def test_bad_forms() -> None:
    with pytest.raises(InvalidTypeError):
        to_dicts({1: 2.0})
    with pytest.raises(InvalidTypeError):
        to_dicts([[1, 2]])
    with pytest.raises(InvalidTypeError):
        to_dicts(3)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 6), st.floats(-4.0, 4.0, width=32, allow_subnormal=False)), max_size=8),
        max_size=5,
    )
)
def test_csr_rows_adds_repeated_indices_as_scipy_does(rows: list[list[tuple[int, float]]]) -> None:
    """Indices mapped through a hash may repeat within a row: their weights are added, in float32."""
    indptr = np.cumsum([0, *map(len, rows)])
    indices = np.array([i for row in rows for i, _ in row], dtype=np.int64)
    data = np.array([v for row in rows for _, v in row], dtype=np.float32)
    expected = sp.csr_array((data, indices, indptr), shape=(len(rows), 7))
    expected.sum_duplicates()
    got = csr_rows(indptr, indices, data)
    assert len(got) == len(rows)
    for i, row in enumerate(got):
        start, end = expected.indptr[i], expected.indptr[i + 1]
        want = dict(zip(expected.indices[start:end].tolist(), expected.data[start:end].tolist(), strict=True))
        assert row.keys() == want.keys()
        assert all(row[k] == pytest.approx(want[k], abs=1e-6) for k in want)
