"""BM25 sparse embeddings, offline and fast, with pymilvus-model's file format and scores.

:class:`BM25Encoder` computes the same vectors as pymilvus-model's ``BM25EmbeddingFunction``
(documents carry the saturated, length-normalised term frequency; queries carry the IDF, so their
inner product is the BM25 score) and reads and writes the same JSON parameters file. It differs in
three ways: the default analyzer needs no NLTK data, a corpus is counted with NumPy rather than a
Python loop per token, and it keeps document frequencies, so statistics can grow as documents are
added (see :class:`~milvus_model_adapters.store.HybridStore`).
"""

from __future__ import annotations

import gc
import json
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from milvus_model_adapters._validate import check_text, check_texts
from milvus_model_adapters.analyzer import SEPARATOR, Analyzer, TextAnalyzer
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, NotFittedError, ParamsFileError


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
            n = len(self.lengths)
            ids, per_text = self.ids, self.lengths
            known = ids >= 0
            if not known.all():
                doc = np.repeat(np.arange(n, dtype=np.int64), per_text)
                ids, per_text = ids[known], np.bincount(doc[known], minlength=n)
            width = int(ids.max()) + 1 if len(ids) else 1
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(per_text, out=indptr[1:])
            # A CSR matrix with one entry per token; summing duplicates counts term frequencies.
            counts = sp.csr_array((np.ones(len(ids), dtype=np.int32), ids.astype(np.int64), indptr), shape=(n, width))
            counts.sum_duplicates()
            rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(counts.indptr))
            self._pairs = (rows, counts.indices.astype(np.int64), counts.data.astype(np.int64))
        return self._pairs

    def term_sets(self) -> list[npt.NDArray[np.int64]]:
        """The distinct known term indices of each text."""
        rows, cols, _ = self.pairs()
        bounds = np.searchsorted(rows, np.arange(len(self.lengths) + 1))
        return [cols[bounds[i] : bounds[i + 1]] for i in range(len(self.lengths))]


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


_FIT_SLICE = 8192
_REQUIRED_FIELDS = ("corpus_size", "avgdl", "idf_word", "idf_value", "k1", "b", "epsilon")


class BM25Encoder:
    """Okapi BM25 as sparse vectors for Milvus inner-product search.

    Example:
        >>> bm25 = BM25Encoder().fit(["the wing lift", "engine thrust and drag"])
        >>> docs = bm25.encode_documents(["the wing lift"])
        >>> query = bm25.encode_queries(["wing"])
        >>> float((docs @ query.T).toarray()[0, 0]) > 0
        True
    """

    def __init__(
        self,
        analyzer: TextAnalyzer | None = None,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        """Create an unfitted encoder.

        Args:
            analyzer: Turns a text into terms; defaults to the English :class:`Analyzer`. Any callable
                ``str -> list[str]`` works, including pymilvus-model's analyzers.
            k1: Term-frequency saturation.
            b: Strength of document-length normalisation, in ``[0, 1]``.
            epsilon: Floor for negative IDF values, as a fraction of the average IDF (pymilvus-model's rule).
        """
        if analyzer is not None and not callable(analyzer):
            raise InvalidTypeError(f"analyzer must be callable, got {type(analyzer).__name__}")
        if not (isinstance(k1, int | float) and k1 >= 0):
            raise InvalidInputError(f"k1 must be a number >= 0, got {k1!r}")
        if not (isinstance(b, int | float) and 0 <= b <= 1):
            raise InvalidInputError(f"b must be in [0, 1], got {b!r}")
        self.analyzer: TextAnalyzer = analyzer if analyzer is not None else Analyzer()
        self.k1 = float(k1)
        self.b = float(b)
        self.epsilon = float(epsilon)
        self._reset()

    def _reset(self) -> None:
        self._vocab: dict[str, int] = {}
        self._word_ids: dict[str, int] = {SEPARATOR: -3}
        self._unknown_words: set[str] = set()
        self._df = np.zeros(0, dtype=np.int64)
        self._frozen_idf: npt.NDArray[np.float64] | None = None
        self._idf_cache: npt.NDArray[np.float64] | None = None
        self.corpus_size = 0
        self.total_length = 0.0
        self._fitted = False

    # ------------------------------------------------------------------ statistics
    @property
    def is_fitted(self) -> bool:
        """Whether the encoder has statistics (from ``fit``, ``load`` or added documents)."""
        return self._fitted

    @property
    def dim(self) -> int:
        """Vocabulary size: the width of the sparse vectors."""
        return len(self._vocab)

    @property
    def avgdl(self) -> float:
        """Average document length, in terms."""
        return self.total_length / self.corpus_size if self.corpus_size else 0.0

    @property
    def vocabulary(self) -> dict[str, int]:
        """Term -> index (a copy)."""
        return dict(self._vocab)

    @property
    def document_frequencies(self) -> npt.NDArray[np.int64]:
        """Number of documents containing each term, by index (a copy)."""
        return self._df.copy()

    @property
    def can_update(self) -> bool:
        """Whether statistics can grow; false after loading a file without document frequencies."""
        return self._frozen_idf is None

    def idf(self) -> npt.NDArray[np.float64]:
        """IDF by term index; negative values become ``epsilon * average IDF`` (pymilvus-model's rule), or 0."""
        self._require_fitted()
        if self._frozen_idf is not None:
            return self._frozen_idf
        if self._idf_cache is None:
            df = self._df
            n = self.corpus_size
            idf = np.log(n - df + 0.5) - np.log(df + 0.5)
            present = df > 0
            if present.any():
                # pymilvus-model's rule, except that the floor is never negative: with a negative
                # average (most terms in over half the documents) it would make scores negative.
                average = float(idf[present].mean())
                idf[present & (idf < 0)] = max(self.epsilon * average, 0.0)
            idf[~present] = 0.0
            self._idf_cache = idf
        return self._idf_cache

    def _require_fitted(self) -> None:
        if not self._fitted:
            raise NotFittedError("BM25 encoder is not fitted: call fit(corpus) or BM25Encoder.load(path) first")

    # ------------------------------------------------------------------ analysis
    def analyze(self, texts: Sequence[str], *, grow: bool = False) -> AnalyzedBatch:
        """Map texts to term indices.

        Args:
            texts: The texts.
            grow: Add unseen terms to the vocabulary (statistics are not touched: see :meth:`update`).
                Otherwise unseen terms count towards document length but get no weight.
        """
        with _gc_paused():
            return self._analyze(texts, grow=grow)

    def _analyze(self, texts: Sequence[str], *, grow: bool = False) -> AnalyzedBatch:
        if isinstance(self.analyzer, Analyzer):
            return self._analyze_fast(self.analyzer, texts, grow)
        vocab = self._vocab
        n = len(texts)
        lengths = np.zeros(n, dtype=np.int64)
        ids: list[int] = []
        for i, terms in enumerate(self.analyzer(text) for text in texts):
            if grow:
                for term in terms:
                    if term not in vocab:
                        vocab[term] = len(vocab)
                        self._forget_unknown_words()
            ids.extend(vocab.get(t, -1) for t in terms)
            lengths[i] = len(terms)
        self._grow_df()
        return AnalyzedBatch(np.asarray(ids, dtype=np.int64), lengths)

    def _analyze_fast(self, analyzer: Analyzer, texts: Sequence[str], grow: bool) -> AnalyzedBatch:
        # One dictionary look-up per token, in C: raw word -> term index, with -1 for a term not in
        # the vocabulary, -2 for words that do not count (stopwords) and -3 for the end of a text.
        # Words cached as -1 are forgotten whenever the vocabulary grows.
        flat = analyzer.flat_words(texts)
        cache = self._word_ids
        new = set(flat).difference(cache)
        if new:
            analyzer.learn(new)
            vocab, unknown = self._vocab, self._unknown_words
            grew = False
            for word in new:
                term = analyzer.term(word)
                if term is None:
                    cache[word] = -2
                    continue
                index = vocab.get(term)
                if index is None:
                    if grow:
                        index = vocab[term] = len(vocab)
                        grew = True
                    else:
                        index = -1
                        unknown.add(word)
                cache[word] = index
            if grew:
                self._forget_unknown_words()
            self._grow_df()
        small: type[np.signedinteger[Any]] = np.int32 if len(flat) < 2**31 else np.int64
        ids: npt.NDArray[np.signedinteger[Any]] = np.fromiter(
            map(cache.__getitem__, flat), dtype=small, count=len(flat)
        )
        ends = np.flatnonzero(ids == -3)
        keep = ids > -2
        # Counted tokens before each text's end, differenced: the length of every text.
        counted = np.cumsum(keep, dtype=small)[ends]
        lengths = np.diff(counted, prepend=0).astype(np.int64)
        return AnalyzedBatch(ids[keep], lengths)

    def _forget_unknown_words(self) -> None:
        for word in self._unknown_words:
            self._word_ids.pop(word, None)
        self._unknown_words.clear()

    def _grow_df(self) -> None:
        if len(self._vocab) > len(self._df):
            self._df = np.concatenate([self._df, np.zeros(len(self._vocab) - len(self._df), dtype=np.int64)])

    def update(self, batch: AnalyzedBatch, *, remove: bool = False) -> None:
        """Add (or with ``remove``, subtract) analysed documents to the statistics.

        This is what makes the statistics incremental: adding documents later does not re-encode the
        existing ones, and IDF is always computed from the current counts.
        """
        self.update_counts(batch.pairs()[1], batch.lengths, remove=remove)

    def update_counts(
        self, term_indices: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64], *, remove: bool = False
    ) -> None:
        """Change the statistics by documents given as their distinct term indices and their lengths.

        Args:
            term_indices: The distinct terms of every document, concatenated.
            lengths: The length (in terms) of every document.
            remove: Subtract instead of add.

        Raises:
            InvalidInputError: If the statistics came from a file without document frequencies, or would
                go negative.
        """
        if not self.can_update:
            raise InvalidInputError(
                "these BM25 parameters were loaded without document frequencies and cannot be updated; refit"
            )
        sign = -1 if remove else 1
        known = term_indices[term_indices >= 0]
        if len(known) and int(known.max()) >= len(self._df):
            raise InvalidInputError("term index outside the vocabulary")
        df = self._df + sign * np.bincount(known, minlength=len(self._df))
        corpus_size = self.corpus_size + sign * len(lengths)
        if corpus_size < 0 or (df < 0).any():
            raise InvalidInputError("BM25 statistics would go negative: removing documents that were never added")
        self._df = df
        self.corpus_size = corpus_size
        self.total_length += sign * float(lengths.sum())
        self._idf_cache = None
        self._fitted = True

    def set_statistics(
        self,
        vocabulary: Sequence[str],
        document_frequencies: npt.NDArray[np.int64],
        corpus_size: int,
        total_length: float,
    ) -> None:
        """Replace vocabulary and statistics (used by stores that keep them in a database).

        Raises:
            InvalidInputError: If the sizes disagree or a count is negative.
        """
        df = np.asarray(document_frequencies, dtype=np.int64)
        if len(df) > len(vocabulary) or (df < 0).any() or corpus_size < 0 or total_length < 0:
            raise InvalidInputError("inconsistent BM25 statistics")
        if len(df) < len(vocabulary):
            df = np.concatenate([df, np.zeros(len(vocabulary) - len(df), dtype=np.int64)])
        self._vocab = {w: i for i, w in enumerate(vocabulary)}
        if len(self._vocab) != len(vocabulary):
            raise InvalidInputError("the vocabulary holds duplicate terms")
        self._word_ids = {w: i for w, i in self._word_ids.items() if i in (-2, -3)}
        self._unknown_words.clear()
        self._df = df
        self._frozen_idf = None
        self.corpus_size = int(corpus_size)
        self.total_length = float(total_length)
        self._idf_cache = None
        self._fitted = True

    # ------------------------------------------------------------------ fit
    def fit(self, corpus: Sequence[str]) -> BM25Encoder:
        """Compute statistics from ``corpus``, replacing any previous ones. Returns ``self``."""
        self.fit_transform(corpus)
        return self

    def fit_transform(self, corpus: Sequence[str]) -> sp.csr_array:
        """Fit on ``corpus`` and return its document vectors, analysing each text once."""
        texts = check_texts(corpus, what="corpus")
        self._reset()
        # Analysed in slices, so the per-token strings of only one slice are alive at a time.
        parts = [self.analyze(texts[i : i + _FIT_SLICE], grow=True) for i in range(0, len(texts), _FIT_SLICE)]
        batch = parts[0] if len(parts) == 1 else AnalyzedBatch.concat(parts)
        self.update(batch)
        return self.document_vectors(batch)

    # ------------------------------------------------------------------ encode
    def document_vectors(self, batch: AnalyzedBatch) -> sp.csr_array:
        """Document vectors for an analysed batch, at the current average document length."""
        self._require_fitted()
        rows, cols, tf = batch.pairs()
        n = len(batch.lengths)
        avgdl = self.avgdl or 1.0
        k1, b = self.k1, self.b
        norm = k1 * (1.0 - b + b * batch.lengths[rows] / avgdl)
        tf = tf.astype(np.float64)
        values = tf * (k1 + 1.0) / (tf + norm)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_array((values.astype(np.float32), cols, indptr), shape=(n, self.dim))

    def query_vectors(self, batch: AnalyzedBatch) -> sp.csr_array:
        """Query vectors (IDF per occurrence of a known term) for an analysed batch."""
        idf = self.idf()
        rows, cols, tf = batch.pairs()
        n = len(batch.lengths)
        values = idf[cols] * tf
        nonzero = values != 0
        rows, cols, values = rows[nonzero], cols[nonzero], values[nonzero]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        return sp.csr_array((values.astype(np.float32), cols, indptr), shape=(n, self.dim))

    def encode_documents(self, documents: Sequence[str]) -> sp.csr_array:
        """Encode documents with the fitted statistics; terms never seen in fitting are dropped.

        Returns:
            A ``float32`` CSR array, one row per document, ``dim`` columns.
        """
        self._require_fitted()
        return self.document_vectors(self.analyze(check_texts(documents, what="documents")))

    def encode_queries(self, queries: Sequence[str]) -> sp.csr_array:
        """Encode queries; a query with no known term gives an empty row (it matches nothing).

        Returns:
            A ``float32`` CSR array, one row per query, ``dim`` columns.
        """
        self._require_fitted()
        return self.query_vectors(self.analyze(check_texts(queries, what="queries")))

    def encode_query(self, query: str) -> sp.csr_array:
        """Encode one query as a one-row CSR array."""
        return self.encode_queries([check_text(query, what="query")])

    # ------------------------------------------------------------------ persistence
    def to_params(self) -> dict[str, Any]:
        """The parameters as pymilvus-model's JSON structure, plus document frequencies and the analyzer."""
        self._require_fitted()
        words = list(self._vocab)
        params: dict[str, Any] = {
            "version": "v1",
            "corpus_size": self.corpus_size,
            "avgdl": self.avgdl,
            "idf_word": words,
            "idf_value": self.idf().tolist(),
            "k1": self.k1,
            "b": self.b,
            "epsilon": self.epsilon,
        }
        if self.can_update:
            params["df"] = self._df.tolist()
            params["total_length"] = self.total_length
        config = getattr(self.analyzer, "config", None)
        if callable(config):
            params["analyzer"] = config()
        return params

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters as JSON, atomically; pymilvus-model's ``BM25EmbeddingFunction.load`` reads it."""
        target = Path(path)
        data = json.dumps(self.to_params())
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, analyzer: TextAnalyzer | None = None) -> BM25Encoder:
        """Read parameters saved by :meth:`save` or by pymilvus-model's ``BM25EmbeddingFunction.save``.

        Args:
            path: The JSON file.
            analyzer: The analyzer to use; defaults to the one saved in the file, else the English default.
                Files written by pymilvus-model record no analyzer: pass the one they were fitted with.

        Raises:
            ParamsFileError: If the file is missing, unreadable, not JSON or lacks fields.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ParamsFileError(f"BM25 parameters file not found: {path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ParamsFileError(f"cannot read BM25 parameters file {path}: {exc}") from exc
        try:
            params = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParamsFileError(f"BM25 parameters file {path} is not valid JSON: {exc}") from exc
        return cls.from_params(params, analyzer=analyzer, source=str(path))

    @classmethod
    def from_params(
        cls, params: Any, *, analyzer: TextAnalyzer | None = None, source: str = "parameters"
    ) -> BM25Encoder:
        """Build an encoder from the structure :meth:`to_params` returns."""
        if not isinstance(params, dict):
            raise ParamsFileError(f"{source}: expected a JSON object, got {type(params).__name__}")
        missing = [f for f in _REQUIRED_FIELDS if f not in params]
        if missing:
            raise ParamsFileError(f"{source}: missing field(s) {', '.join(missing)}")
        words, values = params["idf_word"], params["idf_value"]
        if not isinstance(words, list) or not isinstance(values, list) or len(words) != len(values):
            raise ParamsFileError(f"{source}: idf_word and idf_value must be lists of the same length")
        if not all(isinstance(w, str) for w in words) or len(set(words)) != len(words):
            raise ParamsFileError(f"{source}: idf_word must hold distinct strings")
        try:
            idf = np.asarray(values, dtype=np.float64)
            corpus_size = int(params["corpus_size"])
            avgdl = float(params["avgdl"])
            k1, b, epsilon = float(params["k1"]), float(params["b"]), float(params["epsilon"])
        except (TypeError, ValueError) as exc:
            raise ParamsFileError(f"{source}: a numeric field has a non-numeric value ({exc})") from exc
        if corpus_size < 0 or not math.isfinite(avgdl) or not np.isfinite(idf).all():
            raise ParamsFileError(f"{source}: corpus_size, avgdl and idf values must be finite and >= 0")
        if analyzer is None and isinstance(params.get("analyzer"), dict):
            try:
                analyzer = Analyzer.from_config(params["analyzer"])
            except InvalidInputError as exc:
                raise ParamsFileError(f"{source}: bad analyzer settings ({exc})") from exc
        try:
            encoder = cls(analyzer, k1=k1, b=b, epsilon=epsilon)
        except InvalidInputError as exc:
            raise ParamsFileError(f"{source}: {exc}") from exc
        encoder._vocab = {w: i for i, w in enumerate(words)}
        encoder.corpus_size = corpus_size
        df = params.get("df")
        if isinstance(df, list) and len(df) == len(words) and "total_length" in params:
            encoder._df = np.asarray(df, dtype=np.int64)
            encoder.total_length = float(params["total_length"])
        else:
            encoder._frozen_idf = idf
            encoder._df = np.zeros(len(words), dtype=np.int64)
            encoder.total_length = avgdl * corpus_size
        encoder._fitted = True
        return encoder

    @classmethod
    def from_pymilvus(cls, function: Any) -> BM25Encoder:
        """Take over a fitted or loaded pymilvus-model ``BM25EmbeddingFunction``, analyzer included."""
        if not all(hasattr(function, a) for a in ("idf", "avgdl", "corpus_size", "analyzer")):
            raise InvalidTypeError(f"{type(function).__name__} is not a pymilvus-model BM25EmbeddingFunction")
        if not function.idf:
            raise NotFittedError("the BM25EmbeddingFunction is not fitted: call fit() or load() on it first")
        order = sorted(function.idf.items(), key=lambda item: item[1][1])
        params = {
            "corpus_size": function.corpus_size,
            "avgdl": function.avgdl,
            "idf_word": [w for w, _ in order],
            "idf_value": [float(v[0]) for _, v in order],
            "k1": function.k1,
            "b": function.b,
            "epsilon": function.epsilon,
        }
        return cls.from_params(params, analyzer=function.analyzer, source=type(function).__name__)

    def __repr__(self) -> str:
        state = f"corpus_size={self.corpus_size}, dim={self.dim}" if self._fitted else "unfitted"
        return f"BM25Encoder({state}, k1={self.k1}, b={self.b}, analyzer={self.analyzer!r})"
