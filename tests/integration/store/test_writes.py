"""Writing documents and reading them back: ids and upserts, repeated documents, deletes, vectors computed
elsewhere, the progress bar."""

from __future__ import annotations

from pathlib import Path

import pytest

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.errors import DimensionMismatchError, InvalidInputError
from milvus_model_adapters.store import HybridStore, content_id
from tests.integration.store.helpers import Fixed as _Fixed
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


def test_delete_by_ids_and_filter_deletes_only_the_matching_ones(filled_store: HybridStore) -> None:
    assert filled_store.delete(["doc0", "doc7", "doc8"], filter={"topic": "other"}) == 2
    assert [d.id for d in filled_store.get(["doc0", "doc7", "doc8"])] == ["doc0"]
    assert filled_store.bm25_stats()["corpus_size"] == len(CORPUS) - 2


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


def test_progress_bar(store: HybridStore, capsys) -> None:  # type: ignore[no-untyped-def]
    store.add(CORPUS, show_progress=True, batch_size=5)
    assert "Indexing" in capsys.readouterr().err
