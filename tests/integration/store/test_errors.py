"""Bad input and failed calls across the core and both adapters: a specific error, and the database unchanged."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import pytest

from milvus_model_adapters import MilvusOperationError
from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import (
    DimensionMismatchError,
    FilterError,
    InvalidInputError,
    InvalidTypeError,
    NotFittedError,
    ParamsFileError,
    SchemaMismatchError,
)
from milvus_model_adapters.store import HybridStore
from tests.support.corpus import CORPUS


class _Bad:
    dim = 384

    def __init__(self, value: float) -> None:
        self.value = value

    def encode_documents(self, docs: list[str]) -> np.ndarray:
        return np.full((len(docs), 384), self.value, dtype=np.float32)

    encode_queries = encode_documents


@pytest.fixture(scope="module")
def matrix_store(tmp_path_factory: pytest.TempPathFactory) -> Generator[HybridStore, None, None]:
    store = HybridStore(str(tmp_path_factory.mktemp("bad") / "bad.db"), dense=DenseEncoder.default())
    store.add(CORPUS, metadatas=[{"n": i} for i in range(len(CORPUS))], ids=[f"d{i}" for i in range(len(CORPUS))])
    yield store
    store.close()


def lc_retriever(store: HybridStore, **kw: Any) -> Any:
    from milvus_model_adapters.langchain import MilvusHybridRetriever

    return MilvusHybridRetriever(store=store, **kw)


def li_retriever(store: HybridStore, **kw: Any) -> Any:
    from milvus_model_adapters.llama_index import MilvusHybridRetriever

    return MilvusHybridRetriever(store, **kw)


def nan_store(store: HybridStore) -> HybridStore:
    return HybridStore(store.uri, dense=DenseEncoder(_Bad(float("nan"))), client=store.client)


CASES: list[tuple[str, Callable[[HybridStore], Any], type[Exception], str]] = [
    ("add: not a list", lambda s: s.add("text"), InvalidTypeError, "single string"),
    ("add: None", lambda s: s.add(None), InvalidTypeError, "None"),
    ("add: empty list", lambda s: s.add([]), InvalidInputError, "empty list"),
    ("add: empty text", lambda s: s.add(["ok", ""]), InvalidInputError, r"texts\[1\] is empty"),
    ("add: non-str item", lambda s: s.add(["ok", 3]), InvalidTypeError, r"texts\[1\] must be a string"),
    ("add: text over the field limit", lambda s: s.add(["x" * 70000]), InvalidInputError, "split it into chunks"),
    (
        "add: integer beyond 64 bits in metadata",
        lambda s: s.add(["a"], metadatas=[{"x": {"y": [2**64]}}]),
        InvalidTypeError,
        r"metadatas\[0\]\['x'\]\['y'\]\[0\] holds 18446744073709551616",
    ),
    ("add: id of wrong type", lambda s: s.add(["a"], ids=[7]), InvalidTypeError, "ids must be strings"),
    ("add: metadata not a dict", lambda s: s.add(["a"], metadatas=[["x"]]), InvalidTypeError, "must be a dict"),
    ("add: NaN in metadata", lambda s: s.add(["a"], metadatas=[{"x": float("inf")}]), InvalidTypeError, "JSON"),
    ("add: NaN vectors", lambda s: nan_store(s).add(["new text"]), InvalidInputError, "NaN or infinite"),
    ("search: k = 0", lambda s: s.search("q", k=0), InvalidInputError, "k must be > 0"),
    ("search: k negative", lambda s: s.search("q", k=-3), InvalidInputError, "k must be > 0"),
    ("search: k bool", lambda s: s.search("q", k=True), InvalidTypeError, "k must be an int"),
    ("search: unknown mode", lambda s: s.search("q", mode="semantic"), InvalidInputError, "unknown mode"),
    ("search: unknown ranker", lambda s: s.search("q", ranker="borda"), InvalidInputError, "unknown ranker"),
    (
        "search: weights of wrong length",
        lambda s: s.search("q", ranker="weighted", weights=[1.0]),
        InvalidInputError,
        "2 weights",
    ),
    (
        "search: negative weight",
        lambda s: s.search("q", ranker="weighted", weights=[1.0, -1.0]),
        InvalidInputError,
        ">= 0",
    ),
    ("search: empty query", lambda s: s.search("  "), InvalidInputError, "empty"),
    ("search: k beyond Milvus's limit", lambda s: s.search("q", k=10**9), InvalidInputError, "at most 16384"),
    ("search: unknown option", lambda s: s.search("q", fuzion="server"), InvalidInputError, "unknown search option"),
    ("search: an expression Milvus cannot parse", lambda s: s.search("q", expr="nope >"), FilterError, "rejected"),
    (
        "search: unknown filter operator",
        lambda s: s.search("q", filter={"n": {"$regex": "x"}}),
        FilterError,
        "unknown filter operator",
    ),
    (
        "search: NaN query vector",
        lambda s: nan_store(s).search("q", mode="dense"),
        InvalidInputError,
        "NaN or infinite",
    ),
    ("delete: nothing named", lambda s: s.delete(), InvalidInputError, "needs ids or a filter"),
    ("bm25: unfitted", lambda s: BM25Encoder().encode_queries(["q"]), NotFittedError, "not fitted"),
    ("bm25: malformed params", lambda s: BM25Encoder.from_params({"corpus_size": 1}), ParamsFileError, "missing field"),
    (
        "store: wrong-dimension collection",
        lambda s: HybridStore(s.uri, dense=DenseEncoder(_Bad(0.1), dim=8), client=s.client),
        SchemaMismatchError,
        "dense dimension is 384, the encoder gives 8",
    ),
    (
        "dense: function returns the wrong dimension",
        lambda s: DenseEncoder(_Bad(0.1), dim=8).encode_queries(["q"]),
        DimensionMismatchError,
        "returned dim 384, expected 8",
    ),
    ("langchain: k = 0", lambda s: lc_retriever(s, k=0), ValueError, "k must be > 0"),
    ("langchain: unknown mode", lambda s: lc_retriever(s, mode="x"), ValueError, "unknown mode"),
    (
        "langchain: unknown search argument",
        lambda s: lc_retriever(s).invoke("q", top_k=3),
        InvalidInputError,
        "unknown search option",
    ),
    (
        "langchain: empty add",
        lambda s: (
            __import__("milvus_model_adapters.langchain", fromlist=["x"])
            .MilvusHybridVectorStore(store=s)
            .add_texts(["a", ""])
        ),
        InvalidInputError,
        "empty",
    ),
    ("llama-index: k = 0", lambda s: li_retriever(s, k=0), InvalidInputError, "k must be > 0"),
    ("llama-index: empty query", lambda s: li_retriever(s).retrieve(""), InvalidInputError, "empty"),
    (
        "llama-index: top_n = 0",
        lambda s: __import__("milvus_model_adapters.llama_index", fromlist=["x"]).MilvusModelRerank(top_n=0),
        ValueError,
        "top_n must be > 0",
    ),
]


def snapshot(store: HybridStore) -> tuple[list[tuple[str, str]], dict[str, float | int]]:
    return sorted((d.id, d.text) for d in store.documents()), store.bm25_stats()


@pytest.mark.parametrize(("name", "call", "error", "match"), CASES, ids=[c[0] for c in CASES])
def test_bad_input(matrix_store: HybridStore, name: str, call, error, match) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(matrix_store)
    with pytest.raises(error, match=match):
        call(matrix_store)
    assert snapshot(matrix_store) == before


def test_k_larger_than_the_collection_returns_everything(matrix_store: HybridStore) -> None:
    assert len(matrix_store.search("milvus", k=1000)) == len(CORPUS)


def test_long_text_is_truncated_explicitly(matrix_store: HybridStore) -> None:
    encoder = matrix_store.dense
    assert encoder.max_tokens == 256
    long = "wing lift " * 400  # about 800 tokens
    head = "wing lift " * 120
    v_long, v_head = encoder.encode_documents([long, head])
    assert float(np.dot(v_long, v_head)) > 0.999  # the model reads the first 256 tokens only


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.search("q", k=0), InvalidInputError, "k must be > 0"),
        (lambda s: s.search("q", k="3"), InvalidTypeError, "k must be an int"),
        (lambda s: s.search("", k=3), InvalidInputError, "empty"),
        (lambda s: s.search(None), InvalidTypeError, "None"),
        (lambda s: s.search("q", mode="fuzzy"), InvalidInputError, "unknown mode"),
        (lambda s: s.search("q", ranker="borda"), InvalidInputError, "unknown ranker"),
        (lambda s: s.search("q", fusion="magic"), InvalidInputError, "unknown fusion"),
        (lambda s: s.search("q", ranker="weighted", weights=[1, 2, 3]), InvalidInputError, "2 weights"),
        (lambda s: s.search("q", fetch_k=0), InvalidInputError, "fetch_k"),
        (lambda s: s.add([]), InvalidInputError, "empty list"),
        (lambda s: s.add(["a", ""]), InvalidInputError, "empty"),
        (lambda s: s.add([1]), InvalidTypeError, "must be a string"),
        (lambda s: s.search("q", k=20000), InvalidInputError, "at most 16384"),
        (lambda s: s.search("q", colour="red"), InvalidInputError, "unknown search option"),
        (lambda s: s.search("q", fusion="server", ranker="weighted"), InvalidInputError, "min-max"),
        (lambda s: s.search("q", ranker="rrf", weights=[0.5, 0.5]), InvalidInputError, "weights apply"),
        (lambda s: s.add(["a"], ids=[1]), InvalidTypeError, "ids must be strings"),
        (lambda s: s.add(["a"], ids=["x" * 600]), InvalidInputError, "1 to 512 bytes"),
        (lambda s: s.add(["a", "b"], ids=["x"]), InvalidInputError, "one id per text"),
        (lambda s: s.add(["a"], metadatas=[{"x": object()}]), InvalidTypeError, "JSON"),
        (lambda s: s.add(["a"], metadatas=[{"x": float("nan")}]), InvalidTypeError, "JSON"),
        (lambda s: s.add(["a"], metadatas=["x"]), InvalidTypeError, "must be a dict"),
        (lambda s: s.add(["é" * 40000]), InvalidInputError, "split it into chunks"),
        (lambda s: s.delete(), InvalidInputError, "needs ids or a filter"),
        (lambda s: s.get("abc"), InvalidTypeError, "single string"),
    ],
)
def test_bad_input_leaves_database_unchanged(filled_store: HybridStore, call, error, match) -> None:  # type: ignore[no-untyped-def]
    before = sorted((d.id, d.text) for d in filled_store.documents())
    stats = filled_store.bm25_stats()
    with pytest.raises(error, match=match):
        call(filled_store)
    assert sorted((d.id, d.text) for d in filled_store.documents()) == before
    assert filled_store.bm25_stats() == stats


def test_milvus_failures_without_a_filter_are_not_reported_as_filter_errors(filled_store: HybridStore) -> None:
    filled_store.client.drop_collection(filled_store.collection)
    with pytest.raises(MilvusOperationError, match="could not read documents") as info:
        list(filled_store.documents())
    assert not isinstance(info.value, FilterError)
    with pytest.raises(FilterError, match="rejected the filter"):
        list(filled_store.documents(filter={"topic": "db"}))


def test_failed_write_leaves_statistics_as_they_were(store: HybridStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add(CORPUS[:4], ids=["a", "b", "c", "d"])
    before = store.bm25_stats()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(store.client, "upsert", broken)
    with pytest.raises(RuntimeError, match="connection lost"):
        store.add(CORPUS[4:8])
    monkeypatch.undo()
    assert store.bm25_stats()["corpus_size"] == before["corpus_size"]
    assert store.bm25_stats()["avgdl"] == before["avgdl"]
    assert store.count() == 4
