"""The IDF formulas of BM25: pymilvus-model's (Okapi) and Lucene's."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

IdfFormula = Literal["okapi", "lucene"]
IDF_FORMULAS: tuple[IdfFormula, ...] = ("okapi", "lucene")
"""``okapi``: ``log((N - n + 0.5) / (n + 0.5))`` with pymilvus-model's floor for negative values (its
scores, exactly). ``lucene``: ``log(1 + (N - n + 0.5) / (n + 0.5))`` (Lucene, Elasticsearch, Milvus's
built-in BM25), never zero or negative, so a matching word always scores, even in a tiny collection."""


def idf_values(
    document_frequencies: npt.NDArray[np.int64], corpus_size: int, formula: IdfFormula, epsilon: float
) -> npt.NDArray[np.float64]:
    """IDF by term index; 0 for a term no document holds.

    With ``okapi``, negative values become ``epsilon * average IDF`` (pymilvus-model's rule), or 0
    when that average is itself negative (the rule would then make scores negative).
    """
    df, n = document_frequencies, corpus_size
    present = df > 0
    if formula == "lucene":
        idf: npt.NDArray[np.float64] = np.log1p((n - df + 0.5) / (df + 0.5))
    else:
        idf = np.log(n - df + 0.5) - np.log(df + 0.5)
        if present.any():
            average = float(idf[present].mean())
            idf[present & (idf < 0)] = max(epsilon * average, 0.0)
    idf[~present] = 0.0
    return idf
