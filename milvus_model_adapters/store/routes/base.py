"""Where a store's sparse vectors come from: the strategy interface every sparse source implements.

A ``SparseRoute`` owns everything that depends on the sparse source: whether the schema holds a
Milvus function, how rows are written and deleted (a source with statistics keeps them in step), what
a query is sent as, how a Milvus distance becomes a score, and what the source keeps beside the
collection. The store reaches the source through this interface only. The sources are
``BuiltinBM25`` (Milvus's function),
``ClientBM25`` (this package's BM25) and
``LearnedSparse`` (a learned model);
``factory`` picks one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pymilvus import MilvusClient

from milvus_model_adapters.bm25 import BM25Encoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import schema

WRITE_ROWS = 1000
"""Rows per insert or upsert call: Milvus Lite 2.5 takes 1 s for 2,000 rows in one call, 18 s for 5,000."""


class SparseRoute(ABC):
    """The sparse source of one collection; bound to it by ``attach`` before any other call."""

    kind: ClassVar[str]
    """Name of the source (``"bm25"``, ``"builtin"``)."""
    builtin_function: ClassVar[bool] = False
    """Whether Milvus computes the sparse field from the text (a BM25 function in the schema)."""
    metric: ClassVar[str] = "IP"
    """The metric of the sparse index and searches."""
    recounted: bool = False
    """Whether opening found an interrupted write and counted the source's statistics again."""

    client: MilvusClient
    collection: str
    local: bool
    """Whether the collection is in a Milvus Lite file (whose lock rules out other processes)."""
    carried: tuple[str, ...] = ()
    """Fields of the collection beyond the store's own (a tenant) that rows written again must keep."""

    def attach(self, client: MilvusClient, collection: str, *, local: bool) -> None:
        """Bind to ``collection`` through ``client``."""
        self.client = client
        self.collection = collection
        self.local = local

    @property
    def analyzer_params(self) -> dict[str, Any] | None:
        """Milvus analyzer parameters for the text field, when Milvus analyses it."""
        return None

    @property
    def bm25(self) -> BM25Encoder | None:
        """The BM25 encoder whose statistics this source keeps on the client, if it keeps any."""
        return None

    def settings(self) -> dict[str, Any]:
        """What recreates this source for another collection (JSON): ``kind`` and its parameters."""
        return {"kind": self.kind}

    def check_documents(self, metadatas: Sequence[Mapping[str, Any] | None]) -> None:  # noqa: B027 - optional hook
        """Refuse documents this source cannot write, before anything is written."""

    def check_existing(self) -> None:  # noqa: B027 - optional hook
        """Check an existing collection has what this source needs (called before ``open``)."""

    def create(self) -> None:  # noqa: B027 - optional hook
        """Set up what the source keeps beside a newly created collection."""

    def open(self, stored_rows: int) -> None:  # noqa: B027 - optional hook
        """Load what the source keeps, once the collection is loaded."""

    def drop(self) -> None:  # noqa: B027 - optional hook
        """Delete what the source keeps beside the collection."""

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Write ``rows`` (every field but the sparse one), filling the sparse field if the client computes it."""
        stored: set[str] = set()
        if self.local:  # elsewhere every row is an upsert (see put), so which are stored does not matter
            found = self.client.get(self.collection, ids=[r[schema.ID] for r in rows], output_fields=[schema.ID])
            stored = {r[schema.ID] for r in found}
        self.put(rows, stored)

    def put(self, rows: list[dict[str, Any]], stored: set[str]) -> None:
        """Write complete rows, of which the ids in ``stored`` replace stored documents.

        On a Milvus Lite file, which one process holds, new ids are inserted and only stored ones
        upserted (an upsert costs Milvus Lite 2.5 10-20% more than an insert). Elsewhere another
        process may write the same id at the same time, so every row is an upsert. An empty sparse
        vector is stored as ``EMPTY_SPARSE``, which every engine takes.
        """
        for row in rows:
            if schema.SPARSE in row:
                row[schema.SPARSE] = schema.storable_sparse(row[schema.SPARSE])
        new = [r for r in rows if r[schema.ID] not in stored] if self.local else []
        old = [r for r in rows if r[schema.ID] in stored] if self.local else rows
        for write, part in ((self.client.insert, new), (self.client.upsert, old)):
            for start in range(0, len(part), WRITE_ROWS):
                write(self.collection, part[start : start + WRITE_ROWS])

    def delete(self, ids: Sequence[str]) -> int:
        """Delete the stored documents among ``ids``; returns how many there were."""
        found = self.client.get(self.collection, ids=list(ids), output_fields=[schema.ID])
        if found:
            self.client.delete(self.collection, ids=[r[schema.ID] for r in found])
        return len(found)

    @abstractmethod
    def queries(self, texts: Sequence[str]) -> list[Any | None]:
        """What each query is sent to Milvus as; ``None`` for a query that can match nothing."""

    def score(self, distance: float) -> float:
        """A Milvus distance of this route as a score (higher is better)."""
        return distance

    def stats(self) -> dict[str, float | int]:
        """Statistics of the source, if it keeps any.

        Raises:
            InvalidInputError: If it keeps none on the client.
        """
        raise InvalidInputError(f"this store's sparse source ({self.kind}) keeps no statistics on the client")

    def recount(self) -> None:
        """Count the source's statistics again from the stored texts.

        Raises:
            InvalidInputError: If it keeps none on the client.
        """
        raise InvalidInputError(f"this store's sparse source ({self.kind}) keeps no statistics on the client")

    def refresh(self, *, batch_size: int, show_progress: bool) -> int:
        """Re-encode every stored sparse vector with the current statistics; returns how many.

        Raises:
            InvalidInputError: If the source has nothing to refresh.
        """
        raise InvalidInputError(f"this store's sparse source ({self.kind}) needs no refresh")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
