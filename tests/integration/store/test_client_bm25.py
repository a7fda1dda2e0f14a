"""The store's BM25 sparse sources: statistics as documents come and go (incremental, refreshed, reopened, recounted),
words it has not seen, texts of stopwords only, Milvus's built-in BM25."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.errors import SchemaMismatchError
from milvus_model_adapters.store import HybridStore, content_id
from milvus_model_adapters.store.sparse.bm25_state import Delta
from tests.support.corpus import CORPUS


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


def test_unknown_words_query(filled_store: HybridStore) -> None:
    assert filled_store.search("qwzxv plorkt", mode="sparse") == []
    hybrid = filled_store.search("qwzxv plorkt", k=3)
    assert len(hybrid) == 3 and all(h.sparse_rank is None for h in hybrid)


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


def test_builtin_bm25(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    s = HybridStore(db_path, dense=dense_encoder, sparse="builtin")
    s.add(CORPUS)
    hits = s.search("inverse document frequency", k=3, mode="sparse")
    assert hits[0].id == content_id(CORPUS[2]) and hits[0].score > 0
    assert len(s.search("vector database", k=4)) == 4
    s.close()
    with pytest.raises(SchemaMismatchError, match="built-in BM25"):
        HybridStore(db_path, dense=dense_encoder)
