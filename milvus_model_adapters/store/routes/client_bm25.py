"""Client-side BM25 as a store's sparse route: this package's encoder, statistics kept in the database.

Adding documents never re-encodes stored ones: IDF is applied to the query from the current document
frequencies, and each document keeps the length normalisation of the time it was written until
``ClientBM25.refresh``. Every write follows the crash-safe, multi-writer protocol of
``milvus_model_adapters.store.routes.bm25_state``.
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

from milvus_model_adapters._progress import progress
from milvus_model_adapters.bm25 import BM25Encoder, BM25Settings
from milvus_model_adapters.bm25.idf import IdfFormula
from milvus_model_adapters.bm25.terms import AnalyzedBatch
from milvus_model_adapters.encoders.sparse_vectors import csr_rows
from milvus_model_adapters.errors import InvalidInputError, SchemaMismatchError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.connection import query_all
from milvus_model_adapters.store.routes.base import SparseRoute
from milvus_model_adapters.store.routes.bm25_state import (
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


class ClientBM25(SparseRoute):
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
        """A route with the settings ``settings`` gave (for a new collection like that one).

        Raises:
            InvalidInputError: If a setting is missing or invalid.
        """
        route = cls()
        route.encoder = route._encoder_from(settings)
        return route

    def _encoder_from(self, settings: Mapping[str, Any]) -> BM25Encoder:
        """An encoder with stored ``settings``; this route's analyzer where they record none.

        Raises:
            InvalidInputError: If a setting is missing or invalid.
        """
        current = self.encoder.analyzer
        try:
            return BM25Encoder.from_settings(BM25Settings.from_json(settings, unrecorded_analyzer=lambda: current))
        except InvalidInputError as exc:
            raise InvalidInputError(f"invalid BM25 settings {settings!r}: {exc}") from None

    @property
    def bm25(self) -> BM25Encoder:
        """The encoder whose statistics this route keeps."""
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

    def open(self, stored_rows: int) -> None:
        """Load the statistics; on a Milvus Lite file, repair them if a write was cut short."""
        if self._format != FORMAT:
            # An older layout: sequential term ids. Count again and write every vector with hashed ids.
            self.state.reset_format(self.encoder)
            self.state.recount(self.encoder)
            self.refresh(batch_size=500, show_progress=False)
            self._format, self.recounted = FORMAT, True
            return
        self.state.sync(self.encoder, force=True)
        self._synced_at = time.monotonic()
        if self.local and (self.state.pending() or self.encoder.corpus_size != stored_rows):
            self.state.recount(self.encoder)
            self.recounted = True

    def drop(self) -> None:
        """Delete the statistics collection."""
        self.state.drop()

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Encode with the current statistics; write the delta pending, the rows, then commit the delta."""
        bm25 = self.encoder
        self._sync(force=True)
        stored, old = self._stored_analysis([r[schema.ID] for r in rows])
        analyzed = analyze_rows(bm25, rows, grow=True)
        delta = Delta.of(bm25, analyzed)
        if old is not None:
            delta = delta.plus(-Delta.of(bm25, old))
        keys = self.state.begin(delta)
        delta.apply(bm25)
        try:
            for row, vec in zip(rows, self._dicts(bm25.document_vectors(analyzed)), strict=True):
                row[schema.SPARSE] = vec
            self.put(rows, stored)
        except BaseException:
            (-delta).apply(bm25)
            with contextlib.suppress(Exception):  # the repair on next open covers a failure here
                self.state.abandon(keys)
            raise
        self.state.commit(keys)

    def delete(self, ids: Sequence[str]) -> int:
        """Delete the stored documents among ``ids`` and take them out of the statistics."""
        self._sync(force=True)
        found = self.client.get(self.collection, ids=list(ids), output_fields=self._stored_fields)
        if not found:
            return 0
        old = analyze_rows(self.encoder, found)
        delta = -Delta.of(self.encoder, old)
        keys = self.state.begin(delta)
        self.client.delete(self.collection, ids=[r[schema.ID] for r in found])
        self.state.commit(keys)
        delta.apply(self.encoder)
        return len(found)

    def _stored_analysis(self, ids: list[str]) -> tuple[set[str], AnalyzedBatch | None]:
        """Which of ``ids`` are stored, and the terms of their stored texts (the analyzer is fixed)."""
        found = self.client.get(self.collection, ids=ids, output_fields=self._stored_fields)
        stored = {r[schema.ID] for r in found}
        return stored, analyze_rows(self.encoder, found) if found else None

    @property
    def _stored_fields(self) -> list[str]:
        return [schema.ID, *reanalysis_fields(self.encoder)]

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

    def refresh(self, *, batch_size: int, show_progress: bool) -> int:
        """Re-encode every stored sparse vector at the current average document length (dense vectors kept)."""
        self._sync(force=True)
        fields = [schema.ID, schema.TEXT, schema.METADATA, schema.DENSE, *self.carried]
        done = 0
        bar = progress(self.encoder.corpus_size, show_progress, "Re-encoding BM25", "doc")
        pending: list[dict[str, Any]] = []
        try:
            for row in query_all(self.client, self.collection, "", fields, action="read documents"):
                pending.append(row)
                if len(pending) >= batch_size:
                    done += self._reencode(pending)
                    bar.update(len(pending))
                    pending = []
            if pending:
                done += self._reencode(pending)
                bar.update(len(pending))
        finally:
            bar.close()
        return done

    def _reencode(self, rows: list[dict[str, Any]]) -> int:
        vectors = self._dicts(self.encoder.document_vectors(analyze_rows(self.encoder, rows)))
        fields = (schema.ID, schema.TEXT, schema.METADATA, *self.carried)
        new = [
            {**{f: r[f] for f in fields}, schema.DENSE: list(r[schema.DENSE]), schema.SPARSE: v}
            for r, v in zip(rows, vectors, strict=True)
        ]
        self.put(new, {r[schema.ID] for r in new})
        return len(new)

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
