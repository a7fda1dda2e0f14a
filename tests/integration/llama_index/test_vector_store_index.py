"""LlamaIndex's ``VectorStoreIndex`` on the vector store: its lifecycle on a Milvus Lite file reopened between
steps, and the index's own embed model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import Document, StorageContext, VectorStoreIndex  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402
from llama_index.core.schema import TextNode  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.llama_index import MilvusHybridVectorStore, MilvusModelEmbedding  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


def test_index_lifecycle_on_a_reopened_lite_file(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    uri = str(tmp_path / "index.db")
    embed = MilvusModelEmbedding(dense_encoder)
    docs = [
        Document(text=" ".join(CORPUS[:6]), id_="databases", metadata={"source": "db.txt"}),
        Document(text=" ".join(CORPUS[6:8]), id_="aircraft", metadata={"source": "air.txt"}),
    ]

    def reopen() -> tuple[MilvusHybridVectorStore, VectorStoreIndex]:
        vs = MilvusHybridVectorStore(uri=uri, embed_model=embed)
        return vs, VectorStoreIndex.from_vector_store(vs, embed_model=vs.embed_model)

    vs = MilvusHybridVectorStore(uri=uri, embed_model=embed)
    context = StorageContext.from_defaults(vector_store=vs)
    VectorStoreIndex.from_documents(docs, storage_context=context, embed_model=vs.embed_model)
    written = vs.store.count()
    assert written >= 2
    vs.close()

    vs, index = reopen()
    assert vs.store.count() == written
    index.insert(Document(text=" ".join(CORPUS[8:11]), id_="turing", metadata={"source": "ai.txt"}))
    assert vs.store.bm25_stats()["corpus_size"] == vs.store.count() > written
    top = index.as_retriever(vector_store_query_mode="sparse", similarity_top_k=1).retrieve("Maida Vale")
    assert top[0].node.ref_doc_id == "turing"
    vs.close()

    vs, index = reopen()
    index.delete_ref_doc("databases")
    assert {d.metadata["ref_doc_id"] for d in vs.store.documents()} == {"aircraft", "turing"}
    assert vs.store.bm25_stats()["corpus_size"] == vs.store.count()
    vs.close()

    vs, index = reopen()
    engine = index.as_query_engine(llm=MockLLM(), vector_store_query_mode="hybrid", similarity_top_k=2)
    response = engine.query("Who did research on artificial intelligence?")
    assert "Alan Turing" in str(response)  # MockLLM echoes the prompt: the context reached the LLM
    assert {n.node.ref_doc_id for n in response.source_nodes} <= {"aircraft", "turing"}
    assert all(n.node.metadata["source"] in ("air.txt", "ai.txt") for n in response.source_nodes)
    assert "dense_rank" not in str(response)  # scores are hidden from the LLM
    vs.close()


class _ReversedEmbedding(MilvusModelEmbedding):
    """Another model of the same dimension: the bundled vectors, reversed."""

    def _get_query_embedding(self, query: str) -> list[float]:
        return super()._get_query_embedding(query)[::-1]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [v[::-1] for v in super()._get_text_embeddings(texts)]

    def _get_text_embedding(self, text: str) -> list[float]:
        return super()._get_text_embedding(text)[::-1]


def test_the_index_embed_model_embeds_nodes_and_queries(store: HybridStore, dense_encoder: DenseEncoder) -> None:
    embed = _ReversedEmbedding(dense_encoder)
    vs = MilvusHybridVectorStore(store=store)
    nodes = [TextNode(id_=f"n{i}", text=t) for i, t in enumerate(CORPUS)]
    index = VectorStoreIndex(nodes, storage_context=StorageContext.from_defaults(vector_store=vs), embed_model=embed)
    stored = {d.id: d.embedding for d in store.documents(with_embeddings=True)}
    np.testing.assert_allclose(stored["n3"], embed.get_text_embedding(CORPUS[3]), atol=1e-5)
    top = index.as_retriever(similarity_top_k=1).retrieve("sentence transformers capture meaning")
    assert top[0].node.node_id == "n3"
    expected = store.search_by_vector(embed.get_query_embedding("sentence transformers capture meaning"), 1)
    assert top[0].score == pytest.approx(expected[0].score, abs=1e-5)
    # Nodes without an embedding given to the store directly are embedded by the store's model.
    vs.add([TextNode(id_="plain", text="A plain node without an embedding.")])
    (row,) = [d for d in store.documents(with_embeddings=True) if d.id == "plain"]
    np.testing.assert_allclose(row.embedding, dense_encoder.encode_documents([row.text])[0], atol=1e-5)
