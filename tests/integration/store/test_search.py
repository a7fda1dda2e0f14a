"""Searching the store: modes and hit fields, options, client and server fusion (ties included), several queries
at once, async, by vector, the exact default dense search, the rerank stage, MMR and pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from milvus_model_adapters import InvalidInputError, SearchParams
from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import DimensionMismatchError
from milvus_model_adapters.rerank import CosineReranker
from milvus_model_adapters.store import RRF, HybridStore, Weighted
from milvus_model_adapters.store.search.params import MAX_TOP_K
from tests.integration.store.helpers import Fixed as _Fixed
from tests.support.corpus import CORPUS


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


def test_store_defaults_and_per_call_options(db_path: str, dense_encoder: DenseEncoder) -> None:
    with HybridStore(db_path, dense=dense_encoder, search_params=SearchParams(k=2, mode="dense")) as store:
        store.add(CORPUS)
        assert len(store.search("vector database")) == 2
        assert store.search("vector database")[0].sparse_rank is None
        assert len(store.search("vector database", 3, mode="hybrid")) == 3
        many = store.search_many(["milvus", "turing"], params=SearchParams(k=1, mode="sparse"))
        assert [len(h) for h in many] == [1, 1] and many[0][0].dense_rank is None


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


@pytest.mark.parametrize("ranker", ["rrf", Weighted((0.5, 0.5), normalization="arctan")])
def test_client_and_server_fusion_break_ties_alike(db_path: str, ranker: object) -> None:
    with HybridStore(db_path, "codes", dense=_Fixed()) as store:
        store.add(["pressure valve QX-7732", "pressure valve QX-7731"], ids=["QX-7732", "QX-7731"])
        store.add(["an unrelated boiler manual"], ids=["manual"])
        client = store.search("valve QX 7732", 3, ranker=ranker)  # type: ignore[arg-type]
        server = store.search("valve QX 7732", 3, ranker=ranker, fusion="server")  # type: ignore[arg-type]
        assert [h.id for h in client] == [h.id for h in server]
        np.testing.assert_allclose([h.score for h in client], [h.score for h in server], rtol=1e-5)
        if ranker == "rrf":
            assert client[0].score == client[1].score and [h.id for h in client[:2]] == ["QX-7731", "QX-7732"]


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_equal_scores_cut_by_k_keep_the_smallest_ids_on_every_engine(store: HybridStore, mode: str) -> None:
    twins = [f"t{i}" for i in range(7, -1, -1)]  # written in reverse order of their ids
    store.add(["The boiler valve leaks."] * len(twins), ids=twins)
    store.add(["Jet engines produce thrust.", "A wing produces lift."])
    for k in (1, 3, 5):
        assert [h.id for h in store.search("boiler valve", k, mode=mode)] == sorted(twins)[:k]


def test_search_many_equals_search(filled_store: HybridStore) -> None:
    queries = ["milvus lite", "jet engines", "turing"]
    many = filled_store.search_many(queries, k=3)
    assert [[h.id for h in r] for r in many] == [[h.id for h in filled_store.search(q, k=3)] for q in queries]


@pytest.mark.parametrize("ranker", ["rrf", Weighted((0.7, 0.3), normalization="arctan")], ids=str)
@pytest.mark.parametrize("fusion", ["client", "server"])
def test_search_many_returns_what_each_search_returns(filled_store: HybridStore, ranker: object, fusion: str) -> None:
    """Several queries in one call score each as alone (Milvus Lite 2.5's ``hybrid_search`` does not, for nq > 1)."""
    queries = ["vector database similarity search", "BM25 keyword ranking", CORPUS[3], "local file"]
    many = filled_store.search_many(queries, 6, ranker=ranker, fusion=fusion)
    for query, hits in zip(queries, many, strict=True):
        alone = filled_store.search(query, 6, ranker=ranker, fusion=fusion)
        assert [h.id for h in hits] == [h.id for h in alone]
        assert [h.score for h in hits] == pytest.approx([h.score for h in alone], abs=1e-6)


async def test_async_search_and_add(store: HybridStore) -> None:
    await store.aadd(CORPUS)
    serial = [[h.id for h in store.search(q, k=3)] for q in CORPUS[:4]]
    results = await asyncio.gather(*(store.asearch(q, k=3) for q in CORPUS[:4]))
    assert [[h.id for h in r] for r in results] == serial


def test_search_by_vector_is_the_dense_search_of_that_vector(filled_store: HybridStore) -> None:
    query = "Where does Milvus Lite keep its vectors?"
    vector = filled_store.dense.encode_queries([query])[0]
    by_text = [(h.id, h.score) for h in filled_store.search(query, 4, mode="dense")]
    by_vector = [(h.id, h.score) for h in filled_store.search_by_vector(list(vector), 4, mode="hybrid")]
    assert [i for i, _ in by_vector] == [i for i, _ in by_text]
    assert [s for _, s in by_vector] == pytest.approx([s for _, s in by_text], abs=1e-5)
    assert [h.id for h in filled_store.search_by_vector(list(vector), 4, filter={"topic": "other"})][
        0
    ] == "doc6" or all(
        h.metadata["topic"] == "other"
        for h in filled_store.search_by_vector(list(vector), 4, filter={"topic": "other"})
    )
    with pytest.raises(DimensionMismatchError):
        filled_store.search_by_vector([0.1, 0.2], 3)
    # A query with its vector given searches as the query alone does; the vectors must match the queries.
    given = [(h.id, h.score) for h in filled_store.search(query, 4, vector=list(vector))]
    alone = [(h.id, h.score) for h in filled_store.search(query, 4)]
    assert [i for i, _ in given] == [i for i, _ in alone]
    assert [s for _, s in given] == pytest.approx([s for _, s in alone], abs=1e-5)
    with pytest.raises(InvalidInputError, match="1 vectors for 2 queries"):
        filled_store.search_many([query, "jet engines"], 3, vectors=[list(vector)])


class _Random:
    """Random unit vectors, 32 dimensions: a distinct one per text (queries are given as vectors)."""

    dim = 32

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        rng = np.random.default_rng(abs(hash(tuple(texts))) % 2**32)
        vectors = rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    encode_queries = encode_documents


def test_the_default_dense_search_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with HybridStore(str(tmp_path / "exact.db"), dense=DenseEncoder(_Random())) as store:
        # The engine's own word: FLAT, where AUTOINDEX would be HNSW on Milvus Lite 3 (faiss is installed with it).
        assert store.client.describe_index(store.collection, "dense")["index_type"] == "FLAT"
        ids = store.add([f"row {i}" for i in range(len(vectors))], embeddings=vectors.tolist(), batch_size=1000)
        for query in rng.standard_normal((10, 32)).astype(np.float32):
            exact = [ids[i] for i in np.argsort(-(vectors @ query), kind="stable")[:10]]
            assert [h.id for h in store.search_by_vector(query.tolist(), 10)] == exact


def test_rerank_stage(filled_store: HybridStore, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    hits = filled_store.search("Who founded AI research?", k=3, reranker=CosineReranker(dense_encoder), rerank_k=10)
    assert len(hits) == 3 and all(h.rerank_score is not None for h in hits)
    assert hits[0].score == hits[0].rerank_score
    assert hits[0].id in {"doc8", "doc9"}


def test_cosine_rerank_scores_stored_vectors_without_encoding(
    filled_store: HybridStore, dense_encoder: DenseEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "Who founded AI research?"

    class Delegate:  # the same model behind another function: the reranker must encode the texts
        dim = 384

        def encode_documents(self, texts: list[str]) -> object:
            return dense_encoder.function.encode_documents(texts)

        def encode_queries(self, texts: list[str]) -> object:
            return dense_encoder.function.encode_queries(texts)

    by_text = filled_store.search(query, 5, reranker=CosineReranker(DenseEncoder(Delegate())), rerank_k=10)

    def refuse(texts: object) -> None:
        raise AssertionError("stored documents were encoded again")

    monkeypatch.setattr(filled_store.dense, "encode_documents", refuse)
    for reranker in (CosineReranker(filled_store.dense), CosineReranker()):  # the default is the same model
        stored = filled_store.search(query, 5, reranker=reranker, rerank_k=10)
        assert [h.id for h in stored] == [h.id for h in by_text]
        np.testing.assert_allclose([h.rerank_score for h in stored], [h.rerank_score for h in by_text], atol=1e-5)


def test_mmr_search_diversifies_the_candidates_by_their_stored_vectors(store: HybridStore) -> None:
    twins = ["Milvus Lite stores vectors in a local file."] * 3
    others = ["Milvus servers scale out over many machines.", "Kettles need descaling every month."]
    store.add(twins + others, ids=["t1", "t2", "t3", "server", "kettle"])
    plain = [h.id for h in store.search("Milvus Lite local vector file", 3, mode="dense")]
    assert plain == ["t1", "t2", "t3"]
    diverse = store.mmr_search("Milvus Lite local vector file", 3, candidates=5, lambda_mult=0.5, mode="dense")
    assert diverse[0].id == "t1" and len({h.text for h in diverse}) == 3  # one twin, then other documents
    assert [h.id for h in store.mmr_search("Milvus Lite local vector file", 3, candidates=5, lambda_mult=1.0)] == plain
    vector = list(store.dense.encode_queries(["Milvus Lite local vector file"])[0])
    assert [h.id for h in store.mmr_search(vector, 3, candidates=5)] == [h.id for h in diverse]
    # The candidates' vectors come with the search (client fusion) or are read after it (server fusion).
    stored = {d.id: d.embedding for d in store.documents(with_embeddings=True)}
    for hit in diverse:
        np.testing.assert_allclose(hit.embedding, stored[hit.id], atol=1e-6)
    server = store.mmr_search("Milvus Lite local vector file", 3, candidates=5, ranker="rrf", fusion="server")
    assert len({h.text for h in server}) == 3  # one twin, then other documents
    for hit in server:
        np.testing.assert_allclose(hit.embedding, stored[hit.id], atol=1e-6)
    with pytest.raises(InvalidInputError, match="lambda_mult in"):
        store.mmr_search("x", 2, lambda_mult=1.5)


PAGE_OPTIONS: list[dict[str, object]] = [
    {"mode": "dense"},
    {"mode": "sparse"},
    {},
    {"ranker": "rrf"},
    {"ranker": "rrf", "fusion": "server"},
    {"ranker": Weighted((0.7, 0.3), normalization="arctan"), "fusion": "server"},
]


@pytest.mark.parametrize("options", PAGE_OPTIONS, ids=str)
def test_a_page_is_the_longer_search_without_its_first_hits(filled_store: HybridStore, options: dict) -> None:
    """``offset`` pages through the ranking a longer search returns, ties (twin documents) included."""
    store = filled_store
    if store.engine.stable_scores:
        # Twins tie exactly; Milvus Lite 3 scores them a rounding apart from one call to the next, so their
        # ranks (and RRF scores) change between two searches there: ties are checked on the other engines.
        store.add([CORPUS[0]] * 3, ids=["twin1", "twin2", "twin3"], dedupe=False)
    queries = ["vector database similarity search", CORPUS[0], "BM25 keyword ranking"]
    for offset in (1, 2, 5):
        pages = store.search_many(queries, 3, offset=offset, **options)
        longer = store.search_many(queries, 3 + offset, **options)
        for page, whole in zip(pages, longer, strict=True):
            assert [h.score for h in page] == pytest.approx([h.score for h in whole[offset:]], abs=1e-6)
            # Ids agree wherever a score is not tied: Milvus Lite 3 may score twin vectors a rounding apart
            # from one call to the next, so tied twins may trade places between two searches.
            for hit, expected in zip(page, whole[offset:], strict=True):
                if sum(abs(h.score - expected.score) <= 1e-6 for h in whole) == 1:
                    assert hit.id == expected.id
        single = store.search(queries[0], 3, offset=offset, **options)
        assert [h.score for h in single] == pytest.approx([h.score for h in pages[0]], abs=1e-6)
    picked = store.mmr_search(queries[0], 3, offset=2, candidates=8, **options)
    assert len(picked) == len(store.mmr_search(queries[0], 5, candidates=8, **options)[2:])
    beyond = store.search(queries[0], 3, offset=store.count(), **options)
    assert beyond == []


@pytest.mark.parametrize("offset", [-1, 1.5, True, "2", MAX_TOP_K])
def test_an_invalid_offset_is_refused(filled_store: HybridStore, offset: object) -> None:
    with pytest.raises(InvalidInputError, match="offset"):
        filled_store.search("vector", 1, offset=offset)  # type: ignore[arg-type]
