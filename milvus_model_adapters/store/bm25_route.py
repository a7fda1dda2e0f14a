"""Client-side BM25 as a store's sparse route: this package's encoder, statistics kept in the database.

Adding documents never re-encodes stored ones: IDF is applied to the query from the current document
frequencies, and each document keeps the length normalisation of the time it was written until
:meth:`ClientBM25.refresh`. Every write follows the crash-safe protocol of
:mod:`milvus_model_adapters.store.bm25_state`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from milvus_model_adapters._progress import progress
from milvus_model_adapters.analyzer import Analyzer, TextAnalyzer
from milvus_model_adapters.bm25 import BM25Encoder, IdfFormula
from milvus_model_adapters.errors import SchemaMismatchError
from milvus_model_adapters.sparse import to_dicts
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.bm25_state import BM25State
from milvus_model_adapters.store.connection import query_all
from milvus_model_adapters.store.sparse_route import SparseRoute


class ClientBM25(SparseRoute):
    """BM25 computed here with :class:`~milvus_model_adapters.bm25.BM25Encoder`, updated on every write.

    A new collection uses the Lucene IDF (``log(1 + (N - n + 0.5) / (n + 0.5))``), which is never zero,
    so a word that a document holds always finds it, even in a collection of two documents. An existing
    collection keeps the settings it was created with.
    """

    kind = "bm25"

    def __init__(
        self, analyzer: TextAnalyzer | None = None, *, k1: float = 1.5, b: float = 0.75, idf: IdfFormula = "lucene"
    ) -> None:
        """Settings for a new collection (an existing one keeps its own).

        Args:
            analyzer: Text analyzer (default: the English :class:`~milvus_model_adapters.analyzer.Analyzer`).
            k1: BM25 ``k1``.
            b: BM25 ``b``.
            idf: IDF formula (see :data:`milvus_model_adapters.bm25.IDF_FORMULAS`).
        """
        self.encoder = BM25Encoder(analyzer if analyzer is not None else Analyzer(), k1=k1, b=b, idf=idf)
        self.recounted = False

    def attach(self, client: Any, collection: str) -> None:
        """Bind to ``collection`` and its statistics collection."""
        super().attach(client, collection)
        self.state = BM25State(client, collection)

    def check_existing(self) -> None:
        """Take the stored settings of an existing collection."""
        if not self.state.exists():
            raise SchemaMismatchError(
                f"collection {self.collection!r} has no BM25 statistics collection {self.state.name!r}"
            )
        settings = self.state.stored_settings()
        if settings is not None:
            self.encoder = _encoder_from_settings(settings, self.encoder)

    def create(self) -> None:
        """Create an empty statistics collection."""
        self.state.drop()
        self.state.create()

    def open(self, stored_rows: int) -> None:
        """Load the statistics; recount them from the stored texts if a write was cut short."""
        self.recounted = self.state.load(self.encoder, stored_rows=stored_rows)

    def drop(self) -> None:
        """Delete the statistics collection."""
        self.state.drop()

    def write(self, rows: list[dict[str, Any]], texts: Sequence[str]) -> None:
        """Encode, then write terms, rows and statistics in the order that survives a crash."""
        bm25, state = self.encoder, self.state
        old = self._stored_analysis([r[schema.ID] for r in rows])
        analyzed = bm25.analyze(texts, grow=True)
        if old is not None:
            bm25.update(old, remove=True)
        bm25.update(analyzed)
        try:
            for row, vec in zip(rows, to_dicts(bm25.document_vectors(analyzed)), strict=True):
                row[schema.SPARSE] = vec
            state.save_vocab(bm25, pending=True)
            self.client.upsert(self.collection, rows)
        except BaseException:
            # Undo the counts in memory; the database keeps ``pending`` and recounts on next open.
            bm25.update(analyzed, remove=True)
            if old is not None:
                bm25.update(old)
            raise
        state.save_stats(bm25)

    def delete(self, ids: Sequence[str]) -> int:
        """Delete the stored documents among ``ids`` and take them out of the statistics."""
        found = self.client.get(self.collection, ids=list(ids), output_fields=[schema.ID, schema.TEXT])
        if not found:
            return 0
        old = self.encoder.analyze([r[schema.TEXT] for r in found])
        self.state.save_vocab(self.encoder, pending=True)
        self.client.delete(self.collection, ids=[r[schema.ID] for r in found])
        self.encoder.update(old, remove=True)
        self.state.save_stats(self.encoder)
        return len(found)

    def _stored_analysis(self, ids: list[str]) -> Any:
        """Terms of the stored versions of ``ids``, derived again from their text (the analyzer is fixed)."""
        found = self.client.get(self.collection, ids=ids, output_fields=[schema.TEXT])
        return self.encoder.analyze([r[schema.TEXT] for r in found]) if found else None

    def queries(self, texts: Sequence[str]) -> list[Any | None]:
        """BM25 query vectors; ``None`` for a query with no known term."""
        bm25 = self.encoder
        if not bm25.is_fitted or bm25.corpus_size == 0:
            return [None for _ in texts]
        return [v or None for v in to_dicts(bm25.query_vectors(bm25.analyze(texts)))]

    def stats(self) -> dict[str, float | int]:
        """Corpus size, vocabulary size and average document length."""
        return {"corpus_size": self.encoder.corpus_size, "vocabulary": self.encoder.dim, "avgdl": self.encoder.avgdl}

    def refresh(self, *, batch_size: int, show_progress: bool) -> int:
        """Re-encode every stored sparse vector at the current average document length (dense vectors kept)."""
        fields = [schema.ID, schema.TEXT, schema.METADATA, schema.DENSE]
        total = self.encoder.corpus_size
        done = 0
        bar = progress(total, show_progress, "Re-encoding BM25", "doc")
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
        vectors = to_dicts(self.encoder.document_vectors(self.encoder.analyze([r[schema.TEXT] for r in rows])))
        fields = (schema.ID, schema.TEXT, schema.METADATA)
        new = [
            {**{f: r[f] for f in fields}, schema.DENSE: list(r[schema.DENSE]), schema.SPARSE: v}
            for r, v in zip(rows, vectors, strict=True)
        ]
        self.client.upsert(self.collection, new)
        return len(new)

    def __repr__(self) -> str:
        return f"ClientBM25({self.encoder!r})"


def _encoder_from_settings(settings: Mapping[str, Any], current: BM25Encoder) -> BM25Encoder:
    analyzer: TextAnalyzer = current.analyzer
    config = settings.get("analyzer")
    if isinstance(config, dict):
        analyzer = Analyzer.from_config(config)
    return BM25Encoder(
        analyzer,
        k1=float(settings["k1"]),
        b=float(settings["b"]),
        epsilon=float(settings["epsilon"]),
        # Collections written before the setting existed used pymilvus-model's formula.
        idf=settings.get("idf") or "okapi",
    )
