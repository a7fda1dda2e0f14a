"""The LangChain embeddings (dense, and sparse over pymilvus-model's functions) and the reranker as a document
compressor."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from langchain_core.documents import Document  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import InvalidTypeError, NotFittedError  # noqa: E402
from milvus_model_adapters.langchain import (  # noqa: E402
    MilvusHybridRetriever,
    MilvusModelEmbeddings,
    MilvusModelReranker,
    MilvusModelSparseEmbeddings,
)
from milvus_model_adapters.rerank import CosineReranker  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


def test_embeddings_use_document_and_query_paths() -> None:
    calls: list[str] = []

    class Fn:
        dim = 2

        def encode_documents(self, docs: list[str]) -> list[list[float]]:
            calls.append("docs")
            return [[1.0, 0.0] for _ in docs]

        def encode_queries(self, queries: list[str]) -> list[list[float]]:
            calls.append("queries")
            return [[0.0, 1.0] for _ in queries]

    emb = MilvusModelEmbeddings.from_function(Fn())
    assert emb.embed_documents(["a"]) == [[1.0, 0.0]] and emb.embed_query("q") == [0.0, 1.0]
    assert calls == ["docs", "queries"]
    assert all(type(x) is float for x in emb.embed_query("q"))


async def test_async_embeddings_do_not_block(dense_encoder: DenseEncoder) -> None:
    emb = MilvusModelEmbeddings(encoder=dense_encoder)
    assert await emb.aembed_query("hi") == emb.embed_query("hi")


def test_sparse_wraps_pymilvus_function() -> None:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    from milvus_model_adapters.text.analyzer import Analyzer

    fn = BM25EmbeddingFunction(analyzer=Analyzer())
    with pytest.raises(NotFittedError):
        MilvusModelSparseEmbeddings(fn).embed_query("x")
    fn.fit(CORPUS)
    assert MilvusModelSparseEmbeddings(fn).embed_query("vector database")
    with pytest.raises(InvalidTypeError):
        MilvusModelSparseEmbeddings(object())


def test_reranker_compressor_keeps_scores(dense_encoder: DenseEncoder) -> None:
    docs = [Document(page_content=t, metadata={"score": 0.1, "n": i}, id=str(i)) for i, t in enumerate(CORPUS)]
    rr = MilvusModelReranker(reranker=CosineReranker(dense_encoder), top_n=2)
    out = rr.compress_documents(docs, "Who was Alan Turing?")
    assert len(out) == 2 and out[0].id in {"9", "10"}
    assert out[0].metadata["relevance_score"] >= out[1].metadata["relevance_score"]
    assert out[0].metadata["score"] == 0.1  # the retrieval score stays
    assert "relevance_score" not in docs[9].metadata  # inputs untouched
    assert rr.compress_documents([], "q") == []
    with pytest.raises(ValueError, match="top_n must be > 0"):
        MilvusModelReranker(reranker=CosineReranker(dense_encoder), top_n=0)


def test_compressor_in_contextual_compression_retriever(dense_encoder: DenseEncoder, filled_store: HybridStore) -> None:
    from langchain_classic.retrievers import ContextualCompressionRetriever

    base = MilvusHybridRetriever(store=filled_store, k=8)
    ccr = ContextualCompressionRetriever(
        base_compressor=MilvusModelReranker(reranker=CosineReranker(dense_encoder), top_n=2),
        base_retriever=base,
    )
    out = ccr.invoke("Who was Alan Turing?")
    assert len(out) == 2 and "relevance_score" in out[0].metadata and "fused_score" in out[0].metadata
