from __future__ import annotations

import numpy as np
import pytest
import scipy
import scipy.sparse as sp

from milvus_model_adapters.encoders.sparse_vectors import to_dicts
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
