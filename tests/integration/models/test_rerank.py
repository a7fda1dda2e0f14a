"""Rerankers: the API rerankers against a local server speaking each provider's format (keys never shown), pymilvus-model's
functions wrapped, the cosine and cross-encoder rerankers offline, bad input and bad output."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import pytest

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, RerankError
from milvus_model_adapters.rerank import (
    CohereReranker,
    CosineReranker,
    CrossEncoderReranker,
    FunctionReranker,
    JinaReranker,
    RerankHit,
    VoyageReranker,
    api_reranker,
)
from tests.support.rerank_server import VALID_KEY, RerankServer

DOCS = ["the wing makes lift", "engines make thrust", "wing flutter and lift at speed", "unrelated text"]


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with RerankServer() as s:
        yield s


@pytest.mark.parametrize(
    ("cls", "path", "top_key"),
    [
        (JinaReranker, "/v1/rerank", "top_n"),
        (CohereReranker, "/v2/rerank", "top_n"),
        (VoyageReranker, "/v1/rerank", "top_k"),
    ],
)
def test_api_rerankers_speak_provider_format(server: RerankServer, cls, path, top_key) -> None:  # type: ignore[no-untyped-def]
    rr = cls(api_key=VALID_KEY, base_url=server.url)
    hits = rr.rerank("wing lift", DOCS, top_k=2)
    assert [h.index for h in hits] == [0, 2]
    assert hits[0] == RerankHit(index=0, score=1.0, text=DOCS[0])
    req = server.requests[-1]
    assert req["path"] == path
    assert req["headers"]["Authorization"] == f"Bearer {VALID_KEY}"
    assert req["body"]["query"] == "wing lift" and req["body"]["documents"] == DOCS
    assert req["body"][top_key] == 2 and req["body"]["model"] == cls.default_model


def test_api_key_from_environment_and_never_shown(server: RerankServer, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JINAAI_API_KEY", VALID_KEY)
    rr = JinaReranker(base_url=server.url)
    caplog.set_level(logging.DEBUG)
    rr.rerank("wing", DOCS)
    assert VALID_KEY not in repr(rr) and VALID_KEY not in str(rr) and VALID_KEY not in repr(vars(rr))
    assert VALID_KEY not in caplog.text
    with pytest.raises(TypeError):
        pickle.dumps(rr)


def test_api_errors_do_not_leak_key(server: RerankServer) -> None:
    bad = CohereReranker(api_key="wrong-secret-key", base_url=server.url)
    with pytest.raises(RerankError, match="HTTP 401: Invalid API key") as info:
        bad.rerank("wing", DOCS)
    assert "wrong-secret-key" not in str(info.value)
    broken = JinaReranker("broken", api_key=VALID_KEY, base_url=server.url)
    with pytest.raises(RerankError, match="unexpected response"):
        broken.rerank("wing", DOCS)
    down = VoyageReranker(api_key="secret-down", base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(RerankError, match="request failed") as info:
        down.rerank("wing", DOCS)
    assert "secret-down" not in str(info.value)


def test_missing_key(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("VOYAGE_API_KEY",):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(InvalidInputError, match="VOYAGE_API_KEY"):
        VoyageReranker()
    with pytest.raises(InvalidInputError, match="unknown rerank provider"):
        api_reranker("nope")


def test_pymilvus_jina_function_through_wrapper(server: RerankServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pymilvus.model.reranker import JinaRerankFunction, jinaai

    monkeypatch.setattr(jinaai, "API_URL", server.url + "/v1/rerank")
    rr = FunctionReranker(JinaRerankFunction(api_key=VALID_KEY))
    hits = rr("wing lift", DOCS, 3)
    assert [h.index for h in hits] == [0, 2, 1]


def test_cosine_reranker_offline(dense_encoder: DenseEncoder) -> None:
    rr = CosineReranker(dense_encoder)
    hits = rr.rerank("How do aircraft wings generate lift?", DOCS)
    assert hits[0].index in (0, 2) and hits[-1].index == 3
    assert all(-1.0 <= h.score <= 1.0 for h in hits)


def test_cross_encoder_from_local_path(tmp_path: Path) -> None:
    from sentence_transformers import CrossEncoder

    from milvus_model_adapters.encoders.dense import default_model_path

    # A real cross-encoder architecture built from the bundled MiniLM weights (its head is untrained).
    CrossEncoder(default_model_path(), num_labels=1, device="cpu").save(str(tmp_path / "ce"))
    rr = CrossEncoderReranker(tmp_path / "ce")
    hits = rr.rerank("wing lift", DOCS, top_k=2)
    assert len(hits) == 2 and hits[0].score >= hits[1].score
    with pytest.raises(InvalidInputError, match="not found"):
        CrossEncoderReranker(tmp_path / "missing")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("", DOCS), InvalidInputError),
        (("q", []), InvalidInputError),
        (("q", ["ok", ""]), InvalidInputError),
        ((None, DOCS), InvalidTypeError),
        (("q", [1]), InvalidTypeError),
        (("q", DOCS, 0), InvalidInputError),
    ],
)
def test_bad_input(dense_encoder: DenseEncoder, args, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        CosineReranker(dense_encoder).rerank(*args)


def test_function_reranker_rejects_bad_output() -> None:
    class Bad:
        def __call__(self, query, documents, top_k):  # type: ignore[no-untyped-def]
            from pymilvus.model.base import RerankResult

            return [RerankResult(text="x", score=1.0, index=99)]

    with pytest.raises(RerankError, match="index 99"):
        FunctionReranker(Bad()).rerank("q", ["a"])
    with pytest.raises(InvalidTypeError):
        FunctionReranker(42)
