"""Rerankers that run on this machine, with no download."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from milvus_model_adapters._deps import require
from milvus_model_adapters.dense import DenseEncoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.rerank.base import FunctionReranker, Reranker


class CosineReranker(Reranker):
    """Re-scores candidates by cosine similarity of dense embeddings (the offline default).

    With the default MiniLM encoder this needs no download and no extra model. It is most useful on
    candidates that did not come from the same dense model (BM25 or fused hits); on dense-only hits it
    reproduces the dense order.
    """

    def __init__(self, encoder: DenseEncoder | None = None) -> None:
        """Use ``encoder``, by default :meth:`DenseEncoder.default`."""
        self.encoder = encoder if encoder is not None else DenseEncoder.default()

    def _rerank(self, query: str, documents: list[str], top_k: int) -> list[tuple[int, float]]:
        q = self.encoder.encode_query(query)
        d = self.encoder.encode_documents(documents)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
        scores = d @ q
        return list(enumerate(scores.tolist()))

    def __repr__(self) -> str:
        return f"CosineReranker(encoder={self.encoder!r})"


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
