"""The same calls on the official Milvus integrations and on this package's stores, side by side.

Run where the stack installs them: ``langchain_milvus.Milvus`` (both stacks) and LlamaIndex's
``MilvusVectorStore`` (pymilvus 2.6 only). Each gets the same texts, metadata, ids and embedding model
on a Milvus Lite file of its own; their dense searches and metadata reads return the same ids in the same
order as ours (ours with ``search_mode="dense"``: its default is hybrid). Scores are compared where both
define them alike (LlamaIndex's inner product); langchain-milvus ranks by L2 distance.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402

TEXTS = [
    "Through the Night is a quiet ballad.",
    "Palette is a bright pop song.",
    "Spring Day is a slow ballad about missing friends.",
    "Dynamite is a disco song for dancing.",
    "Starlight is a rock song about the stars.",
    "Starman is a rock song about a man from space.",
]
METADATAS: list[dict[str, Any]] = [
    {"SingerName": "IU", "year": 2017},
    {"SingerName": "IU", "year": 2017},
    {"SingerName": "BTS", "year": 2017},
    {"SingerName": "BTS", "year": 2020},
    {"SingerName": "Muse", "year": 2006},
    {"SingerName": "Bowie", "year": 1972},
]
IDS = [f"song{i}" for i in range(len(TEXTS))]
QUERIES = ["a slow ballad", "songs about space and stars", "music for dancing"]


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


def test_llama_index_milvus_vector_store_and_ours_answer_alike(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    pytest.importorskip("llama_index.core")
    milvus = pytest.importorskip("llama_index.vector_stores.milvus", reason="LlamaIndex's Milvus store is not here")
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
    from llama_index.core.vector_stores.types import (
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
        VectorStoreQuery,
    )

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    vectors = dense_encoder.encode_documents(TEXTS).tolist()

    def nodes() -> list[TextNode]:
        out = []
        for i, (text, meta, vector) in enumerate(zip(TEXTS, METADATAS, vectors, strict=True)):
            node = TextNode(text=text, id_=IDS[i], metadata=dict(meta), embedding=vector)
            node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=f"doc{i % 3}")
            out.append(node)
        return out

    theirs = milvus.MilvusVectorStore(
        uri=str(tmp_path / "theirs.db"), dim=dense_encoder.dim, overwrite=True, use_async_client=False
    )
    ours = MilvusHybridVectorStore(uri=str(tmp_path / "ours.db"), embed_model=dense_encoder, drop_existing=True)
    for store in (theirs, ours):
        assert store.add(nodes()) == IDS
    singer = MetadataFilters(filters=[MetadataFilter(key="SingerName", value="BTS", operator=FilterOperator.EQ)])
    for query in QUERIES:
        vector = dense_encoder.encode_query(query).tolist()
        for filters in (None, singer):
            request = VectorStoreQuery(query_embedding=vector, similarity_top_k=3, filters=filters)
            mine, expected = ours.query(request), theirs.query(request)
            assert mine.ids == expected.ids
            assert mine.similarities == pytest.approx(expected.similarities, abs=1e-5)
    wanted = ["song3", "song1"]
    assert sorted(n.node_id for n in ours.get_nodes(wanted)) == sorted(n.node_id for n in theirs.get_nodes(wanted))
    for store in (theirs, ours):
        store.delete("doc0")  # song0 and song3
    request = VectorStoreQuery(query_embedding=vectors[0], similarity_top_k=10)
    left = ["song1", "song2", "song4", "song5"]
    assert sorted(ours.query(request).ids or []) == sorted(theirs.query(request).ids or []) == left
