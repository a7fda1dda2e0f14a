"""Beside and inside the official ``langchain_milvus.Milvus``.

Both stores get the same texts, metadata, ids and embedding model on a Milvus Lite file of their own; their dense
searches and metadata reads return the same ids in the same order (ours with ``search_mode="dense"``: its default
is hybrid; langchain-milvus ranks by L2 distance, so scores are not compared). This package's dense and BM25 sparse
embeddings run in ``langchain_milvus.Milvus`` itself, hybrid, on Milvus Lite.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import NotFittedError  # noqa: E402
from milvus_model_adapters.langchain import MilvusModelEmbeddings, MilvusModelSparseEmbeddings  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402
from tests.support.side_by_side import IDS, METADATAS, QUERIES, TEXTS  # noqa: E402


def their_id(doc: Any) -> str:
    """langchain-milvus puts the primary key in metadata["pk"] (and, in newer releases, in Document.id)."""
    return str(doc.id or doc.metadata["pk"])


def test_langchain_milvus_and_ours_answer_alike(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    langchain_milvus = pytest.importorskip("langchain_milvus", reason="langchain-milvus is not installed here")
    from milvus_model_adapters.langchain import MilvusHybridVectorStore, MilvusModelEmbeddings

    embedding = MilvusModelEmbeddings(encoder=dense_encoder)
    name = "songs_" + uuid.uuid4().hex[:8]
    arguments = {"collection_name": name, "drop_old": True}
    theirs = langchain_milvus.Milvus(embedding, connection_args={"uri": str(tmp_path / "theirs.db")}, **arguments)
    ours = MilvusHybridVectorStore(
        embedding_function=embedding,
        connection_args={"uri": str(tmp_path / "ours.db")},
        search_mode="dense",
        **arguments,
    )
    for store in (theirs, ours):
        assert store.add_texts(TEXTS, METADATAS, ids=IDS) == IDS
    for query in QUERIES:
        expected = [their_id(d) for d in theirs.similarity_search(query, k=3)]
        assert [d.id for d in ours.similarity_search(query, k=3)] == expected
        filtered = {"expr": "SingerName == 'IU'"}
        expected = [their_id(d) for d in theirs.similarity_search(query, k=3, **filtered)]
        assert [d.id for d in ours.similarity_search(query, k=3, **filtered)] == expected
    for expr in ("SingerName == 'BTS'", "year > 2010 and SingerName != 'IU'", "year <= 2006"):
        assert sorted(ours.get_pks(expr)) == sorted(theirs.get_pks(expr))
        mine = {d.id: d.page_content for d in ours.search_by_metadata(expr, limit=10)}
        assert mine == {their_id(d): d.page_content for d in theirs.search_by_metadata(expr, limit=10)}
    assert ours.collection_name == theirs.collection_name == name
    for store in (theirs, ours):
        assert store.delete(ids=["song0", "song1"])
    assert sorted(ours.get_pks("year > 0")) == sorted(theirs.get_pks("year > 0")) == IDS[2:]


def test_sparse_embeddings_is_langchain_milvus_sparse() -> None:
    from langchain_milvus.utils.sparse import BaseSparseEmbedding

    sparse = MilvusModelSparseEmbeddings.bm25(corpus=CORPUS)
    assert isinstance(sparse, BaseSparseEmbedding)
    q = sparse.embed_query("vector database")
    assert q and all(isinstance(k, int) and isinstance(v, float) for k, v in q.items())
    assert len(sparse.embed_documents(CORPUS[:2])) == 2
    assert sparse.embed_query("qqqzzz") == {}
    with pytest.raises(NotFittedError):
        MilvusModelSparseEmbeddings.bm25().embed_query("x")


def test_drop_in_langchain_milvus_dense_and_sparse(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    """langchain_milvus.Milvus with our dense and sparse embeddings, hybrid, on Milvus Lite."""
    from langchain_milvus import Milvus

    sparse = MilvusModelSparseEmbeddings.bm25(corpus=CORPUS)
    dense = MilvusModelEmbeddings(encoder=dense_encoder)
    store = Milvus.from_texts(
        CORPUS,
        embedding=[dense, sparse],
        vector_field=["dense", "sparse"],
        connection_args={"uri": str(tmp_path / "lcm.db")},
        index_params=[
            {"index_type": "FLAT", "metric_type": "IP"},
            {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "IP", "params": {"drop_ratio_build": 0.0}},
        ],
        # langchain-milvus otherwise searches the sparse field with drop_ratio_build=0.2, which Lite 3.x refuses.
        search_params=[{"metric_type": "IP", "params": {}}, {"metric_type": "IP", "params": {}}],
        auto_id=True,
    )
    docs = store.similarity_search(
        "inverse document frequency ranking", k=2, ranker_type="rrf", ranker_params={"k": 60}
    )
    assert docs[0].page_content == CORPUS[2]
