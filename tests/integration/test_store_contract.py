"""Store behaviour on a real engine: duplicates, growth after queries, tiny collections, ties, errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milvus_model_adapters import (
    InvalidInputError,
    LiteGenerationError,
    MilvusOperationError,
    SearchParams,
    StoreLockedError,
)
from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.errors import DimensionMismatchError, FilterError
from milvus_model_adapters.rerank import CosineReranker
from milvus_model_adapters.store import HybridStore, Weighted, content_id
from milvus_model_adapters.store.connection import connect
from milvus_model_adapters.store.lite_files import lite_generation
from milvus_model_adapters.store.search.params import MAX_TOP_K
from tests.support.corpus import CORPUS


def test_a_repeated_document_in_one_call_is_one_row(store: HybridStore) -> None:
    texts = [CORPUS[0], CORPUS[1], CORPUS[0]]  # a corpus with a repeated text
    ids = store.add(texts)
    assert ids == [content_id(CORPUS[0]), content_id(CORPUS[1]), content_id(CORPUS[0])]
    assert store.count() == 2 and store.bm25_stats()["corpus_size"] == 2
    assert store.add(["same", "same"], ids=["x", "x"]) == ["x", "x"]  # the same document twice: one row
    assert [d.text for d in store.get(["x"])] == ["same"] and store.bm25_stats()["corpus_size"] == 3


def test_one_id_for_two_different_documents_is_refused_and_writes_nothing(store: HybridStore) -> None:
    store.add(["kept"], ids=["k"])
    with pytest.raises(InvalidInputError, match=r"texts\[1\] and texts\[3\] .* same id 'x'"):
        store.add(["a", "first", "b", "second"], ids=["a", "x", "b", "x"])
    with pytest.raises(InvalidInputError, match=r"texts\[0\] and texts\[1\]"):
        store.add(["same text", "same text"], metadatas=[{"v": 1}, {"v": 2}], ids=["y", "y"])
    assert store.count() == 1 and store.bm25_stats()["corpus_size"] == 1


def test_dedupe_false_keeps_a_row_for_every_text(store: HybridStore) -> None:
    first = store.add(["twice", "twice"], dedupe=False)
    second = store.add(["twice"], dedupe=False)
    assert len({*first, *second}) == 3 and store.count() == 3
    assert store.add(["twice"]) == [content_id("twice")] and store.count() == 4  # the default: a content hash
    assert [h.text for h in store.search("twice", 10, mode="sparse")] == ["twice"] * 4


STOPWORDS = ["up", "down", "the", "and", "of", "is", "it", "was", "over", "under", "again"]


def test_a_text_of_stopwords_is_stored_and_found_by_its_dense_vector(store: HybridStore) -> None:
    [empty] = store.add(["up"])
    kettle = "The kettle shows E4 when it needs descaling."
    ids = store.add(["up and down, over and under", kettle])
    assert store.count() == 3 and store.bm25_stats()["corpus_size"] == 3  # counted, with length 0
    assert store.bm25 is not None and store.bm25_stats()["avgdl"] == pytest.approx(len(store.bm25.analyzer(kettle)) / 3)
    assert store.search("up", 1, mode="dense")[0].id == empty
    assert empty in [h.id for h in store.search("up", 3)]  # hybrid: the dense route finds it
    assert store.search("kettle", 3, mode="sparse")[0].id == ids[1]
    assert [h.id for h in store.search("kettle", 3, mode="sparse")] == [ids[1]]  # nothing matches an empty vector
    assert store.delete([empty, ids[0]]) == 2 and store.bm25_stats()["corpus_size"] == 1


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.sampled_from([*STOPWORDS, "kettle", "boiler", "valve", "wing", "lift"]), min_size=1, max_size=6),
        min_size=1,
        max_size=6,
    )
)
def test_texts_drawn_partly_from_stopwords_are_all_stored(store: HybridStore, words: list[list[str]]) -> None:
    store.clear()
    texts = [" ".join(w) for w in words]
    ids = store.add(texts)
    distinct = dict(zip(ids, texts, strict=True))
    assert store.count() == len(distinct) == store.bm25_stats()["corpus_size"]
    content = {i for i, t in distinct.items() if set(t.split()) - set(STOPWORDS)}
    for word in ("kettle", "boiler", "valve", "wing", "lift"):
        holding = {i for i, t in distinct.items() if word in t.split()}
        assert {h.id for h in store.search(word, 10, mode="sparse")} == holding <= content
    assert {h.id for h in store.search("up", 10, mode="dense")} == set(distinct)


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_equal_scores_cut_by_k_keep_the_smallest_ids_on_every_engine(store: HybridStore, mode: str) -> None:
    twins = [f"t{i}" for i in range(7, -1, -1)]  # written in reverse order of their ids
    store.add(["The boiler valve leaks."] * len(twins), ids=twins)
    store.add(["Jet engines produce thrust.", "A wing produces lift."])
    for k in (1, 3, 5):
        assert [h.id for h in store.search("boiler valve", k, mode=mode)] == sorted(twins)[:k]


def test_add_after_a_query_with_unknown_words(store: HybridStore) -> None:
    store.add(
        [
            "Descale the kettle every month to remove limescale.",
            "The boiler needs a yearly service by an engineer.",
            "Bleed the radiators when the top stays cold.",
        ]
    )
    store.search("how often should limescale be cleared from a boiler?", 3, mode="sparse")
    store.search("pressure valve replaced", 3, mode="sparse")
    [new] = store.add(["The QX-7731 pressure valve of the boiler must be replaced every spring."])
    for word in ("pressure", "valve", "replaced", "spring", "QX-7731"):
        assert store.search(word, 1, mode="sparse")[0].id == new, word


def test_a_matching_word_is_found_in_a_two_document_collection(store: HybridStore) -> None:
    store.add(["Milvus Lite keeps vectors in a local file.", "BM25 ranks by term frequency."])
    hits = store.search("term frequency", 5, mode="sparse")
    assert [h.text for h in hits] == ["BM25 ranks by term frequency."] and hits[0].score > 0


class _Fixed:
    """A deterministic dense function: the dense route ranks QX-7731 first, BM25 ranks QX-7732 first."""

    dim = 2

    def encode_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] if "7731" in t else [0.8, 0.6] if "7732" in t else [0.0, 1.0] for t in texts]

    def encode_queries(self, texts: list[str]) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]


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


def test_delete_by_ids_and_filter_deletes_only_the_matching_ones(filled_store: HybridStore) -> None:
    assert filled_store.delete(["doc0", "doc7", "doc8"], filter={"topic": "other"}) == 2
    assert [d.id for d in filled_store.get(["doc0", "doc7", "doc8"])] == ["doc0"]
    assert filled_store.bm25_stats()["corpus_size"] == len(CORPUS) - 2


def test_milvus_failures_without_a_filter_are_not_reported_as_filter_errors(filled_store: HybridStore) -> None:
    filled_store.client.drop_collection(filled_store.collection)
    with pytest.raises(MilvusOperationError, match="could not read documents") as info:
        list(filled_store.documents())
    assert not isinstance(info.value, FilterError)
    with pytest.raises(FilterError, match="rejected the filter"):
        list(filled_store.documents(filter={"topic": "db"}))


def test_store_defaults_and_per_call_options(db_path: str, dense_encoder: DenseEncoder) -> None:
    with HybridStore(db_path, dense=dense_encoder, search_params=SearchParams(k=2, mode="dense")) as store:
        store.add(CORPUS)
        assert len(store.search("vector database")) == 2
        assert store.search("vector database")[0].sparse_rank is None
        assert len(store.search("vector database", 3, mode="hybrid")) == 3
        many = store.search_many(["milvus", "turing"], params=SearchParams(k=1, mode="sparse"))
        assert [len(h) for h in many] == [1, 1] and many[0][0].dense_rank is None


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("my notes.db", "at most 36 characters, all letters"),
        ("a" * 40 + ".db", "at most 36 characters"),
        ("folder", "ending in .db"),
    ],
)
def test_database_paths_milvus_lite_refuses_are_one_clear_error(tmp_path: Path, name: str, match: str) -> None:
    if name != "folder" and lite_generation() >= 3:
        pytest.skip("Milvus Lite 3 accepts these names")
    (tmp_path / "folder").mkdir()
    with pytest.raises(InvalidInputError, match=match):
        HybridStore(str(tmp_path / name), dense=_Fixed())


def test_a_damaged_file_is_not_reported_as_locked(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(range(256)) * 40)
    before = damaged.read_bytes()
    with pytest.raises(LiteGenerationError, match="damaged or not a Milvus Lite database") as info:
        HybridStore(str(damaged), dense=_Fixed())
    assert isinstance(info.value, MilvusOperationError) and not isinstance(info.value, StoreLockedError)
    assert damaged.read_bytes() == before


def test_a_folder_of_other_files_is_not_taken_for_a_database(tmp_path: Path) -> None:
    folder = tmp_path / "notes.db"
    folder.mkdir()
    (folder / "readme.txt").write_text("not a database")
    with pytest.raises(LiteGenerationError, match="a folder but not a Milvus Lite 3 database"):
        HybridStore(str(folder), dense=_Fixed())
    assert [p.name for p in folder.iterdir()] == ["readme.txt"]


def test_a_port_that_listens_but_never_answers_is_waited_for_then_named() -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts connections, never speaks gRPC
    port = listener.getsockname()[1]
    try:
        with pytest.raises(MilvusOperationError, match=r"waited 4 s; the port accepts connections"):
            connect(f"http://127.0.0.1:{port}", token=None, db_name=None, timeout=1)
    finally:
        listener.close()


def test_an_unreachable_server_is_one_error_naming_it() -> None:
    with pytest.raises(MilvusOperationError, match=r"cannot reach Milvus at http://127\.0\.0\.1:9 \(waited 1 s\)"):
        connect("http://127.0.0.1:9", token=None, db_name=None, timeout=1)


def test_vectors_computed_elsewhere_are_stored_as_given(tmp_path: Path) -> None:
    with HybridStore(str(tmp_path / "given.db"), dense=_Fixed()) as store:
        with pytest.raises(DimensionMismatchError, match=r"embeddings\[1\] has 3 numbers"):
            store.add(["a kettle", "a boiler"], ids=["k", "b"], embeddings=[[0.6, 0.8], [1.0, 0.0, 0.0]])
        with pytest.raises(InvalidInputError, match="NaN or infinity"):
            store.add(["a kettle"], embeddings=[[float("nan"), 0.0]])
        assert store.count() == 0  # nothing of a refused call is written
        with pytest.raises(InvalidInputError, match=r"texts\[0\] and texts\[2\]"):  # one id, two vectors
            store.add(
                ["a kettle", "a boiler", "a kettle"],
                ids=["k", "b", "k"],
                embeddings=[[0.6, 0.8], [0.0, 1.0], [0.8, 0.6]],
            )
        assert store.count() == 0
        store.add(
            ["a kettle", "a boiler", "a kettle"], ids=["k", "b", "k"], embeddings=[[0.8, 0.6], [0.0, 1.0], [0.8, 0.6]]
        )
        stored = {d.id: d.embedding for d in store.documents(with_embeddings=True)}
        assert stored.keys() == {"k", "b"}
        assert stored["k"] == pytest.approx([0.8, 0.6]) and stored["b"] == pytest.approx([0.0, 1.0])
        assert store.search("kettle", 1, mode="dense")[0].id == "k"  # _Fixed's query [1, 0] is nearest to [0.8, 0.6]
        assert all(d.embedding is None for d in store.documents())


BLOCK_PKG_RESOURCES = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "pkg_resources":
            raise ModuleNotFoundError("No module named 'pkg_resources'")
sys.meta_path.insert(0, Block())
from milvus_model_adapters import HybridStore, MissingDependencyError
from tests.support.fixed_dense import HashDense
try:
    HybridStore(sys.argv[1], dense=HashDense())
except MissingDependencyError as error:
    print("MISSING", error)
"""


def test_milvus_lite_2_5_without_pkg_resources_says_what_to_install(tmp_path: Path) -> None:
    if lite_generation() >= 3:
        pytest.skip("only Milvus Lite 2.5 imports pkg_resources")
    db = tmp_path / "no_setuptools.db"
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_PKG_RESOURCES, str(db)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "MISSING" in proc.stdout and "setuptools<81" in proc.stdout, proc.stderr[-2000:]
    assert not db.exists()


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
