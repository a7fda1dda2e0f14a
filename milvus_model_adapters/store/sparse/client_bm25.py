"""Client-side BM25 as a store's sparse source: this package's encoder, statistics kept in the database.

Adding documents never re-encodes stored ones: IDF is applied to the query from the current document
frequencies, and each document keeps the length normalisation of the time it was written until
``HybridStore.refresh_bm25``. Every write follows the crash-safe, multi-writer protocol of
``milvus_model_adapters.store.sparse.bm25_state``.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from milvus_model_adapters.bm25 import BM25Encoder, BM25Settings
from milvus_model_adapters.bm25.idf import IdfFormula
from milvus_model_adapters.encoders.sparse_vectors import csr_rows
from milvus_model_adapters.errors import InvalidInputError, SchemaMismatchError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.sparse.base import SparseChange, SparseSource
from milvus_model_adapters.store.sparse.bm25_state import (
    FORMAT,
    BM25State,
    Delta,
    analyze_rows,
    check_format,
    reanalysis_fields,
    stored_settings,
)
from milvus_model_adapters.text.analyzer import Analyzer, TextAnalyzer
from milvus_model_adapters.text.multilingual import document_languages


class ClientBM25(SparseSource):
    """BM25 computed here with ``BM25Encoder``, updated on every write.

    Any number of processes may write to one collection (served Milvus Lite or a Milvus server): a
    term's dimension is a hash of the term, so no vocabulary is shared, and statistics are append-only
    deltas that every process sums (see ``bm25_state``). A process
    reads the deltas of others before each write, and before a search at most every ``sync_interval``
    seconds.

    A new collection uses the Lucene IDF (``log(1 + (N - n + 0.5) / (n + 0.5))``), which is never zero,
    so a word that a document holds always finds it, even in a collection of two documents. An existing
    collection keeps the settings it was created with.
    """

    kind = "bm25"

    def __init__(
        self,
        analyzer: TextAnalyzer | None = None,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        idf: IdfFormula = "lucene",
        sync_interval: float = 1.0,
    ) -> None:
        """Settings for a new collection (an existing one keeps its own).

        Args:
            analyzer: Text analyzer (default: the English ``Analyzer``).
            k1: BM25 ``k1``.
            b: BM25 ``b``.
            idf: IDF formula (see ``milvus_model_adapters.bm25.idf.IDF_FORMULAS``).
            sync_interval: Longest time, in seconds, a search goes without reading other writers' statistics.
        """
        self.encoder = BM25Encoder(analyzer if analyzer is not None else Analyzer(), k1=k1, b=b, idf=idf)
        self.sync_interval = sync_interval
        self._format = FORMAT
        self._hashes = np.zeros(0, dtype=np.int64)
        self._synced_at = -math.inf

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ClientBM25:
        """A source with the settings ``settings`` gave (for a new collection like that one).

        Raises:
            InvalidInputError: If a setting is missing or invalid.
        """
        source = cls()
        source.encoder = source._encoder_from(settings)
        return source

    def _encoder_from(self, settings: Mapping[str, Any]) -> BM25Encoder:
        """An encoder with stored ``settings``; this source's analyzer where they record none.

        Raises:
            InvalidInputError: If a setting is missing or invalid.
        """
        current = self.encoder.analyzer
        try:
            return BM25Encoder.from_settings(BM25Settings.from_json(settings, unrecorded_analyzer=lambda: current))
        except InvalidInputError as exc:
            raise InvalidInputError(f"invalid BM25 settings {settings!r}: {exc}") from None

    @property
    def text_analyzer(self) -> TextAnalyzer:
        """The analyzer of the BM25 statistics."""
        return self.encoder.analyzer

    @property
    def bm25(self) -> BM25Encoder:
        """The encoder whose statistics this source keeps."""
        return self.encoder

    def settings(self) -> dict[str, Any]:
        """``kind`` and the BM25 settings (k1, b, epsilon, IDF formula, analyzer configuration)."""
        return {"kind": self.kind, **stored_settings(self.encoder.settings)}

    def attach(self, client: Any, collection: str, *, local: bool) -> None:
        """Bind to ``collection`` and its statistics collection."""
        super().attach(client, collection, local=local)
        self.state = BM25State(client, collection)

    def check_existing(self) -> None:
        """Take the stored settings of an existing collection."""
        if not self.state.exists():
            raise SchemaMismatchError(
                f"collection {self.collection!r} has no BM25 statistics collection {self.state.name!r}: its "
                "sparse vectors come from a learned model (open it with sparse=<that sparse function>), "
                "or its statistics were deleted"
            )
        settings = self.state.stored_settings()
        if settings is not None:
            self._format = check_format(settings, self.state.name)
            self.encoder = self._encoder_from(settings)

    def create(self) -> None:
        """Create an empty statistics collection."""
        self.state.drop()
        self.state.create(self.encoder)

    def open(self, stored_rows: int) -> bool:
        """Load the statistics; on a Milvus Lite file, repair them if a write was cut short.

        Returns:
            Whether every stored sparse vector must be encoded again: an older layout's term ids were
            sequential; its statistics are counted again here with hashed ids.
        """
        if self._format != FORMAT:
            self.state.reset_format(self.encoder)
            self.state.recount(self.encoder)
            self._format, self.recounted = FORMAT, True
            return True
        self.state.sync(self.encoder, force=True)
        self._synced_at = time.monotonic()
        if self.local and (self.state.pending() or self.encoder.corpus_size != stored_rows):
            self.state.recount(self.encoder)
            self.recounted = True
        return False

    def drop(self) -> None:
        """Delete the statistics collection."""
        self.state.drop()

    @property
    def replaced_fields(self) -> tuple[str, ...]:
        """The id and what analyses a stored text again (text, and metadata where the analyzer reads a language)."""
        return (schema.ID, *reanalysis_fields(self.encoder))

    def begin_write(self, rows: list[dict[str, Any]], replaced: list[dict[str, Any]]) -> SparseChange:
        """Encode ``rows`` with the current statistics, counting them in and ``replaced`` out; the delta pending.

        The delta is written as pending before the store writes the rows and committed after
        (``bm25_state``); if the rows cannot be written, it is abandoned and taken back out.
        """
        bm25 = self.encoder
        self._sync(force=True)
        analyzed = analyze_rows(bm25, rows, grow=True)
        delta = Delta.of(bm25, analyzed)
        if replaced:
            delta = delta.plus(-Delta.of(bm25, analyze_rows(bm25, replaced)))
        keys = self.state.begin(delta)
        delta.apply(bm25)

        def abandon() -> None:
            (-delta).apply(bm25)
            with contextlib.suppress(Exception):  # the repair on next open covers a failure here
                self.state.abandon(keys)

        try:
            for row, vec in zip(rows, self._dicts(bm25.document_vectors(analyzed)), strict=True):
                row[schema.SPARSE] = vec
        except BaseException:
            abandon()
            raise
        return SparseChange(commit=lambda: self.state.commit(keys), abandon=abandon)

    def begin_delete(self, stored: list[dict[str, Any]]) -> SparseChange:
        """A delta taking ``stored`` out of the statistics, pending until the store has deleted them."""
        self._sync(force=True)
        delta = -Delta.of(self.encoder, analyze_rows(self.encoder, stored))
        keys = self.state.begin(delta)

        def commit() -> None:
            self.state.commit(keys)
            delta.apply(self.encoder)

        def abandon() -> None:
            with contextlib.suppress(Exception):
                self.state.abandon(keys)

        return SparseChange(commit=commit, abandon=abandon)

    def check_documents(self, metadatas: Sequence[Mapping[str, Any] | None]) -> None:
        """Refuse metadata that names a language the analyzer does not have, before anything is written."""
        document_languages(self.encoder.analyzer, metadatas)

    def queries(self, texts: Sequence[str]) -> list[Any | None]:
        """BM25 query vectors; ``None`` for a query with no known term."""
        self._sync()
        bm25 = self.encoder
        if not bm25.is_fitted or bm25.corpus_size == 0:
            return [None for _ in texts]
        return [v or None for v in self._dicts(bm25.query_vectors(bm25.analyze_queries(texts)))]

    def _sync(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._synced_at >= self.sync_interval:
            self.state.sync(self.encoder)
            self._synced_at = now

    def _dicts(self, vectors: Any) -> list[dict[int, float]]:
        """Sparse rows with the local term indices replaced by the terms' hashes."""
        size = self.encoder.dim
        if len(self._hashes) > size:
            self._hashes = np.zeros(0, dtype=np.int64)  # the vocabulary was rebuilt
        if len(self._hashes) < size:  # only when the vocabulary grew: reading it costs O(vocabulary)
            new = list(self.encoder.vocabulary)[len(self._hashes) :]
            self._hashes = np.concatenate([self._hashes, np.fromiter(map(term_id, new), np.int64, len(new))])
        csr = vectors if isinstance(vectors, sp.csr_array) else sp.csr_array(vectors)
        return csr_rows(csr.indptr, self._hashes[csr.indices], csr.data)

    def stats(self) -> dict[str, float | int]:
        """Corpus size, vocabulary size and average document length."""
        self._sync(force=True)
        return {"corpus_size": self.encoder.corpus_size, "vocabulary": self.encoder.dim, "avgdl": self.encoder.avgdl}

    def recount(self) -> None:
        """Count the statistics again from the stored texts (run it while no other process writes)."""
        self.state.recount(self.encoder)

    def reencode(self, rows: list[dict[str, Any]]) -> None:
        """Encode stored ``rows`` again at the current average document length (``HybridStore.refresh_bm25``)."""
        self._sync(force=True)
        if not rows:
            return
        vectors = self._dicts(self.encoder.document_vectors(analyze_rows(self.encoder, rows)))
        for row, vector in zip(rows, vectors, strict=True):
            row[schema.SPARSE] = vector

    def __repr__(self) -> str:
        return f"ClientBM25({self.encoder!r})"


TERM_IDS = 2**32 - 1
"""Sparse dimensions Milvus accepts (indices 0 to 2**32 - 2); the last marks an empty vector."""


def term_id(term: str) -> int:
    """A term's sparse dimension: BLAKE2b of its UTF-8 bytes, reduced to Milvus's index range.

    The same in every process and version, so writers need no shared vocabulary. Two terms share a
    dimension with probability about ``V**2 / 2**33`` for ``V`` distinct terms (README, "Incremental BM25").
    """
    dimension = int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little") % TERM_IDS
    # The last dimension marks an empty vector (schema.EMPTY_SPARSE): the one term in 2**32 that hashes
    # to it takes its neighbour.
    return dimension if dimension != schema.EMPTY_SPARSE_DIMENSION else dimension - 1
