"""Where a store's sparse vectors come from: the strategy interface, and Milvus's built-in BM25.

A :class:`SparseRoute` owns everything that depends on the sparse source: whether the schema holds a
Milvus function, how rows are written and deleted (a source with statistics keeps them in step), what
a query is sent as, and how a Milvus distance becomes a score. :class:`~milvus_model_adapters.store.
HybridStore` calls it and knows nothing else of the source; client-side BM25 is
:class:`~milvus_model_adapters.store.bm25_route.ClientBM25`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pymilvus import MilvusClient

from milvus_model_adapters._validate import is_embedding_function
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store import schema

WRITE_ROWS = 1000
"""Rows per insert or upsert call: Milvus Lite 2.5 takes 1 s for 2,000 rows in one call, 18 s for 5,000."""


class SparseRoute(ABC):
    """The sparse source of one collection; bound to it by :meth:`attach` before any other call."""

    kind: ClassVar[str]
    """Name of the source (``"bm25"``, ``"builtin"``)."""
    builtin_function: ClassVar[bool] = False
    """Whether Milvus computes the sparse field from the text (a BM25 function in the schema)."""
    metric: ClassVar[str] = "IP"
    """The metric of the sparse index and searches."""

    client: MilvusClient
    collection: str
    local: bool
    """Whether the collection is in a Milvus Lite file (whose lock rules out other processes)."""

    def attach(self, client: MilvusClient, collection: str, *, local: bool) -> None:
        """Bind to ``collection`` through ``client``."""
        self.client = client
        self.collection = collection
        self.local = local

    @property
    def analyzer_params(self) -> dict[str, Any] | None:
        """Milvus analyzer parameters for the text field, when Milvus analyses it."""
        return None

    def settings(self) -> dict[str, Any]:
        """What recreates this source for another collection (JSON): ``kind`` and its parameters."""
        return {"kind": self.kind}

    def check_documents(self, metadatas: Sequence[Mapping[str, Any] | None]) -> None:  # noqa: B027 - optional hook
        """Refuse documents this source cannot write, before anything is written."""

    def check_existing(self) -> None:  # noqa: B027 - optional hook
        """Check an existing collection has what this source needs (called before :meth:`open`)."""

    def create(self) -> None:  # noqa: B027 - optional hook
        """Set up what the source keeps beside a newly created collection."""

    def open(self, stored_rows: int) -> None:  # noqa: B027 - optional hook
        """Load what the source keeps, once the collection is loaded."""

    def drop(self) -> None:  # noqa: B027 - optional hook
        """Delete what the source keeps beside the collection."""

    def write(self, rows: list[dict[str, Any]], texts: Sequence[str]) -> None:
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
        process may write the same id at the same time, so every row is an upsert.
        """
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


class BuiltinBM25(SparseRoute):
    """Milvus's own BM25 function: Milvus analyses the text and keeps the statistics (per segment)."""

    kind = "builtin"
    builtin_function = True
    metric = "BM25"

    def __init__(self, analyzer_params: Mapping[str, Any] | None = None) -> None:
        """Use Milvus's analyzer with ``analyzer_params`` (its default analyzer when ``None``)."""
        self._analyzer_params = dict(analyzer_params) if analyzer_params else None

    @property
    def analyzer_params(self) -> dict[str, Any] | None:
        """Milvus analyzer parameters of the text field."""
        return self._analyzer_params

    def settings(self) -> dict[str, Any]:
        """``kind`` and the Milvus analyzer parameters."""
        return {"kind": self.kind, "analyzer_params": self._analyzer_params}

    def queries(self, texts: Sequence[str]) -> list[Any | None]:
        """The texts themselves: Milvus analyses them."""
        return list(texts)

    def score(self, distance: float) -> float:
        """The BM25 score; Milvus Lite 3.x returns it negated in plain search."""
        return abs(distance)

    def __repr__(self) -> str:
        return f"BuiltinBM25(analyzer_params={self._analyzer_params!r})"


def sparse_route(
    sparse: str | SparseRoute | Any,
    *,
    analyzer: Any = None,
    k1: float = 1.5,
    b: float = 0.75,
    builtin_analyzer_params: Mapping[str, Any] | None = None,
) -> SparseRoute:
    """The route for ``sparse``: a name, a sparse function, or a route itself.

    ``"bm25"`` is client-side BM25, ``"builtin"`` Milvus's function; a sparse function is a learned
    model (see :class:`~milvus_model_adapters.store.learned_route.LearnedSparse`).

    Raises:
        InvalidInputError: On an unknown name.
        InvalidTypeError: On anything else.
    """
    if isinstance(sparse, SparseRoute):
        return sparse
    if is_embedding_function(sparse):
        from milvus_model_adapters.store.learned_route import LearnedSparse

        return LearnedSparse(sparse)
    if sparse == "bm25":
        from milvus_model_adapters.store.bm25_route import ClientBM25

        return ClientBM25(analyzer, k1=k1, b=b)
    if sparse == "builtin":
        if analyzer is not None:
            raise InvalidInputError(
                "analyzer is for client-side BM25; Milvus's BM25 takes builtin_analyzer_params, e.g. "
                "milvus_analyzer_params('de') from milvus_model_adapters.languages"
            )
        return BuiltinBM25(builtin_analyzer_params)
    if isinstance(sparse, str):
        raise InvalidInputError(f"unknown sparse source {sparse!r}; use 'bm25', 'builtin' or a SparseRoute")
    raise InvalidTypeError(
        f"sparse must be 'bm25', 'builtin', a sparse function or a SparseRoute, got {type(sparse).__name__}"
    )


def route_from_settings(settings: Mapping[str, Any]) -> SparseRoute:
    """A new route like the one whose :meth:`SparseRoute.settings` gave ``settings``.

    Raises:
        InvalidInputError: On settings of an unknown source.
    """
    kind = settings.get("kind") if isinstance(settings, Mapping) else None
    if kind == "builtin":
        params = settings.get("analyzer_params")
        return BuiltinBM25(params if isinstance(params, Mapping) else None)
    if kind == "bm25":
        from milvus_model_adapters.store.bm25_route import ClientBM25

        return ClientBM25.from_settings(settings)
    if kind == "learned":
        raise InvalidInputError(
            f"the sparse vectors come from a learned model ({settings.get('function')} {settings.get('model')!r}); "
            "open the store with sparse=<that function>"
        )
    raise InvalidInputError(f"unknown sparse source settings {settings!r}: 'kind' must be 'bm25' or 'builtin'")
