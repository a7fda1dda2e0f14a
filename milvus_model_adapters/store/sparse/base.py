"""Where a store's sparse vectors come from: the strategy interface every sparse source implements.

A ``SparseSource`` owns everything that depends on the sparse source: whether the schema holds a Milvus
function, the sparse column of the rows the store writes (and the bookkeeping that keeps statistics in step
with them: ``begin_write`` / ``begin_delete`` and the ``SparseChange`` they return), what a query is sent as,
how a Milvus distance becomes a score, and what the source keeps beside the collection. The store writes and
deletes the rows; it reaches the source through this interface only. The sources are ``BuiltinBM25``
(Milvus's function), ``ClientBM25`` (this package's BM25) and ``LearnedSparse`` (a learned model);
``factory`` picks one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pymilvus import MilvusClient

from milvus_model_adapters.bm25 import BM25Encoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.text.analyzer import Analyzer, TextAnalyzer


def _nothing() -> None:
    """Nothing to commit or abandon."""


@dataclass(frozen=True, slots=True)
class SparseChange:
    """What a source keeps about rows being written or deleted: committed once the rows are, else abandoned."""

    commit: Callable[[], None] = _nothing
    """Called once Milvus holds the change of rows."""
    abandon: Callable[[], None] = _nothing
    """Called when writing the rows failed: the source undoes what it began (never raises)."""


NO_CHANGE = SparseChange()
"""The change of a source that keeps nothing about the rows."""


class SparseSource(ABC):
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
    def text_analyzer(self) -> TextAnalyzer:
        """The analyzer that highlights a hit's matches: the English ``Analyzer``, or the source's own."""
        return Analyzer()

    @property
    def bm25(self) -> BM25Encoder | None:
        """The BM25 encoder whose statistics this source keeps on the client, if it keeps any."""
        return None

    def settings(self) -> dict[str, Any]:
        """What recreates this source for another collection (JSON): ``kind`` and its parameters."""
        return {"kind": self.kind}

    @property
    def replaced_fields(self) -> tuple[str, ...]:
        """The fields of stored rows that ``begin_write`` and ``begin_delete`` need of the rows they replace."""
        return ()

    def check_documents(self, metadatas: Sequence[Mapping[str, Any] | None]) -> None:  # noqa: B027 - optional hook
        """Refuse documents this source cannot write, before anything is written."""

    def check_existing(self) -> None:  # noqa: B027 - optional hook
        """Check an existing collection has what this source needs (called before ``open``)."""

    def create(self) -> None:  # noqa: B027 - optional hook
        """Set up what the source keeps beside a newly created collection."""

    def open(self, stored_rows: int) -> bool:
        """Load what the source keeps, once the collection is loaded.

        Returns:
            Whether the store must encode every stored row's sparse column again (``reencode``).
        """
        return False

    def drop(self) -> None:  # noqa: B027 - optional hook
        """Delete what the source keeps beside the collection."""

    def begin_write(self, rows: list[dict[str, Any]], replaced: list[dict[str, Any]]) -> SparseChange:
        """Fill the sparse column of ``rows`` (if the client computes it) before the store writes them.

        Args:
            rows: The rows to write, every field but the sparse one.
            replaced: The stored rows that ``rows`` replace, with their ``replaced_fields``.

        Returns:
            What to commit once the rows are written, or abandon if writing them fails.
        """
        return NO_CHANGE

    def begin_delete(self, stored: list[dict[str, Any]]) -> SparseChange:
        """Take ``stored`` rows (with their ``replaced_fields``) out of the source's bookkeeping, once deleted."""
        return NO_CHANGE

    @abstractmethod
    def queries(self, texts: Sequence[str]) -> list[Any | None]:
        """What each query is sent to Milvus as; ``None`` for a query that can match nothing."""

    def score(self, distance: float) -> float:
        """A Milvus distance of this source's search as a score (higher is better)."""
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

    def reencode(self, rows: list[dict[str, Any]]) -> None:
        """Fill the sparse column of stored ``rows`` again with the current statistics (``ClientBM25.refresh``).

        Raises:
            InvalidInputError: If the source has nothing to refresh.
        """
        raise InvalidInputError(f"this store's sparse source ({self.kind}) needs no refresh")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
