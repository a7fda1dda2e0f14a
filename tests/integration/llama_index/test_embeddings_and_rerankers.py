"""The LlamaIndex embedding (sync, async, as ``Settings.embed_model``) and the reranking node postprocessor."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core", reason="LlamaIndex adapters need the 'llama-index' extra")

from llama_index.core import Settings, VectorStoreIndex  # noqa: E402
from llama_index.core.schema import Document, NodeWithScore, QueryBundle, TextNode  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import InvalidInputError  # noqa: E402
from milvus_model_adapters.llama_index import MilvusModelEmbedding, MilvusModelRerank  # noqa: E402
from milvus_model_adapters.rerank import CosineReranker  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


def test_embedding_paths_and_batch(dense_encoder: DenseEncoder) -> None:
    emb = MilvusModelEmbedding(dense_encoder)
    q = emb.get_query_embedding("hello")
    assert len(q) == 384 and all(type(x) is float for x in q)
    batch = emb.get_text_embedding_batch(CORPUS[:5])
    assert len(batch) == 5
    assert batch[0] == pytest.approx(emb.get_text_embedding(CORPUS[0]), abs=1e-6)


async def test_embedding_async(dense_encoder: DenseEncoder) -> None:
    emb = MilvusModelEmbedding(dense_encoder)
    assert await emb.aget_query_embedding("hi") == pytest.approx(emb.get_query_embedding("hi"), abs=1e-6)
    assert len(await emb.aget_text_embedding_batch(CORPUS[:3])) == 3


def test_embedding_as_settings_embed_model_in_vector_store_index(dense_encoder: DenseEncoder) -> None:
    old = Settings._embed_model  # reading Settings.embed_model would resolve the OpenAI default
    try:
        Settings.embed_model = MilvusModelEmbedding(dense_encoder)
        index = VectorStoreIndex.from_documents([Document(text=t) for t in CORPUS])
        nodes = index.as_retriever(similarity_top_k=1).retrieve("Who was Alan Turing?")
        assert "Turing" in nodes[0].node.get_content()
    finally:
        Settings._embed_model = old


def test_postprocessor_reranks_and_keeps_retrieval_score(dense_encoder: DenseEncoder) -> None:
    nodes = [NodeWithScore(node=TextNode(text=t, id_=str(i)), score=0.5) for i, t in enumerate(CORPUS)]
    pp = MilvusModelRerank(reranker=CosineReranker(dense_encoder), top_n=2)
    out = pp.postprocess_nodes(nodes, query_str="Who was Alan Turing?")
    assert [n.node.node_id for n in out][0] in {"9", "10"} and len(out) == 2
    assert out[0].node.metadata["retrieval_score"] == 0.5
    assert "retrieval_score" in out[0].node.excluded_llm_metadata_keys
    assert "retrieval_score" not in nodes[9].node.metadata
    with pytest.raises(InvalidInputError, match="needs the query"):
        pp.postprocess_nodes(nodes)
    with pytest.raises(ValueError, match="top_n must be > 0"):
        MilvusModelRerank(reranker=CosineReranker(dense_encoder), top_n=0)


async def test_postprocessor_async(dense_encoder: DenseEncoder) -> None:
    nodes = [NodeWithScore(node=TextNode(text=t, id_=str(i)), score=0.5) for i, t in enumerate(CORPUS)]
    pp = MilvusModelRerank(reranker=CosineReranker(dense_encoder), top_n=3)
    out = await pp.apostprocess_nodes(nodes, query_bundle=QueryBundle("jet engine thrust"))
    assert out[0].node.node_id == "7"
