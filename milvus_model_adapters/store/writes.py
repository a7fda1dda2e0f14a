"""Writing and deleting a store's rows, with the sparse source's column and bookkeeping around Milvus's writes.

The store writes the rows; the sparse source fills their sparse column and keeps its statistics in step
(``SparseSource.begin_write`` / ``begin_delete``, then the ``SparseChange``'s commit once Milvus holds the rows,
or its abandon when writing them failed). Each operation is steps (``store.steps``), run with the blocking
client by ``add`` / ``delete`` and with the async client by ``aadd`` / ``adelete`` on a served engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from milvus_model_adapters.store import schema
from milvus_model_adapters.store.sparse.base import SparseChange, SparseSource
from milvus_model_adapters.store.steps import Call, Steps, Work

WRITE_ROWS = 1000
"""Rows per insert or upsert call: Milvus Lite 2.5 takes 1 s for 2,000 rows in one call, 18 s for 5,000."""


class RowWriter:
    """Writes and deletes the rows of one collection."""

    def __init__(self, collection: str, sparse: SparseSource, lock: threading.RLock, *, local: bool) -> None:
        """Write ``collection``'s rows with ``sparse``'s column; ``lock`` guards its statistics against searches.

        ``local``: the collection is in a Milvus Lite file, which one process holds: new ids are inserted and
        only stored ones upserted (an upsert costs Milvus Lite 2.5 10-20% more than an insert). Elsewhere another
        process may write the same id at the same time, so every row is an upsert.
        """
        self.collection = collection
        self.sparse = sparse
        self._lock = lock
        self.local = local

    def write(self, rows: list[dict[str, Any]]) -> Steps[None]:
        """Write ``rows`` (every field but the sparse one), replacing the stored rows of their ids."""
        replaced: list[dict[str, Any]] = []
        if self.local or self.sparse.replaced_fields:
            replaced = yield self._stored([r[schema.ID] for r in rows])
        change = yield Work(self._locked, (self.sparse.begin_write, rows, replaced))
        yield from self._finish(change, self.put(rows, {r[schema.ID] for r in replaced}))

    def delete(self, ids: Sequence[str]) -> Steps[int]:
        """Delete the stored documents among ``ids``; how many there were."""
        found = yield self._stored(list(ids))
        if not found:
            return 0
        change = yield Work(self._locked, (self.sparse.begin_delete, found))
        yield from self._finish(
            change, _one(Call("delete", (self.collection,), {"ids": [r[schema.ID] for r in found]}))
        )
        return len(found)

    def put(self, rows: list[dict[str, Any]], stored: set[str]) -> Steps[None]:
        """Write complete rows, of which the ids in ``stored`` replace stored documents.

        An empty sparse vector is stored as ``EMPTY_SPARSE``, which every engine takes.
        """
        for row in rows:
            if schema.SPARSE in row:
                row[schema.SPARSE] = schema.storable_sparse(row[schema.SPARSE])
        new = [r for r in rows if r[schema.ID] not in stored] if self.local else []
        old = [r for r in rows if r[schema.ID] in stored] if self.local else rows
        for method, part in (("insert", new), ("upsert", old)):
            for start in range(0, len(part), WRITE_ROWS):
                yield Call(method, (self.collection, part[start : start + WRITE_ROWS]))

    def reencoded(self, stored: Iterator[dict[str, Any]], batch_size: int) -> Iterator[list[dict[str, Any]]]:
        """Batches of ``stored`` rows with their sparse column encoded again, to ``put`` back."""
        batch: list[dict[str, Any]] = []
        for row in stored:
            batch.append({**row, schema.DENSE: list(row[schema.DENSE])})
            if len(batch) >= batch_size:
                yield self._reencode(batch)
                batch = []
        if batch:
            yield self._reencode(batch)

    def _reencode(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with self._lock:
            self.sparse.reencode(rows)
        return rows

    def _stored(self, ids: list[str]) -> Call:
        """The stored rows among ``ids``, with the fields the sparse source needs of them."""
        fields = list(dict.fromkeys((schema.ID, *self.sparse.replaced_fields)))
        return Call("get", (self.collection,), {"ids": ids, "output_fields": fields})

    def _finish(self, change: SparseChange, writes: Steps[None]) -> Steps[None]:
        """Milvus's ``writes``, then ``change`` committed; abandoned if they fail."""
        try:
            yield from writes
        except BaseException:
            yield Work(self._locked, (change.abandon,))
            raise
        yield Work(self._locked, (change.commit,))

    def _locked(self, function: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            return function(*args)


def _one(call: Call) -> Steps[None]:
    yield call
