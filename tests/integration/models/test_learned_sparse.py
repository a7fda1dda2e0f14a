"""Multi-output functions (BGE-M3's dict) and learned sparse vectors (SPLADE) as the store's sparse route.

BGE-M3 runs through a stand-in with the exact output types of pymilvus-model's ``BGEM3EmbeddingFunction``
(its ``FlagEmbedding`` dependency is not installed here); SPLADE runs through pymilvus-model's real
``SpladeEmbeddingFunction`` loading a tiny masked language model built in the test (random weights).
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.encoders.sparse import SparseEncoder
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, SchemaMismatchError
from milvus_model_adapters.rerank.local import CosineReranker
from milvus_model_adapters.store import HybridStore
from tests.support.corpus import CORPUS
from tests.support.tiny_models import save_tiny_bert

DIM, VOCAB = 32, 5000
WORD = re.compile(r"\w+")


class FakeBGEM3:
    """Stand-in for ``BGEM3EmbeddingFunction``: its output types and ``dim``, from word hashes.

    ``encode_documents`` / ``encode_queries`` return ``{"dense": [np.ndarray float32, ...],
    "sparse": csr_array float64 (n, vocab)}``, as pymilvus-model's class does.
    """

    model_name = "fake-bge-m3"

    def __init__(self, *, return_sparse: bool = True) -> None:
        self.calls = {"encode_documents": 0, "encode_queries": 0}
        self.return_sparse = return_sparse

    @property
    def dim(self) -> dict[str, int]:
        return {"dense": DIM, "colbert_vecs": DIM, "sparse": VOCAB}

    @staticmethod
    def weights(text: str) -> dict[int, float]:
        counts: dict[int, int] = {}
        for word in WORD.findall(text.lower()):
            term = zlib.crc32(word.encode()) % VOCAB
            counts[term] = counts.get(term, 0) + 1
        return {t: 1.0 + float(np.log(c)) for t, c in counts.items()}

    def _encode(self, texts: list[str]) -> dict[str, Any]:
        rows = [self.weights(t) for t in texts]
        dense = []
        for row in rows:
            vector = np.zeros(DIM, dtype=np.float32)
            for term, weight in row.items():
                vector += weight * np.random.default_rng(term).standard_normal(DIM).astype(np.float32)
            dense.append(vector / max(float(np.linalg.norm(vector)), 1e-9))
        out: dict[str, Any] = {"dense": dense}
        if self.return_sparse:
            indptr = np.cumsum([0] + [len(r) for r in rows])
            indices = np.array([t for r in rows for t in r], dtype=np.int64)
            data = np.array([w for r in rows for w in r.values()], dtype=np.float64)
            out["sparse"] = sp.csr_array((data, indices, indptr), shape=(len(rows), VOCAB))
        return out

    def encode_documents(self, documents: list[str]) -> dict[str, Any]:
        self.calls["encode_documents"] += 1
        return self._encode(documents)

    def encode_queries(self, queries: list[str]) -> dict[str, Any]:
        self.calls["encode_queries"] += 1
        return self._encode(queries)


@pytest.fixture(params=["lite", pytest.param("server", marks=pytest.mark.network)])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Where a store lives: a Milvus Lite file, or a collection of its own on a served Milvus."""
    if request.param == "lite":
        yield str(tmp_path / "learned.db"), "documents"
    else:
        yield request.getfixturevalue("server_uri"), "t_" + uuid.uuid4().hex[:12]


def _metadata(i: int) -> dict[str, Any]:
    return {"topic": "db" if i < 6 else "other", "n": i}


def _ranked(scores: dict[str, float], k: int) -> list[str]:
    return [i for i, s in sorted(scores.items(), key=lambda t: (-t[1], t[0])) if s > 0][:k]


def test_encoders_and_framework_wrappers_take_the_dict_output() -> None:
    m3 = FakeBGEM3()
    dense = DenseEncoder(m3).encode_documents(CORPUS[:3])
    assert dense.shape == (3, DIM) and dense.dtype == np.float32 and DenseEncoder(m3).dim == DIM
    sparse = SparseEncoder(m3).encode_documents(CORPUS[:3])
    assert sparse[0] == pytest.approx(FakeBGEM3.weights(CORPUS[0]))
    langchain = pytest.importorskip("milvus_model_adapters.langchain")
    assert len(langchain.MilvusModelEmbeddings.from_function(m3).embed_query("milvus")) == DIM
    assert langchain.MilvusModelSparseEmbeddings(m3).embed_query("milvus") == pytest.approx(FakeBGEM3.weights("milvus"))
    llama_index = pytest.importorskip("milvus_model_adapters.llama_index")
    assert len(llama_index.MilvusModelEmbedding(m3).get_query_embedding("milvus")) == DIM
    assert llama_index.MilvusModelSparseEmbedding(m3).get_query_embedding("milvus") == pytest.approx(
        FakeBGEM3.weights("milvus")
    )
    with pytest.raises(InvalidTypeError, match="without 'dense'"):
        DenseEncoder(_OnlySparse()).encode_documents(["x"])


class _OnlySparse:
    def encode_documents(self, documents: list[str]) -> dict[str, Any]:
        return {"sparse": None}

    def encode_queries(self, queries: list[str]) -> dict[str, Any]:
        return {"sparse": None}


def test_one_model_for_both_routes_runs_once_per_batch(place: tuple[str, str]) -> None:
    uri, name = place
    m3 = FakeBGEM3()
    store = HybridStore(uri, name, dense=m3, sparse=m3, drop_existing=not uri.endswith(".db"))
    try:
        ids = [f"d{i}" for i in range(len(CORPUS))]
        store.add(CORPUS, metadatas=[_metadata(i) for i in range(len(CORPUS))], ids=ids, batch_size=5)
        assert m3.calls["encode_documents"] == 3  # 12 documents in batches of 5: one forward pass each
        before = m3.calls["encode_queries"]
        store.search("vector database file", 5)  # hybrid: dense and sparse query vectors
        assert m3.calls["encode_queries"] == before + 1
        store.search_many(["jet engines", "Alan Turing"], 3)
        assert m3.calls["encode_queries"] == before + 2

        docs = {f"d{i}": FakeBGEM3.weights(t) for i, t in enumerate(CORPUS)}
        dense = {f"d{i}": v for i, v in enumerate(DenseEncoder(FakeBGEM3()).encode_documents(CORPUS))}
        for query in ("Milvus stores vectors in a local file", "who founded artificial intelligence"):
            q = FakeBGEM3.weights(query)
            expected = _ranked({i: sum(w * d.get(t, 0.0) for t, w in q.items()) for i, d in docs.items()}, 5)
            assert [h.id for h in store.search(query, 5, mode="sparse")] == expected
            qv = DenseEncoder(FakeBGEM3()).encode_queries([query])[0]
            by_dense = _ranked({i: float(v @ qv) + 2.0 for i, v in dense.items()}, 5)
            assert [h.id for h in store.search(query, 5, mode="dense")] == by_dense
            only_db = {i: s for i, s in docs.items() if int(i[1:]) < 6}
            expected_db = _ranked({i: sum(w * d.get(t, 0.0) for t, w in q.items()) for i, d in only_db.items()}, 5)
            assert [h.id for h in store.search(query, 5, mode="sparse", filter={"topic": "db"})] == expected_db
            for options in ({"ranker": "rrf"}, {"weights": (0.3, 0.7)}, {"fusion": "server", "ranker": "rrf"}):
                hits = store.search(query, 4, **options)
                assert len(hits) == 4 and all(h.dense_rank or h.sparse_rank or options.get("fusion") for h in hits)
            reranked = store.search(query, 3, reranker=CosineReranker(store.dense))
            assert [h.id for h in reranked] == _ranked({h.id: h.rerank_score or 0 for h in reranked}, 3)
        with pytest.raises(InvalidInputError, match="no statistics"):
            store.bm25_stats()
        store.delete(["d0"])
        assert "d0" not in [h.id for h in store.search(CORPUS[0], 3, mode="sparse")]
    finally:
        if not store.is_local:
            store.drop()
        store.close()


def test_reopening_needs_the_same_kind_of_sparse_source(tmp_path: Path) -> None:
    uri = str(tmp_path / "kinds.db")
    m3 = FakeBGEM3()
    with HybridStore(uri, "learned", dense=m3, sparse=m3) as store:
        store.add(CORPUS[:4])
    with HybridStore(uri, "learned", dense=m3, sparse=m3) as store:
        assert store.count() == 4 and store.search("Milvus Lite", 1, mode="sparse")[0].text == CORPUS[1]
    with pytest.raises(SchemaMismatchError, match="learned model"):
        HybridStore(uri, "learned", dense=DenseEncoder(m3))  # client-side BM25 asked for
    with HybridStore(uri, "plain", dense=DenseEncoder(m3)) as store:
        store.add(CORPUS[:2])
    with pytest.raises(SchemaMismatchError, match="client-side BM25 vectors"):
        HybridStore(uri, "plain", dense=m3, sparse=m3)
    no_sparse = FakeBGEM3(return_sparse=False)
    with HybridStore(uri, "nosparse", dense=no_sparse, sparse=no_sparse) as store:
        with pytest.raises(InvalidTypeError, match="no 'sparse' output.*return_sparse=True"):
            store.add(["x"])
        assert store.count() == 0


@pytest.fixture(scope="session")
def tiny_splade(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A masked language model with random weights and a word-level vocabulary, saved as SPLADE loads it."""
    pytest.importorskip("transformers")
    folder = tmp_path_factory.mktemp("tiny-splade")
    save_tiny_bert(folder, (w for text in CORPUS for w in WORD.findall(text.lower())), masked_lm=True)
    return str(folder)


def test_splade_as_the_sparse_route(tiny_splade: str, tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    from pymilvus.model.sparse import SpladeEmbeddingFunction

    splade = SpladeEmbeddingFunction(model_name=tiny_splade, device="cpu", batch_size=4)  # pymilvus-model's own
    store = HybridStore(str(tmp_path / "splade.db"), dense=dense_encoder, sparse=splade)
    with store:
        ids = [f"d{i}" for i in range(len(CORPUS))]
        store.add(CORPUS[:8], metadatas=[_metadata(i) for i in range(8)], ids=ids[:8])
        store.add(CORPUS[8:], metadatas=[_metadata(i) for i in range(8, 12)], ids=ids[8:])  # no statistics to update
        docs = dict(zip(ids, SparseEncoder(splade).encode_documents(CORPUS), strict=True))
        for query in ("jet engines produce thrust", "Milvus Lite local file"):
            q = SparseEncoder(splade).encode_query(query)
            scores = {i: sum(w * d.get(t, 0.0) for t, w in q.items()) for i, d in docs.items()}
            hits = store.search(query, 5, mode="sparse")
            assert [h.id for h in hits] == _ranked(scores, 5)
            np.testing.assert_allclose([h.score for h in hits], [scores[h.id] for h in hits], rtol=1e-4)
            assert len(store.search(query, 4, filter={"topic": "other"})) == 4
            assert all(int(h.id[1:]) >= 6 for h in store.search(query, 4, filter={"topic": "other"}))
        assert repr(store.sparse).startswith("LearnedSparse(")
    # The factory loads the same function, offline.
    from milvus_model_adapters.encoders.splade import splade_function

    again = splade_function(tiny_splade, device="cpu")
    assert SparseEncoder(again).encode_query("jet engines") == pytest.approx(
        SparseEncoder(splade).encode_query("jet engines")
    )


def test_frameworks_and_mmr_over_a_learned_sparse_store(tmp_path: Path) -> None:
    m3 = FakeBGEM3()
    with HybridStore(str(tmp_path / "frameworks.db"), dense=m3, sparse=m3) as store:
        store.add(CORPUS, ids=[f"d{i}" for i in range(len(CORPUS))], metadatas=[_metadata(i) for i in range(12)])
        expected = [h.id for h in store.search("jet engines thrust", 3, mode="sparse")]
        assert [h.id for h in store.mmr_search("jet engines thrust", 3, candidates=6, mode="sparse")][0] == expected[0]
        langchain = pytest.importorskip("milvus_model_adapters.langchain")
        lc = langchain.MilvusHybridVectorStore(store=store)
        assert [d.id for d in lc.similarity_search("jet engines thrust", 3, mode="sparse")] == expected
        llama_index = pytest.importorskip("milvus_model_adapters.llama_index")
        from llama_index.core.vector_stores.types import VectorStoreQuery

        li = llama_index.MilvusHybridVectorStore(store=store)
        result = li.query(VectorStoreQuery(query_str="jet engines thrust", similarity_top_k=3, mode="sparse"))
        assert result.ids == expected


class LexiconSparse:
    """A learned-sparse stand-in that knows a few words only: a text of other words gets no weight at all."""

    LEXICON = {"kettle": 1, "boiler": 2, "valve": 3}

    def _rows(self, texts: list[str]) -> sp.csr_array:
        rows = [{self.LEXICON[w]: 1.0 for w in WORD.findall(t.lower()) if w in self.LEXICON} for t in texts]
        indptr = np.cumsum([0] + [len(r) for r in rows])
        indices = np.array([i for r in rows for i in r], dtype=np.int64)
        data = np.array([v for r in rows for v in r.values()], dtype=np.float32)
        return sp.csr_array((data, indices, indptr), shape=(len(rows), 10))

    encode_documents = encode_queries = _rows


def test_a_text_the_learned_model_gives_no_weight_is_stored_and_found(
    place: tuple[str, str], dense_encoder: DenseEncoder
) -> None:
    uri, name = place
    with HybridStore(uri, name, dense=dense_encoder, sparse=LexiconSparse(), drop_existing=True) as store:
        unknown, kettle = store.add(["Bread dough rises when the yeast is alive.", "The kettle needs descaling."])
        assert store.count() == 2
        assert store.search("why does dough rise", 1, mode="dense")[0].id == unknown
        assert unknown in [h.id for h in store.search("why does dough rise", 2)]  # hybrid, by the dense route
        assert [h.id for h in store.search("kettle", 5, mode="sparse")] == [kettle]
        if not store.is_local:
            store.drop()
