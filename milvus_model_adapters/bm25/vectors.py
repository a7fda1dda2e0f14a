"""From analysed batches to BM25's sparse vectors.

A document's weight for a term is its saturated, length-normalised term frequency; a query's is the
term's IDF per occurrence. Their inner product is the BM25 score, so Milvus ranks by inner product.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from milvus_model_adapters.bm25.terms import AnalyzedBatch


def document_vectors(batch: AnalyzedBatch, *, dim: int, k1: float, b: float, avgdl: float) -> sp.csr_array:
    """``float32`` rows of ``tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl))``."""
    rows, cols, tf = batch.pairs()
    norm = k1 * (1.0 - b + b * batch.lengths[rows] / avgdl)
    frequencies = tf.astype(np.float64)
    return _rows(rows, cols, frequencies * (k1 + 1.0) / (frequencies + norm), len(batch.lengths), dim)


def query_vectors(batch: AnalyzedBatch, idf: npt.NDArray[np.float64], *, dim: int) -> sp.csr_array:
    """``float32`` rows of IDF times occurrences; terms of zero weight are left out."""
    rows, cols, tf = batch.pairs()
    values = idf[cols] * tf
    nonzero = values != 0
    return _rows(rows[nonzero], cols[nonzero], values[nonzero], len(batch.lengths), dim)


def _rows(
    rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], values: npt.NDArray[np.float64], n: int, dim: int
) -> sp.csr_array:
    """A CSR array from entries already ordered by row."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp.csr_array((values.astype(np.float32), cols, indptr), shape=(n, dim))
