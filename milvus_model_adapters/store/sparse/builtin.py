"""Milvus's built-in BM25 as a store's sparse source: Milvus analyses the text and keeps the statistics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from milvus_model_adapters.store.sparse.base import SparseSource


class BuiltinBM25(SparseSource):
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
