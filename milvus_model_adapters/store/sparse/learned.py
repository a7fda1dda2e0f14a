"""Learned sparse vectors as a store's sparse source: SPLADE, BGE-M3's lexical weights, any sparse function.

A learned model gives each text its sparse vector alone, with no corpus statistics: documents are
encoded when they are written, queries when they are asked, and adding or deleting documents changes
nothing else. Milvus scores them by inner product.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from milvus_model_adapters.encoders.sparse import SparseEncoder
from milvus_model_adapters.errors import SchemaMismatchError
from milvus_model_adapters.store import schema
from milvus_model_adapters.store.sparse.base import NO_CHANGE, SparseChange, SparseSource


class LearnedSparse(SparseSource):
    """The sparse vectors of a pymilvus-model sparse function (``SpladeEmbeddingFunction``, BGE-M3, ...).

    Examples:
        >>> from pymilvus.model.sparse import SpladeEmbeddingFunction  # doctest: +SKIP
        >>> store = HybridStore("./splade.db", sparse=LearnedSparse(SpladeEmbeddingFunction()))  # doctest: +SKIP
    """

    kind = "learned"

    def __init__(self, function: Any) -> None:
        """Encode with ``function``.

        ``function`` is anything with ``encode_documents`` / ``encode_queries`` returning SciPy sparse
        rows, dicts, or a ``{"sparse": ...}`` dict such as BGE-M3's.

        Raises:
            InvalidTypeError: If ``function`` lacks those methods.
        """
        self.encoder = function if isinstance(function, SparseEncoder) else SparseEncoder(function)

    @property
    def function(self) -> Any:
        """The sparse function."""
        return self.encoder.function

    def settings(self) -> dict[str, Any]:
        """``kind``, and the function's class and model name (the function itself is given on opening)."""
        fn = self.function
        return {"kind": self.kind, "function": type(fn).__name__, "model": str(getattr(fn, "model_name", ""))}

    def check_existing(self) -> None:
        """Refuse a collection whose sparse vectors are this package's BM25.

        Raises:
            SchemaMismatchError: If the collection keeps BM25 statistics beside it.
        """
        if self.client.has_collection(schema.statistics_collection(self.collection)):
            raise SchemaMismatchError(
                f"collection {self.collection!r} holds client-side BM25 vectors, not a learned model's: "
                "open it with sparse='bm25', or use another collection"
            )

    def begin_write(self, rows: list[dict[str, Any]], replaced: list[dict[str, Any]]) -> SparseChange:
        """Encode the rows' texts into their sparse column; nothing to keep beside them."""
        vectors = self.encoder.encode_documents([row[schema.TEXT] for row in rows])
        for row, vector in zip(rows, vectors, strict=True):
            row[schema.SPARSE] = vector
        return NO_CHANGE

    def queries(self, texts: Sequence[str]) -> list[Any | None]:
        """The queries' sparse vectors; ``None`` for one with no weight."""
        return [v or None for v in self.encoder.encode_queries(texts)]

    def __repr__(self) -> str:
        return f"LearnedSparse({self.function!r})"
