from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest
from pymilvus import DataType, MilvusClient

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.errors import (
    FilterError,
    InvalidInputError,
    InvalidTypeError,
    SchemaMismatchError,
    StoreLockedError,
)
from milvus_model_adapters.rerank import CosineReranker
from milvus_model_adapters.store import RRF, HybridStore, Weighted, content_id
from milvus_model_adapters.store.routes.bm25_state import Delta
from tests.support.corpus import CORPUS


def test_add_get_count_and_idempotent_upsert(store: HybridStore) -> None:
    ids = store.add(CORPUS[:3], metadatas=[{"n": 1}, None, {"n": 3}])
    assert ids == [
        content_id(CORPUS[0], {"n": 1}),
        content_id(CORPUS[1], {}),
        content_id(CORPUS[2], {"n": 3}),
    ]
    assert store.add(CORPUS[:3], metadatas=[{"n": 1}, None, {"n": 3}]) == ids
    assert store.count() == 3
    assert store.bm25_stats()["corpus_size"] == 3
    docs = store.get([ids[2], "missing", ids[0]])
    assert [d.id for d in docs] == [ids[2], ids[0]]
    assert docs[0].text == CORPUS[2] and docs[0].metadata == {"n": 3}


def test_upsert_same_id_replaces_and_keeps_bm25_consistent(store: HybridStore) -> None:
    store.add(["first version about wings"], ids=["a"])
    store.add(["second version about engines and thrust"], ids=["a"])
    assert store.count() == 1
    assert [d.text for d in store.get(["a"])] == ["second version about engines and thrust"]
    fresh = BM25Encoder(idf="lucene").fit(["second version about engines and thrust"])
    assert store.bm25 is not None
    assert store.bm25.corpus_size == 1 and store.bm25.avgdl == fresh.avgdl
    assert store.search("wings", mode="sparse") == []


def test_search_modes_and_hit_fields(filled_store: HybridStore) -> None:
    dense = filled_store.search("Which database stores vectors in a local file?", k=3, mode="dense")
    sparse = filled_store.search("BM25 inverse document frequency", k=3, mode="sparse")
    hybrid = filled_store.search("vector database similarity search", k=5)
    assert dense[0].id == "doc1" and dense[0].dense_rank == 1 and dense[0].sparse_score is None
    assert sparse[0].id == "doc2" and sparse[0].sparse_score and sparse[0].sparse_score > 0
    assert len(hybrid) == 5 and hybrid[0].id == "doc0"
    assert hybrid[0].fused_score == hybrid[0].score
    assert hybrid[0].dense_rank is not None and hybrid[0].sparse_rank is not None
    assert all(a.score >= b.score for a, b in zip(hybrid, hybrid[1:], strict=False))
    assert hybrid[0].metadata["topic"] == "db"


def test_fetch_k_and_k(filled_store: HybridStore) -> None:
    assert len(filled_store.search("search", k=2, fetch_k=4)) == 2
    assert len(filled_store.search("milvus", k=50)) <= len(CORPUS)


def test_client_and_server_fusion_agree(filled_store: HybridStore) -> None:
    for query in ["vector database similarity search", "who was Alan Turing", "jet engine thrust"]:
        client = filled_store.search(query, k=5, fetch_k=8, ranker=RRF(60))
        server = filled_store.search(query, k=5, fetch_k=8, ranker=RRF(60), fusion="server")
        assert [h.id for h in client] == [h.id for h in server]
        np.testing.assert_allclose([h.score for h in client], [h.score for h in server], rtol=1e-5)
        wc = filled_store.search(query, k=5, fetch_k=8, ranker=Weighted((0.7, 0.3), normalization="arctan"))
        ws = filled_store.search(
            query, k=5, fetch_k=8, ranker=Weighted((0.7, 0.3), normalization="arctan"), fusion="server"
        )
        assert [h.id for h in wc] == [h.id for h in ws]
        np.testing.assert_allclose([h.score for h in wc], [h.score for h in ws], rtol=1e-5)


def test_weighted_extremes_follow_one_route(filled_store: HybridStore) -> None:
    q = "local file vectors"
    dense = [h.id for h in filled_store.search(q, k=4, fetch_k=12, mode="dense")]
    only_dense = [h.id for h in filled_store.search(q, k=4, fetch_k=12, ranker="weighted", weights=[1.0, 0.0])]
    assert only_dense == dense


def test_filters_in_search_delete_and_documents(filled_store: HybridStore) -> None:
    hits = filled_store.search("milvus", k=20, filter={"topic": "other"})
    assert hits and all(h.metadata["topic"] == "other" for h in hits)
    assert {h.id for h in filled_store.search("milvus", k=20, filter={"n": {"$in": [0, 1]}})} <= {
        "doc0",
        "doc1",
    }
    raw = filled_store.search("milvus", k=20, expr='metadata["n"] >= 10')
    assert {h.id for h in raw} <= {"doc10", "doc11"}
    assert filled_store.delete(filter={"topic": "other"}) == 6
    assert filled_store.count() == 6
    assert filled_store.bm25_stats()["corpus_size"] == 6
    assert filled_store.delete(["doc0", "nope"]) == 1
    assert sorted(d.id for d in filled_store.documents()) == [f"doc{i}" for i in range(1, 6)]


def test_filter_on_missing_field_or_bad_expression(filled_store: HybridStore) -> None:
    assert filled_store.search("milvus", filter={"no_such_key": 1}) == []
    assert filled_store.search("milvus", expr="no_such_key == 1") == []  # a bare name is a metadata key
    with pytest.raises(FilterError, match="rejected"):
        filled_store.search("milvus", expr="text ==")
    with pytest.raises(FilterError):
        filled_store.search("milvus", filter={"$bad": 1})


def test_unknown_words_query(filled_store: HybridStore) -> None:
    assert filled_store.search("qwzxv plorkt", mode="sparse") == []
    hybrid = filled_store.search("qwzxv plorkt", k=3)
    assert len(hybrid) == 3 and all(h.sparse_rank is None for h in hybrid)


def test_rerank_stage(filled_store: HybridStore, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    hits = filled_store.search("Who founded AI research?", k=3, reranker=CosineReranker(dense_encoder), rerank_k=10)
    assert len(hits) == 3 and all(h.rerank_score is not None for h in hits)
    assert hits[0].score == hits[0].rerank_score
    assert hits[0].id in {"doc8", "doc9"}


def test_incremental_bm25_and_refresh_equal_full_fit(store: HybridStore) -> None:
    store.add(CORPUS[:4], ids=[f"d{i}" for i in range(4)])
    store.add(CORPUS[4:], ids=[f"d{i}" for i in range(4, len(CORPUS))])
    full = BM25Encoder(idf="lucene").fit(CORPUS)
    assert store.bm25 is not None
    assert store.bm25.corpus_size == full.corpus_size and store.bm25.avgdl == pytest.approx(full.avgdl)
    np.testing.assert_allclose(store.bm25.idf(), full.idf()[[full.vocabulary[t] for t in store.bm25.vocabulary]])
    query = "hybrid search with keyword matching"
    expected = (full.encode_queries([query]) @ full.encode_documents(CORPUS).T).toarray()[0]
    before = {h.id: h.score for h in store.search(query, k=len(CORPUS), mode="sparse")}
    # IDF is current, length normalisation is that of the time of writing: the first batch differs.
    assert before["d4"] == pytest.approx(expected[4], rel=1e-5)  # written at the final average length
    assert store.refresh_bm25() == len(CORPUS)
    after = {h.id: h.score for h in store.search(query, k=len(CORPUS), mode="sparse")}
    for i, score in enumerate(expected):
        if score > 0:
            assert after[f"d{i}"] == pytest.approx(score, rel=1e-5)


def test_reopen_restores_statistics_and_analyzer(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    from milvus_model_adapters.text.analyzer import Analyzer

    s = HybridStore(db_path, dense=dense_encoder, analyzer=Analyzer(stopwords=[]), k1=1.2, b=0.6)
    s.add(CORPUS)
    before = [(h.id, h.score) for h in s.search("the vector database", mode="sparse")]
    s.close()
    again = HybridStore(db_path, dense=dense_encoder)
    assert again.bm25 is not None and again.bm25.k1 == 1.2 and again.bm25.b == 0.6
    assert again.bm25.analyzer("the") == ["the"]
    assert not again.recounted_bm25
    assert [(h.id, h.score) for h in again.search("the vector database", mode="sparse")] == before
    again.close()


def test_interrupted_write_is_recounted_on_open(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    s = HybridStore(db_path, dense=dense_encoder)
    s.add(CORPUS[:6])
    assert s.bm25 is not None
    batch = s.bm25.analyze(CORPUS[6:], grow=True)  # a delta written pending, as if killed before the rows
    s.sparse.state.begin(Delta.of(s.bm25, batch))
    s.close()
    again = HybridStore(db_path, dense=dense_encoder)
    assert again.recounted_bm25
    assert again.bm25 is not None and again.bm25.corpus_size == 6
    assert again.bm25.avgdl == pytest.approx(BM25Encoder(idf="lucene").fit(CORPUS[:6]).avgdl)
    again.close()


def test_schema_mismatch_and_drop_existing(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    client = MilvusClient(db_path)
    client.create_collection("documents", dimension=8)
    client.insert("documents", [{"id": 1, "vector": [0.0] * 8}])
    client.close()
    with pytest.raises(SchemaMismatchError, match="different schema"):
        HybridStore(db_path, dense=dense_encoder)
    client = MilvusClient(db_path)
    assert client.query("documents", filter="id > 0", output_fields=["id"])  # nothing was dropped
    client.close()
    s = HybridStore(db_path, dense=dense_encoder, drop_existing=True)
    assert s.count() == 0
    s.close()


def test_dimension_mismatch(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    s = HybridStore(db_path, dense=dense_encoder)
    s.add(CORPUS[:2])
    s.close()

    class Small:
        dim = 8

        def encode_documents(self, docs):  # type: ignore[no-untyped-def]
            return np.zeros((len(docs), 8))

        encode_queries = encode_documents

    with pytest.raises(SchemaMismatchError, match="dense dimension is 384, the encoder gives 8"):
        HybridStore(db_path, dense=Small())


def test_builtin_bm25(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    s = HybridStore(db_path, dense=dense_encoder, sparse="builtin")
    s.add(CORPUS)
    hits = s.search("inverse document frequency", k=3, mode="sparse")
    assert hits[0].id == content_id(CORPUS[2]) and hits[0].score > 0
    assert len(s.search("vector database", k=4)) == 4
    s.close()
    with pytest.raises(SchemaMismatchError, match="built-in BM25"):
        HybridStore(db_path, dense=dense_encoder)


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


def test_invalid_constructor_arguments(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="sparse source"):
        HybridStore(db_path, dense=dense_encoder, sparse="splade")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="collection name"):
        HybridStore(db_path, "bad name!", dense=dense_encoder)
    with pytest.raises(InvalidInputError, match="does not exist"):
        HybridStore("/nonexistent/dir/x.db", dense=dense_encoder)


def test_second_process_gets_clear_lock_error(store: HybridStore) -> None:
    if not store.is_local:
        pytest.skip("a server has no file lock: many processes may connect")
    code = (
        "from milvus_model_adapters.store.connection import connect\n"
        "from milvus_model_adapters.errors import StoreLockedError\n"
        f"try:\n    connect({store.uri!r}, token=None, db_name=None)\n"
        "except StoreLockedError as e:\n    print('LOCKED', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "LOCKED" in out.stdout and "one process per file" in out.stdout
    assert issubclass(StoreLockedError, RuntimeError)


async def test_async_search_and_add(store: HybridStore) -> None:
    await store.aadd(CORPUS)
    serial = [[h.id for h in store.search(q, k=3)] for q in CORPUS[:4]]
    results = await asyncio.gather(*(store.asearch(q, k=3) for q in CORPUS[:4]))
    assert [[h.id for h in r] for r in results] == serial


def test_search_many_equals_search(filled_store: HybridStore) -> None:
    queries = ["milvus lite", "jet engines", "turing"]
    many = filled_store.search_many(queries, k=3)
    assert [[h.id for h in r] for r in many] == [[h.id for h in filled_store.search(q, k=3)] for q in queries]


def test_progress_bar(store: HybridStore, capsys) -> None:  # type: ignore[no-untyped-def]
    store.add(CORPUS, show_progress=True, batch_size=5)
    assert "Indexing" in capsys.readouterr().err


def test_existing_collection_made_by_hand_with_right_fields_but_no_stats(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    client = MilvusClient(db_path)
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
    schema.add_field("text", DataType.VARCHAR, max_length=65535)
    schema.add_field("metadata", DataType.JSON)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=384)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    client.create_collection("documents", schema=schema)
    client.close()
    with pytest.raises(SchemaMismatchError, match="no BM25 statistics"):
        HybridStore(db_path, dense=dense_encoder)


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
