"""The corpus statistics BM25 weighs terms by: document frequencies, document count, total length.

They are counts, so they grow and shrink as documents are added and removed, and IDF is computed from
the current counts. Statistics read from a file without document frequencies (pymilvus-model's) hold
the saved IDF values instead, and cannot change.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from milvus_model_adapters.bm25.idf import IdfFormula, idf_values
from milvus_model_adapters.errors import InvalidInputError

_NEGATIVE = "BM25 statistics would go negative: removing documents that were never added"


class CorpusStatistics:
    """Document frequency by term index, number of documents and their total length."""

    def __init__(self) -> None:
        """Empty statistics."""
        self.reset()

    def reset(self) -> None:
        """Forget every count."""
        self.df = np.zeros(0, dtype=np.int64)
        """Documents holding each term, by term index."""
        self.corpus_size = 0
        self.total_length = 0.0
        self.fitted = False
        """Whether statistics were ever set (by counting, a file or a store)."""
        self._frozen_idf: npt.NDArray[np.float64] | None = None
        self._idf_cache: npt.NDArray[np.float64] | None = None

    @property
    def avgdl(self) -> float:
        """Average document length, in terms."""
        return self.total_length / self.corpus_size if self.corpus_size else 0.0

    @property
    def can_update(self) -> bool:
        """Whether the counts can change; false for IDF values read as they were saved."""
        return self._frozen_idf is None

    def idf(self, formula: IdfFormula, epsilon: float) -> npt.NDArray[np.float64]:
        """IDF by term index (see ``idf_values``), or the saved values."""
        if self._frozen_idf is not None:
            return self._frozen_idf
        if self._idf_cache is None:
            self._idf_cache = idf_values(self.df, self.corpus_size, formula, epsilon)
        return self._idf_cache

    def pad(self, terms: int) -> None:
        """Give the terms a vocabulary of ``terms`` words gained a document frequency of 0."""
        if terms > len(self.df):
            self.df = np.concatenate([self.df, np.zeros(terms - len(self.df), dtype=np.int64)])

    def count(self, term_indices: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64], *, remove: bool) -> None:
        """Add (or remove) documents given as their distinct term indices, concatenated, and their lengths.

        Raises:
            InvalidInputError: If the counts cannot change, a term is outside the vocabulary, or a count
                would go negative.
        """
        if not self.can_update:
            raise InvalidInputError(
                "these BM25 parameters were loaded without document frequencies and cannot be updated; refit"
            )
        sign = -1 if remove else 1
        known = term_indices[term_indices >= 0]
        if len(known) and int(known.max()) >= len(self.df):
            raise InvalidInputError("term index outside the vocabulary")
        df = self.df + sign * np.bincount(known, minlength=len(self.df))
        corpus_size = self.corpus_size + sign * len(lengths)
        if corpus_size < 0 or (df < 0).any():
            raise InvalidInputError(_NEGATIVE)
        self._set(df, corpus_size, self.total_length + sign * float(lengths.sum()))

    def shift(
        self, term_indices: npt.NDArray[np.int64], changes: npt.NDArray[np.int64], documents: int, length: float
    ) -> None:
        """Change the document frequencies of some terms, the document count and the total length.

        Raises:
            InvalidInputError: If a count would go negative.
        """
        df = self.df.copy()
        np.add.at(df, term_indices, changes)
        if (df < 0).any() or self.corpus_size + documents < 0:
            raise InvalidInputError(_NEGATIVE)
        self._set(df, self.corpus_size + documents, self.total_length + length)

    def load(
        self, document_frequencies: npt.NDArray[np.int64], terms: int, corpus_size: int, total_length: float
    ) -> None:
        """Take other counts, for a vocabulary of ``terms`` words.

        Raises:
            InvalidInputError: If there are more counts than terms, or a count is negative.
        """
        df = np.asarray(document_frequencies, dtype=np.int64)
        if len(df) > terms or (df < 0).any() or corpus_size < 0 or total_length < 0:
            raise InvalidInputError("inconsistent BM25 statistics")
        self._frozen_idf = None
        self._set(df, int(corpus_size), float(total_length))
        self.pad(terms)

    def freeze(self, idf: npt.NDArray[np.float64], corpus_size: int, avgdl: float) -> None:
        """Use saved IDF values as they are: the counts can no longer change.

        Raises:
            InvalidInputError: If the values are inconsistent.
        """
        if corpus_size < 0 or avgdl < 0:
            raise InvalidInputError("inconsistent BM25 parameters")
        self._set(np.zeros(len(idf), dtype=np.int64), int(corpus_size), float(avgdl) * int(corpus_size))
        self._frozen_idf = np.asarray(idf, dtype=np.float64)

    def _set(self, df: npt.NDArray[np.int64], corpus_size: int, total_length: float) -> None:
        self.df = df
        self.corpus_size = corpus_size
        self.total_length = total_length
        self._idf_cache = None
        self.fitted = True
