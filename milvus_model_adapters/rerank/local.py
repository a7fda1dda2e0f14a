"""Rerankers that run on this machine, with no download."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from milvus_model_adapters._deps import require
from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.rerank.base import FunctionReranker, Reranker


class CosineReranker(Reranker):
    """Re-scores candidates by cosine similarity of dense embeddings (the offline default).

    With the default MiniLM encoder this needs no download and no extra model. It is most useful on
    candidates that did not come from the same dense model (BM25 or fused hits); on dense-only hits it
    reproduces the dense order. In ``HybridStore.search`` it scores the vectors the store already holds
    when they come from the same model, so nothing is encoded again.
    """

    def __init__(self, encoder: DenseEncoder | None = None) -> None:
        """Use ``encoder``; by default the bundled all-MiniLM-L6-v2, loaded when first needed."""
        self._encoder = encoder

    @property
    def encoder(self) -> DenseEncoder:
        """The dense encoder (the default one is loaded on first use)."""
        if self._encoder is None:
            self._encoder = DenseEncoder.default()
        return self._encoder

    def same_model(self, encoder: DenseEncoder) -> bool:
        """Whether ``encoder`` embeds as this reranker does, so its stored vectors can be scored directly."""
        mine = self._encoder
        if mine is None:
            return encoder.is_default_model
        return mine is encoder or mine.function is encoder.function

    def _rerank(self, query: str, documents: list[str], top_k: int) -> list[tuple[int, float]]:
        return self.score_vectors(self.encoder.encode_query(query), self.encoder.encode_documents(documents))

    @staticmethod
    def score_vectors(query: npt.NDArray[np.float32], documents: npt.NDArray[np.float32]) -> list[tuple[int, float]]:
        """``(index, cosine)`` of each document vector against the query vector."""
        q = query / max(float(np.linalg.norm(query)), 1e-12)
        d = documents / np.maximum(np.linalg.norm(documents, axis=1, keepdims=True), 1e-12)
        return list(enumerate((d @ q).tolist()))

    def __repr__(self) -> str:
        return f"CosineReranker(encoder={self._encoder!r})"


class CrossEncoderReranker(FunctionReranker):
    """pymilvus-model's ``CrossEncoderRerankFunction`` over a cross-encoder on local disk."""

    def __init__(self, model_path: str | os.PathLike[str], *, device: str = "cpu", batch_size: int = 32, **kwargs: Any):
        """Load the cross-encoder at ``model_path`` (a directory with a sentence-transformers model).

        Raises:
            InvalidInputError: If the path is not a directory.
            MissingDependencyError: If sentence-transformers is not installed.
        """
        path = os.fspath(model_path)
        if not os.path.isdir(path):
            raise InvalidInputError(f"cross-encoder model directory not found: {path}")
        require("sentence_transformers", package="sentence-transformers", purpose="cross-encoder reranking")
        from pymilvus.model.reranker import CrossEncoderRerankFunction

        super().__init__(CrossEncoderRerankFunction(model_name=path, device=device, batch_size=batch_size, **kwargs))
        self.model_path = path

    def __repr__(self) -> str:
        return f"CrossEncoderReranker(model_path={self.model_path!r})"
