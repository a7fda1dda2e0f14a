"""Ranking controls (score floors, boosts, decay, weighted RRF) on a real engine, against independent evaluations.

Each control is checked on a Milvus Lite file and a served engine (both generations, by stack) against a
Python evaluation of the same hits, and decay and boost against Milvus Lite 3's own function rankers, which
score the same rows and query, where that engine applies them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from milvus_model_adapters import InvalidInputError
from milvus_model_adapters.store import RRF, HybridStore
from milvus_model_adapters.store.lite_files import lite_generation
from milvus_model_adapters.store.search.ranking import Boost, Decay
from tests.support.corpus import CORPUS
from tests.support.fixed_dense import HashDense

METADATAS: list[dict[str, Any]] = [
    {"topic": "db" if i < 6 else "other", "ts": i * 10} if i != 3 else {"topic": "db"} for i in range(len(CORPUS))
]
IDS = [f"doc{i:02d}" for i in range(len(CORPUS))]
ALL = len(CORPUS)
QUERIES = ["vector database", "keyword ranking", "local file storage"]


@pytest.fixture
def ranked(store: HybridStore) -> HybridStore:
    store.add(CORPUS, metadatas=METADATAS, ids=IDS)
    return store


def _numpy_decay(values: list[Any], function: str, origin: float, scale: float, offset: float, decay: float) -> Any:
    """Milvus's decay curves, evaluated with NumPy (NaN marks a missing value: factor 0)."""
    v = np.array([np.nan if x is None else float(x) for x in values])
    d = np.maximum(0.0, np.abs(v - origin) - offset)
    curves = {
        "gauss": decay ** ((d / scale) ** 2),
        "exp": decay ** (d / scale),
        "linear": np.maximum(0.0, 1.0 - (1.0 - decay) * d / scale),
    }
    return np.nan_to_num(curves[function], nan=0.0)


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
@pytest.mark.parametrize("function", ["gauss", "exp", "linear"])
def test_decay_multiplies_each_score_by_its_curve(ranked: HybridStore, mode: str, function: str) -> None:
    decay = Decay("ts", function, origin=100, scale=40, offset=10, decay=0.4)  # type: ignore[arg-type]
    for q in QUERIES:
        plain = ranked.search(q, ALL, mode=mode, fetch_k=ALL)
        factors = _numpy_decay([h.metadata.get("ts") for h in plain], function, 100, 40, 10, 0.4)
        expected = sorted(
            ((h.score * f, h.id) for h, f in zip(plain, factors, strict=True)), key=lambda t: (-t[0], t[1])
        )
        got = ranked.search(q, 5, mode=mode, fetch_k=ALL, decay=decay)
        assert [h.id for h in got] == [i for _, i in expected[:5]]
        assert [h.score for h in got] == pytest.approx([s for s, _ in expected[:5]], abs=1e-6)


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_boosts_multiply_the_scores_of_the_hits_their_filters_match(ranked: HybridStore, mode: str) -> None:
    boosts = [Boost({"topic": "other"}, 2.5), Boost({"ts": {"$gte": 50}}, 0.5)]
    for q in QUERIES:
        plain = ranked.search(q, ALL, mode=mode, fetch_k=ALL)

        def factor(meta: dict[str, Any]) -> float:
            value = 2.5 if meta.get("topic") == "other" else 1.0
            return value * (0.5 if meta.get("ts", -1) >= 50 else 1.0)

        expected = sorted(((h.score * factor(h.metadata), h.id) for h in plain), key=lambda t: (-t[0], t[1]))
        got = ranked.search(q, 6, mode=mode, fetch_k=ALL, boost=boosts)
        assert [h.id for h in got] == [i for _, i in expected[:6]]
        assert [h.score for h in got] == pytest.approx([s for s, _ in expected[:6]], abs=1e-6)


def test_route_floors_cut_each_route_before_fusion(ranked: HybridStore) -> None:
    for q in QUERIES:
        plain = ranked.search(q, ALL, ranker="rrf", fetch_k=ALL)
        sparse_scores = sorted(h.sparse_score for h in plain if h.sparse_score is not None)
        least = sparse_scores[len(sparse_scores) // 2]
        expected: dict[str, float] = {}
        for h in plain:
            if h.dense_rank is not None:
                expected[h.id] = 1 / (60 + h.dense_rank)
            if h.sparse_rank is not None and h.sparse_score is not None and h.sparse_score >= least:
                expected[h.id] = expected.get(h.id, 0.0) + 1 / (60 + h.sparse_rank)
        order = sorted(expected, key=lambda i: (-expected[i], i))
        got = ranked.search(q, ALL, ranker="rrf", fetch_k=ALL, min_sparse_score=least)
        assert [h.id for h in got] == order
        assert [h.score for h in got] == pytest.approx([expected[i] for i in order], abs=1e-9)
        dense = ranked.search(q, ALL, mode="dense", min_dense_score=0.5)
        assert [h.id for h in dense] == [h.id for h in ranked.search(q, ALL, mode="dense") if h.score >= 0.5]


def test_a_relevance_floor_that_nothing_passes_gives_an_empty_answer_that_says_why(ranked: HybridStore) -> None:
    hits = ranked.search("vector database", 5, mode="dense", min_relevance=0.999)  # (1 + cosine) / 2
    assert hits == [] and hits.floored > 0 and "floors" in str(hits.why_empty)
    kept = ranked.search("vector database", ALL, min_relevance=0.3)
    assert kept and all(h.score / 1.0 >= 0.3 for h in kept)  # weighted fusion: relevance is the score over 1
    assert ranked.search("zzzz qqqq", 5, mode="sparse").why_empty == "nothing matched the search"


def test_weighted_rrf_weighs_each_route(ranked: HybridStore) -> None:
    ranker = RRF(20, weights=(0.9, 0.3))
    for q in QUERIES:
        plain = ranked.search(q, ALL, ranker="rrf", fetch_k=ALL)
        expected = {
            h.id: (0.9 / (20 + h.dense_rank) if h.dense_rank else 0.0)
            + (0.3 / (20 + h.sparse_rank) if h.sparse_rank else 0.0)
            for h in plain
        }
        order = sorted(expected, key=lambda i: (-expected[i], i))
        got = ranked.search(q, 8, ranker=ranker, fetch_k=ALL)
        assert [h.id for h in got] == order[:8]
        assert [h.score for h in got] == pytest.approx([expected[i] for i in order[:8]], abs=1e-9)


def test_controls_are_checked_before_anything_is_sent(ranked: HybridStore) -> None:
    for options, message in (
        ({"ranker": RRF(60, weights=(0.5, 0.5)), "fusion": "server"}, "cannot weigh RRF"),
        ({"min_dense_score": 0.2, "fusion": "server", "ranker": "rrf"}, "fusion='client'"),
        ({"min_sparse_score": 1.0, "mode": "dense"}, "sparse route's floor"),
        ({"min_relevance": 1.5}, r"\[0, 1\]"),
        ({"boost": [{"topic": "db"}]}, "Boost"),
    ):
        with pytest.raises((InvalidInputError, TypeError), match=message):
            ranked.search("vector database", 3, **options)
    for make, message in (
        (lambda: Decay("ts", "cubic"), "unknown decay function"),  # type: ignore[arg-type]
        (lambda: Decay("ts", scale=0), "scale > 0"),
        (lambda: RRF(60, weights=(1.5, 0.5)), r"\[0, 1\]"),
        (lambda: Boost({"topic": "db"}, 0), "weight must be > 0"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            make()


@pytest.mark.skipif(lite_generation() < 3, reason="Milvus Lite 2.5 has no function rankers (decay, boost)")
@pytest.mark.parametrize("function", ["gauss", "exp", "linear"])
def test_decay_and_boost_equal_milvus_lite_3s_own_rankers(tmp_path: Path, function: str) -> None:
    from pymilvus import DataType, Function, FunctionScore, FunctionType, MilvusClient

    dense = HashDense()
    vectors = dense.encode_documents(CORPUS)
    client = MilvusClient(str(tmp_path / "raw.db"))
    schema = client.create_schema()
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dense.dim)
    schema.add_field("ts", DataType.INT64, nullable=True)
    schema.add_field("topic", DataType.VARCHAR, max_length=16)
    index = client.prepare_index_params()
    index.add_index("dense", index_type="FLAT", metric_type="IP")
    client.create_collection("raw", schema=schema, index_params=index)
    rows = [
        {"id": i, "dense": v, "ts": m.get("ts"), "topic": m["topic"]}
        for i, v, m in zip(IDS, vectors, METADATAS, strict=True)
    ]
    client.insert("raw", rows)
    params = {"function": function, "origin": 100, "scale": 40, "offset": 10, "decay": 0.4}
    decay_fn = Function(
        name="recency",
        input_field_names=["ts"],
        function_type=FunctionType.RERANK,
        params={"reranker": "decay", **params},
    )
    boost_fn = Function(
        name="topic",
        input_field_names=[],
        function_type=FunctionType.RERANK,
        params={"reranker": "boost", "filter": "topic == 'other'", "weight": 2.5},
    )
    with HybridStore(str(tmp_path / "store.db"), dense=dense) as store:
        store.add(CORPUS, metadatas=METADATAS, ids=IDS)
        for q, query_vector in zip(QUERIES, dense.encode_queries(QUERIES), strict=True):
            for ranker, options in (
                (decay_fn, {"decay": Decay("ts", function, **{k: v for k, v in params.items() if k != "function"})}),
                (FunctionScore([boost_fn]), {"boost": Boost({"topic": "other"}, 2.5)}),
            ):
                theirs = client.search("raw", data=[query_vector], anns_field="dense", limit=5, ranker=ranker)[0]
                ours = store.search(q, 5, mode="dense", fetch_k=ALL, **options)
                assert [h.id for h in ours] == [h["id"] for h in theirs]
                assert [h.score for h in ours] == pytest.approx([h["distance"] for h in theirs], abs=1e-5)
    client.close()
    assert math.isfinite(Decay("ts").factor(1.0))


def test_the_frameworks_pass_the_controls_on(ranked: HybridStore) -> None:
    options: dict[str, Any] = {
        "decay": Decay("ts", "exp", origin=100, scale=40),
        "boost": [Boost({"topic": "other"}, 2.0)],
        "min_relevance": 0.05,
        "fetch_k": ALL,
    }
    expected = [h.id for h in ranked.search("vector database", 4, **options)]
    pytest.importorskip("langchain_core")
    from milvus_model_adapters.langchain import MilvusHybridRetriever, MilvusHybridVectorStore

    vector_store = MilvusHybridVectorStore(store=ranked)
    assert [d.id for d in vector_store.similarity_search("vector database", 4, **options)] == expected
    assert [d.id for d in MilvusHybridRetriever(store=ranked, k=4, **options).invoke("vector database")] == expected
    retriever = vector_store.as_retriever(search_kwargs={"k": 4, **options})
    assert [d.id for d in retriever.invoke("vector database")] == expected


def test_llama_index_passes_the_controls_on(ranked: HybridStore) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.vector_stores.types import VectorStoreQuery

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    options: dict[str, Any] = {"decay": Decay("ts", "gauss", origin=0, scale=30), "fetch_k": ALL}
    expected = [h.id for h in ranked.search("vector database", 4, ranker="rrf", **options)]
    vector_store = MilvusHybridVectorStore(store=ranked)
    query = VectorStoreQuery(query_str="vector database", similarity_top_k=4, mode="hybrid")
    assert vector_store.query(query, ranker="rrf", **options).ids == expected


def test_controls_compose_with_grouping_pages_server_fusion_and_a_reranker(ranked: HybridStore) -> None:
    from milvus_model_adapters.rerank import CosineReranker

    decay = Decay("ts", "exp", origin=100, scale=40)
    boost = Boost({"topic": "db"}, 1.5)
    for q in QUERIES:
        every = ranked.search(q, ALL, fetch_k=ALL, decay=decay, boost=boost)
        page = ranked.search(q, 3, offset=2, fetch_k=ALL, decay=decay, boost=boost)
        assert [h.id for h in page] == [h.id for h in every][2:5]
        first_of_topic: dict[str, str] = {}
        for h in every:
            first_of_topic.setdefault(h.metadata["topic"], h.id)
        grouped = ranked.search(q, 2, fetch_k=ALL, decay=decay, boost=boost, group_by="topic")
        assert [h.id for h in grouped] == list(first_of_topic.values())[:2]
        served = ranked.search(q, ALL, fetch_k=ALL, fusion="server", ranker="rrf")
        factors = {h.id: decay.factor(h.metadata.get("ts")) for h in served}
        expected = sorted(served, key=lambda h: (-h.score * factors[h.id], h.id))
        got = ranked.search(q, 5, fetch_k=ALL, fusion="server", ranker="rrf", decay=decay)
        assert [h.id for h in got] == [h.id for h in expected[:5]]
        reranker = CosineReranker(ranked.dense)
        reranked = ranked.search(q, 4, fetch_k=ALL, decay=decay, reranker=reranker, rerank_k=6)
        pool = {h.id for h in every_with(ranked, q, decay)[:6]}
        assert {h.id for h in reranked} <= pool  # the reranker reorders the candidates the controls chose


def every_with(store: HybridStore, q: str, decay: Decay) -> list[Any]:
    return store.search(q, ALL, fetch_k=ALL, decay=decay)


def test_weights_of_the_wrong_length_are_refused(ranked: HybridStore) -> None:
    with pytest.raises(InvalidInputError, match="takes 2 weights"):
        ranked.search("vector database", 3, ranker=RRF(60, weights=(0.5,)))
    with pytest.raises(InvalidInputError, match="0 < decay < 1"):
        Decay("ts", decay=1.0)


def test_the_llama_index_retriever_passes_the_controls_on(ranked: HybridStore) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core import VectorStoreIndex

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    options: dict[str, Any] = {"boost": Boost({"topic": "other"}, 3.0), "fetch_k": ALL, "ranker": "rrf"}
    expected = [h.id for h in ranked.search("vector database", 3, **options)]
    index = VectorStoreIndex.from_vector_store(MilvusHybridVectorStore(store=ranked), embed_model=_llama_embed(ranked))
    retriever = index.as_retriever(similarity_top_k=3, vector_store_query_mode="hybrid", vector_store_kwargs=options)
    assert [n.node.node_id for n in retriever.retrieve("vector database")] == expected


def _llama_embed(store: HybridStore) -> Any:
    from milvus_model_adapters.llama_index import MilvusModelEmbedding

    return MilvusModelEmbedding(encoder=store.dense)
