"""Keeping a store's BM25 statistics right: reading them, counting them again, re-encoding documents."""

from __future__ import annotations

import threading

from pymilvus import MilvusClient

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.store.connection import milvus_errors
from milvus_model_adapters.store.routes.base import SparseRoute


class BM25Upkeep:
    """The BM25 statistics methods of ``HybridStore``."""

    client: MilvusClient
    collection: str
    sparse: SparseRoute
    _lock: threading.RLock

    @property
    def bm25(self) -> BM25Encoder | None:
        """The client-side BM25 encoder, or ``None`` when Milvus computes the sparse vectors."""
        return self.sparse.bm25

    @property
    def recounted_bm25(self) -> bool:
        """Whether opening found an interrupted write and recounted the BM25 statistics."""
        return self.sparse.recounted

    def bm25_stats(self) -> dict[str, float | int]:
        """Corpus size, vocabulary size and average document length of client-side BM25.

        Raises:
            InvalidInputError: If Milvus computes the sparse vectors (its statistics live in Milvus).
        """
        return self.sparse.stats()

    def recount_bm25(self) -> None:
        """Count the BM25 statistics again from the stored texts, replacing every stored delta.

        Opening a Milvus Lite file does this by itself after an interrupted write. On a served
        database, run it after a writer was killed mid-write, while no other process writes.

        Raises:
            InvalidInputError: If Milvus computes the sparse vectors.
        """
        with self._lock, milvus_errors("recount BM25 statistics"):
            self.sparse.recount()

    def refresh_bm25(self, *, batch_size: int = 500, show_progress: bool = False) -> int:
        """Re-encode every stored sparse vector at the current average document length.

        IDF is always current (it is applied to the query), but each document's length
        normalisation uses the average length at the time it was written. After the corpus has
        grown or changed a lot, this brings every document to the current average, so scores equal
        those of a BM25 fitted on the whole corpus at once. Dense vectors are not recomputed.

        Returns:
            Number of documents re-encoded.
        """
        batch_size = check_positive_int(batch_size, what="batch_size")
        with self._lock, milvus_errors("re-encode BM25 vectors"):
            done = self.sparse.refresh(batch_size=batch_size, show_progress=show_progress)
            self.client.flush(self.collection)
        return done
