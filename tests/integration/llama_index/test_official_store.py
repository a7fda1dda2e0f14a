"""Beside and inside LlamaIndex's official ``MilvusVectorStore`` (where the stack installs it: pymilvus 2.6 only).

Both stores get the same nodes (texts, metadata, ids, embeddings) on a Milvus Lite file of their own; their
queries return the same ids in the same order with the same inner-product similarities, and their reads and
deletes agree. This package's sparse embedding is the official store's sparse function too, and runs in it with
our dense embedding, hybrid, on Milvus Lite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="LlamaIndex adapters need the 'llama-index' extra")

from llama_index.core import VectorStoreIndex  # noqa: E402
from llama_index.core.base.embeddings.base_sparse import BaseSparseEmbedding  # noqa: E402
from llama_index.core.schema import Document, TextNode  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import NotFittedError  # noqa: E402
from milvus_model_adapters.llama_index import MilvusModelEmbedding, MilvusModelSparseEmbedding  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402
from tests.support.side_by_side import IDS, METADATAS, QUERIES, TEXTS  # noqa: E402


def milvus_vector_store() -> None:
    """Skip unless LlamaIndex's Milvus store is installed (stack B: it needs pymilvus < 3)."""
    pytest.importorskip(
        "llama_index.vector_stores.milvus",
        reason="llama-index-vector-stores-milvus is not installed here (it needs pymilvus < 3)",
    )


def test_sparse_is_both_interfaces() -> None:
    milvus_vector_store()
    from llama_index.vector_stores.milvus.utils import BaseSparseEmbeddingFunction

    sparse = MilvusModelSparseEmbedding.bm25(corpus=CORPUS)
    assert isinstance(sparse, BaseSparseEmbedding) and isinstance(sparse, BaseSparseEmbeddingFunction)
    assert sparse.get_query_embedding("vector database") == sparse.encode_queries(["vector database"])[0]
    assert len(sparse.encode_documents(CORPUS)) == len(CORPUS)
    assert sparse.get_text_embedding_batch(CORPUS[:2]) == sparse.encode_documents(CORPUS[:2])
    with pytest.raises(NotFittedError):
        MilvusModelSparseEmbedding.bm25().encode_queries(["x"])


def test_drop_in_milvus_vector_store_hybrid(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    milvus_vector_store()
    from llama_index.core import StorageContext
    from llama_index.core.vector_stores.types import VectorStoreQueryMode
    from llama_index.vector_stores.milvus import MilvusVectorStore

    sparse = MilvusModelSparseEmbedding.bm25(corpus=CORPUS)
    vector_store = MilvusVectorStore(
        uri=str(tmp_path / "li.db"),
        dim=384,
        overwrite=True,
        enable_sparse=True,
        sparse_embedding_function=sparse,
        hybrid_ranker="RRFRanker",
        hybrid_ranker_params={"k": 60},
        use_async_client=False,  # its async client needs a running event loop at construction
    )
    index = VectorStoreIndex.from_documents(
        [Document(text=t) for t in CORPUS],
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=MilvusModelEmbedding(dense_encoder),
    )
    retriever = index.as_retriever(vector_store_query_mode=VectorStoreQueryMode.HYBRID, similarity_top_k=2)
    nodes = retriever.retrieve("inverse document frequency ranking")
    assert nodes[0].node.get_content() == CORPUS[2]


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
