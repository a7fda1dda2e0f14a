"""The MiniLM encoder the LangChain modules share: LangChain's standard suites build their objects outside pytest's
fixtures."""

from __future__ import annotations

from milvus_model_adapters.encoders.dense import DenseEncoder

_ENCODER: DenseEncoder | None = None


def shared_encoder() -> DenseEncoder:
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = DenseEncoder.default()
    return _ENCODER
