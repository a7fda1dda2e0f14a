"""BM25 sparse embeddings, offline and fast, with pymilvus-model's file format and scores.

``BM25Encoder`` computes the same vectors as pymilvus-model's ``BM25EmbeddingFunction``
(documents carry the saturated, length-normalised term frequency; queries carry the IDF, so their
inner product is the BM25 score) and reads and writes the same JSON parameters file. It differs in
three ways: the default analyzer needs no NLTK data, a corpus is counted with NumPy rather than a
Python loop per token, and it keeps document frequencies, so statistics can grow as documents are
added (see ``HybridStore``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from milvus_model_adapters._validate import check_text, check_texts
from milvus_model_adapters.bm25 import params as params_file
from milvus_model_adapters.bm25 import vectors
from milvus_model_adapters.bm25.idf import IdfFormula
from milvus_model_adapters.bm25.settings import BM25Settings
from milvus_model_adapters.bm25.statistics import CorpusStatistics
from milvus_model_adapters.bm25.terms import AnalyzedBatch, TermIndex
from milvus_model_adapters.errors import InvalidInputError, NotFittedError, ParamsFileError
from milvus_model_adapters.text.analyzer import Analyzer, TextAnalyzer

_FIT_SLICE = 8192


class BM25Encoder:
    """Okapi BM25 as sparse vectors for Milvus inner-product search.

    Examples:
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
        idf: IdfFormula = "okapi",
    ) -> None:
        """Create an unfitted encoder.

        Args:
            analyzer: Turns a text into terms; defaults to the English ``Analyzer``. Any callable
                ``str -> list[str]`` works, including pymilvus-model's analyzers.
            k1: Term-frequency saturation.
            b: Strength of document-length normalisation, in ``[0, 1]``.
            epsilon: Floor for negative IDF values, as a fraction of the average IDF (pymilvus-model's
                rule; ``okapi`` only).
            idf: The IDF formula, ``"okapi"`` (pymilvus-model's, the default) or ``"lucene"`` (see
                ``IDF_FORMULAS``).

        Raises:
            InvalidInputError: If a setting is out of range.
            InvalidTypeError: If ``analyzer`` is not callable.
        """
        self.settings = BM25Settings(
            analyzer if analyzer is not None else Analyzer(), k1=k1, b=b, epsilon=epsilon, idf=idf
        )
        """The encoder's settings (fixed for its lifetime)."""
        self._terms = TermIndex(self.settings.analyzer)
        self._reset()

    @classmethod
    def from_settings(cls, settings: BM25Settings) -> BM25Encoder:
        """An unfitted encoder with ``settings``."""
        return cls(settings.analyzer, k1=settings.k1, b=settings.b, epsilon=settings.epsilon, idf=settings.idf)

    def _reset(self) -> None:
        self._terms.reset()
        self._stats = CorpusStatistics()
        # The analysis of the last corpus given to ``fit``, kept for one ``encode_documents`` of it.
        self._fit_texts: list[str] | None = None
        self._fit_batch: AnalyzedBatch | None = None

    # ------------------------------------------------------------------ statistics
    @property
    def analyzer(self) -> TextAnalyzer:
        """The analyzer that turns a text into terms."""
        return self.settings.analyzer

    @property
    def k1(self) -> float:
        """Term-frequency saturation."""
        return self.settings.k1

    @property
    def b(self) -> float:
        """Strength of document-length normalisation."""
        return self.settings.b

    @property
    def epsilon(self) -> float:
        """Floor for negative IDF values (``okapi``), as a fraction of the average IDF."""
        return self.settings.epsilon

    @property
    def idf_formula(self) -> IdfFormula:
        """The IDF formula."""
        return self.settings.idf

    @property
    def is_fitted(self) -> bool:
        """Whether the encoder has statistics (from ``fit``, ``load`` or added documents)."""
        return self._stats.fitted

    @property
    def corpus_size(self) -> int:
        """Number of documents counted."""
        return self._stats.corpus_size

    @property
    def total_length(self) -> float:
        """Terms in all documents counted."""
        return self._stats.total_length

    @property
    def dim(self) -> int:
        """Vocabulary size: the width of the sparse vectors."""
        return len(self._terms)

    @property
    def avgdl(self) -> float:
        """Average document length, in terms."""
        return self._stats.avgdl

    @property
    def vocabulary(self) -> dict[str, int]:
        """Term -> index (a copy)."""
        return self._terms.terms

    @property
    def document_frequencies(self) -> npt.NDArray[np.int64]:
        """Number of documents containing each term, by index (a copy)."""
        return self._stats.df.copy()

    @property
    def can_update(self) -> bool:
        """Whether statistics can grow; false after loading a file without document frequencies."""
        return self._stats.can_update

    def idf(self) -> npt.NDArray[np.float64]:
        """IDF by term index, by ``idf_formula`` (see ``idf_values``)."""
        self._require_fitted()
        return self._stats.idf(self.idf_formula, self.epsilon)

    def _require_fitted(self) -> None:
        if not self._stats.fitted:
            raise NotFittedError("BM25 encoder is not fitted: call fit(corpus) or BM25Encoder.load(path) first")

    # ------------------------------------------------------------------ analysis
    def analyze(
        self, texts: Sequence[str], *, grow: bool = False, languages: Sequence[str | None] | None = None
    ) -> AnalyzedBatch:
        """Map documents to term indices.

        Args:
            texts: The texts.
            grow: Add unseen terms to the vocabulary (statistics are not touched: see ``update``).
                Otherwise unseen terms count towards document length but get no weight.
            languages: Each document's language, for a ``MultilingualAnalyzer`` (``None`` entries: not
                given; ``None``: none given).
        """
        batch = self._terms.analyze(texts, grow=grow, languages=languages)
        self._stats.pad(len(self._terms))
        return batch

    def analyze_queries(self, texts: Sequence[str]) -> AnalyzedBatch:
        """Map queries to term indices (a multilingual analyzer analyses queries in their language)."""
        return self._terms.analyze(texts, queries=True)  # queries never grow the vocabulary

    def update(self, batch: AnalyzedBatch, *, remove: bool = False) -> None:
        """Add (or with ``remove``, subtract) analysed documents to the statistics.

        This is what makes the statistics incremental: adding documents later does not re-encode the
        existing ones, and IDF is always computed from the current counts.

        Raises:
            InvalidInputError: If the statistics came from a file without document frequencies, or would
                go negative.
        """
        self._stats.count(batch.pairs()[1], batch.lengths, remove=remove)

    def batch_frequencies(self, batch: AnalyzedBatch) -> dict[str, int]:
        """How many documents of ``batch`` hold each term: the document-frequency change it brings."""
        cols = batch.pairs()[1]
        counts = np.bincount(cols, minlength=self.dim) if len(cols) else np.zeros(0, dtype=np.int64)
        present = np.flatnonzero(counts)
        words = self._terms.words()
        return {words[i]: int(counts[i]) for i in present}

    def apply_frequencies(self, frequencies: dict[str, int], documents: int, length: float) -> None:
        """Change the statistics by document frequencies given per term (terms not seen are added).

        Raises:
            InvalidInputError: If the statistics would go negative.
        """
        indices = self._terms.add_terms(frequencies)
        self._stats.pad(len(self._terms))
        changes = np.fromiter(frequencies.values(), dtype=np.int64, count=len(indices))
        self._stats.shift(indices, changes, documents, length)

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
        self._stats.load(document_frequencies, len(vocabulary), corpus_size, total_length)
        self._terms.reset(vocabulary)

    def set_frozen_idf(
        self, vocabulary: Sequence[str], idf: npt.NDArray[np.float64], corpus_size: int, avgdl: float
    ) -> None:
        """Use saved IDF values as they are (a pymilvus-model file): the statistics can no longer grow."""
        if len(idf) != len(vocabulary):
            raise InvalidInputError("inconsistent BM25 parameters")
        self._stats.freeze(idf, corpus_size, avgdl)
        self._terms.reset(vocabulary)

    # ------------------------------------------------------------------ fit
    def fit(self, corpus: Sequence[str], *, languages: Sequence[str | None] | None = None) -> BM25Encoder:
        """Compute statistics from ``corpus``, replacing any previous ones. Returns ``self``.

        The corpus's analysis is kept until the next ``encode_documents``: ``fit(docs)`` followed by
        ``encode_documents(docs)`` (pymilvus-model's pattern) analyses ``docs`` once, as
        ``fit_transform`` does. ``languages`` gives each document's language to a ``MultilingualAnalyzer``.
        """
        texts = check_texts(corpus, what="corpus")
        self._fit_batch = self._fit(texts, languages)
        self._fit_texts = texts if languages is None else None
        return self

    def fit_transform(self, corpus: Sequence[str], *, languages: Sequence[str | None] | None = None) -> sp.csr_array:
        """Fit on ``corpus`` and return its document vectors, analysing each text once."""
        return self.document_vectors(self._fit(check_texts(corpus, what="corpus"), languages))

    def _fit(self, texts: list[str], languages: Sequence[str | None] | None = None) -> AnalyzedBatch:
        self._reset()
        if languages is not None and len(languages) != len(texts):
            raise InvalidInputError(f"got {len(languages)} languages for {len(texts)} texts")
        # Analysed in slices, so the per-token strings of only one slice are alive at a time.
        parts = [
            self.analyze(
                texts[i : i + _FIT_SLICE],
                grow=True,
                languages=None if languages is None else languages[i : i + _FIT_SLICE],
            )
            for i in range(0, len(texts), _FIT_SLICE)
        ]
        batch = parts[0] if len(parts) == 1 else AnalyzedBatch.concat(parts)
        self.update(batch)
        return batch

    # ------------------------------------------------------------------ encode
    def document_vectors(self, batch: AnalyzedBatch) -> sp.csr_array:
        """Document vectors for an analysed batch, at the current average document length."""
        self._require_fitted()
        return vectors.document_vectors(batch, dim=self.dim, k1=self.k1, b=self.b, avgdl=self.avgdl or 1.0)

    def query_vectors(self, batch: AnalyzedBatch) -> sp.csr_array:
        """Query vectors (IDF per occurrence of a known term) for an analysed batch."""
        return vectors.query_vectors(batch, self.idf(), dim=self.dim)

    def encode_documents(
        self, documents: Sequence[str], *, languages: Sequence[str | None] | None = None
    ) -> sp.csr_array:
        """Encode documents with the fitted statistics; terms never seen in fitting are dropped.

        ``languages`` gives each document's language to a multilingual analyzer.

        Returns:
            A ``float32`` CSR array, one row per document, ``dim`` columns.
        """
        self._require_fitted()
        texts = check_texts(documents, what="documents")
        batch, fitted = self._fit_batch, self._fit_texts
        self._fit_batch = self._fit_texts = None
        if batch is not None and languages is None and fitted == texts:
            return self.document_vectors(batch)
        return self.document_vectors(self.analyze(texts, languages=languages))

    def encode_queries(self, queries: Sequence[str]) -> sp.csr_array:
        """Encode queries; a query with no known term gives an empty row (it matches nothing).

        Returns:
            A ``float32`` CSR array, one row per query, ``dim`` columns.
        """
        self._require_fitted()
        return self.query_vectors(self.analyze_queries(check_texts(queries, what="queries")))

    def encode_query(self, query: str) -> sp.csr_array:
        """Encode one query as a one-row CSR array."""
        return self.encode_queries([check_text(query, what="query")])

    # ------------------------------------------------------------------ persistence
    def to_params(self) -> dict[str, Any]:
        """The parameters as pymilvus-model's JSON structure (see ``milvus_model_adapters.bm25.params``)."""
        self._require_fitted()
        frozen = not self.can_update
        return params_file.to_json(
            params_file.BM25Params(
                self.settings,
                list(self.vocabulary),
                self.idf(),
                self.corpus_size,
                self.avgdl,
                None if frozen else self.document_frequencies,
                self.total_length,
            )
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters as JSON, atomically; pymilvus-model's ``BM25EmbeddingFunction.load`` reads it.

        pymilvus-model analyses text with its own analyzer: for a file it will use, fit this encoder
        with ``PymilvusAnalyzer``, which gives its tokens.
        """
        params_file.write(path, self.to_params())

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, analyzer: TextAnalyzer | None = None) -> BM25Encoder:
        """Read parameters saved by ``save`` or by pymilvus-model's ``BM25EmbeddingFunction.save``.

        Args:
            path: The JSON file.
            analyzer: The analyzer to use; defaults to the one saved in the file. Files written by
                pymilvus-model record none and get its default analysis,
                ``PymilvusAnalyzer("en")``: pass another if the file was fitted with another.

        Raises:
            ParamsFileError: If the file is missing, unreadable, not JSON, or inconsistent.
        """
        return cls.from_params(params_file.read(path), analyzer=analyzer, source=str(path))

    @classmethod
    def from_params(
        cls, params: Any, *, analyzer: TextAnalyzer | None = None, source: str = "parameters"
    ) -> BM25Encoder:
        """Build an encoder from the structure ``to_params`` returns (or pymilvus-model's).

        Raises:
            ParamsFileError: If the structure is malformed or inconsistent.
        """
        return cls._from(params_file.from_json(params, analyzer=analyzer, source=source), source)

    @classmethod
    def from_pymilvus(cls, function: Any) -> BM25Encoder:
        """Take over a fitted or loaded pymilvus-model ``BM25EmbeddingFunction``, analyzer included."""
        return cls._from(params_file.from_pymilvus(function), type(function).__name__)

    @classmethod
    def _from(cls, params: params_file.BM25Params, source: str) -> BM25Encoder:
        encoder = cls.from_settings(params.settings)
        try:
            if params.document_frequencies is None:
                # A pymilvus-model file: IDF values as saved, statistics that cannot grow.
                encoder.set_frozen_idf(params.words, params.idf, params.corpus_size, params.avgdl)
            else:
                encoder.set_statistics(
                    params.words, params.document_frequencies, params.corpus_size, params.total_length
                )
        except InvalidInputError as exc:
            raise ParamsFileError(f"{source}: {exc}") from None
        return encoder

    def __repr__(self) -> str:
        state = f"corpus_size={self.corpus_size}, dim={self.dim}" if self.is_fitted else "unfitted"
        return f"BM25Encoder({state}, k1={self.k1}, b={self.b}, idf={self.idf_formula!r}, analyzer={self.analyzer!r})"
