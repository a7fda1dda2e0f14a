"""Texts to term indices: the vocabulary of a BM25 encoder and the batches it produces.

``TermIndex`` maps every token of a batch of texts to a term index with one dictionary look-up
per token (raw word -> index, cached), growing the vocabulary when asked; ``AnalyzedBatch``
holds the result as NumPy arrays, the input of BM25 statistics and vectors.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.text.analyzer import SEPARATOR, Analyzer, TextAnalyzer
from milvus_model_adapters.text.multilingual import MultilingualAnalyzer

_UNKNOWN, _NOT_COUNTED, _END = -1, -2, -3


@dataclass
class AnalyzedBatch:
    """Texts mapped to term indices: the input of BM25 statistics and vectors.

    Attributes:
        ids: Term index of every counted token of every text, concatenated; ``-1`` for a term that
            is not in the vocabulary (it counts towards the length but has no weight).
        lengths: Number of counted tokens of each text (its BM25 document length).
    """

    ids: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]
    _pairs: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = field(
        default=None, repr=False
    )

    def __len__(self) -> int:
        return len(self.lengths)

    @classmethod
    def concat(cls, parts: Sequence[AnalyzedBatch]) -> AnalyzedBatch:
        """One batch holding the texts of ``parts``, in order."""
        return cls(np.concatenate([p.ids for p in parts]), np.concatenate([p.lengths for p in parts]))

    def pairs(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Distinct (text, term) pairs of known terms, sorted, with their counts: ``(rows, cols, tf)``."""
        if self._pairs is None:
            # One key per token, (text, term), in order; counting equal keys gives the term frequencies.
            doc = np.repeat(np.arange(len(self.lengths), dtype=np.int64), self.lengths)
            ids = self.ids.astype(np.int64)
            known = ids >= 0
            if not known.all():
                doc, ids = doc[known], ids[known]
            width = int(ids.max()) + 1 if len(ids) else 1
            keys, tf = np.unique(doc * width + ids, return_counts=True)
            self._pairs = (keys // width, keys % width, tf.astype(np.int64))
        return self._pairs


class TermIndex:
    """Term -> index for one analyzer, with a cache from raw words to indices.

    Indices are assigned in order of first appearance and never change, so vectors written with an
    index stay valid as the vocabulary grows.
    """

    def __init__(self, analyzer: TextAnalyzer, terms: Iterable[str] = ()) -> None:
        """Start with ``terms`` (index = position)."""
        self.analyzer = analyzer
        self.reset(terms)

    def reset(self, terms: Iterable[str] = ()) -> None:
        """Replace the vocabulary with ``terms``.

        Raises:
            InvalidInputError: If ``terms`` holds a term twice.
        """
        words = list(terms)
        vocab = {w: i for i, w in enumerate(words)}
        if len(vocab) != len(words):
            raise InvalidInputError("the vocabulary holds duplicate terms")
        self._vocab = vocab
        # Raw word -> term index; _UNKNOWN for a term not in the vocabulary (remembered in
        # _unknown_words and forgotten when the vocabulary grows), _NOT_COUNTED for stopwords, _END
        # for the end of a text.
        self._word_ids: dict[str, int] = {SEPARATOR: _END}
        self._unknown_words: set[str] = set()

    def __len__(self) -> int:
        return len(self._vocab)

    @property
    def terms(self) -> dict[str, int]:
        """Term -> index (a copy)."""
        return dict(self._vocab)

    def words(self) -> list[str]:
        """The terms in index order."""
        return list(self._vocab)

    def add_terms(self, terms: Iterable[str]) -> npt.NDArray[np.int64]:
        """The indices of ``terms`` (already analysed), adding the ones not in the vocabulary."""
        vocab = self._vocab
        size = len(vocab)
        out = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), dtype=np.int64)
        if len(vocab) > size:
            self._forget_unknown_words()
        return out

    def analyze(
        self,
        texts: Sequence[str],
        *,
        grow: bool = False,
        languages: Sequence[str | None] | None = None,
        queries: bool = False,
    ) -> AnalyzedBatch:
        """Map texts to term indices.

        Args:
            texts: The texts.
            grow: Add unseen terms to the vocabulary.
                Otherwise unseen terms count towards document length but get no weight.
            languages: Each document's language, for a ``
                MultilingualAnalyzer`` (``None`` entries: not given).
            queries: The texts are queries (a multilingual analyzer analyses them differently).
        """
        with _gc_paused():
            if isinstance(self.analyzer, MultilingualAnalyzer):
                analyzer = self.analyzer
                terms = analyzer.analyze_queries(texts) if queries else analyzer.analyze_documents(texts, languages)
                return self._count(terms, grow)
            if isinstance(self.analyzer, Analyzer):
                return self._analyze_fast(self.analyzer, texts, grow)
            return self._count((self.analyzer(text) for text in texts), grow, len(texts))

    def _count(self, analysed: Iterable[list[str]], grow: bool, n: int | None = None) -> AnalyzedBatch:
        vocab = self._vocab
        if n is None:
            analysed = list(analysed)
            n = len(analysed)
        lengths = np.zeros(n, dtype=np.int64)
        ids: list[int] = []
        for i, terms in enumerate(analysed):
            if grow:
                for term in terms:
                    if term not in vocab:
                        vocab[term] = len(vocab)
            ids.extend(vocab.get(t, _UNKNOWN) for t in terms)
            lengths[i] = len(terms)
        return AnalyzedBatch(np.asarray(ids, dtype=np.int64), lengths)

    def _analyze_fast(self, analyzer: Analyzer, texts: Sequence[str], grow: bool) -> AnalyzedBatch:
        # One dictionary look-up per token, in C, through the raw word -> index cache.
        flat = analyzer.flat_words(texts, split_mixed=False)
        cache = self._word_ids
        new = set(flat).difference(cache)
        # Words joined by a non-ASCII non-word character are never cached, so they are always new here.
        several = analyzer.several_words(new)
        if several:
            flat = analyzer.mend(flat, several)
            new = set(flat).difference(cache)
        if grow and self._unknown_words:
            # Words remembered as unknown (from queries) become terms now: resolve them again.
            stale = self._unknown_words.intersection(flat)
            for word in stale:
                del cache[word]
            self._unknown_words.difference_update(stale)
            new.update(stale)
        if new:
            analyzer.learn(new)
            vocab, unknown = self._vocab, self._unknown_words
            grew = False
            for word in new:
                term = analyzer.term(word)
                if term is None:
                    cache[word] = _NOT_COUNTED
                    continue
                index = vocab.get(term)
                if index is None:
                    if grow:
                        index = vocab[term] = len(vocab)
                        grew = True
                    else:
                        index = _UNKNOWN
                        unknown.add(word)
                cache[word] = index
            if grew:
                # Unknown words outside this batch may be terms now; every word of the batch is resolved.
                self._forget_unknown_words()
        small: type[np.signedinteger[Any]] = np.int32 if len(flat) < 2**31 else np.int64
        ids: npt.NDArray[np.signedinteger[Any]] = np.fromiter(
            map(cache.__getitem__, flat), dtype=small, count=len(flat)
        )
        ends = np.flatnonzero(ids == _END)
        keep = ids > _NOT_COUNTED
        # Counted tokens before each text's end, differenced: the length of every text.
        counted = np.cumsum(keep, dtype=small)[ends]
        lengths = np.diff(counted, prepend=0).astype(np.int64)
        return AnalyzedBatch(ids[keep], lengths)

    def _forget_unknown_words(self) -> None:
        for word in self._unknown_words:
            self._word_ids.pop(word, None)
        self._unknown_words.clear()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of short-lived strings are made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
