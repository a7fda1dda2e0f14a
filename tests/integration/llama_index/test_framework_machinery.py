"""LlamaIndex's own machinery over this package's store, on a Milvus Lite file and a served engine (the ``store``
fixture): ``IngestionPipeline`` with a docstore (upserts), ``refresh_ref_docs``, and ``VectorIndexAutoRetriever``
with an LLM stand-in that answers a fixed query spec."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

from milvus_model_adapters.store import HybridStore  # noqa: E402


def test_llama_index_ingestion_pipeline_with_a_docstore_upserts(store: HybridStore) -> None:
    from llama_index.core import Document
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.storage.docstore import SimpleDocumentStore

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    vector_store = MilvusHybridVectorStore(store)
    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(chunk_size=64, chunk_overlap=0), vector_store.embed_model],
        vector_store=vector_store,
        docstore=SimpleDocumentStore(),
        docstore_strategy=DocstoreStrategy.UPSERTS,
    )
    docs = [Document(text="Kettles need descaling.", id_="kettle"), Document(text="Dough rises.", id_="bread")]
    assert len(pipeline.run(documents=docs)) == 2
    assert pipeline.run(documents=docs) == []  # unchanged documents are skipped
    changed = [Document(text="Kettles need descaling every month.", id_="kettle")]
    assert len(pipeline.run(documents=changed)) == 1
    texts = sorted(d.text for d in store.documents())
    assert texts == ["Dough rises.", "Kettles need descaling every month."]  # the old kettle node is gone
    assert store.bm25_stats()["corpus_size"] == 2


def test_llama_index_refresh_ref_docs(store: HybridStore) -> None:
    from llama_index.core import Document, StorageContext, VectorStoreIndex

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    vector_store = MilvusHybridVectorStore(store)
    docs = [Document(text="Kettles need descaling.", id_="kettle"), Document(text="Dough rises.", id_="bread")]
    index = VectorStoreIndex.from_documents(
        docs,
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=vector_store.embed_model,
    )
    refreshed = index.refresh_ref_docs(
        [Document(text="Kettles need descaling every month.", id_="kettle"), Document(text="Dough rises.", id_="bread")]
    )
    assert refreshed == [True, False]
    assert sorted(d.text for d in store.documents()) == ["Dough rises.", "Kettles need descaling every month."]


def test_llama_index_auto_retriever_with_a_fixed_query_spec(store: HybridStore) -> None:
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
    from llama_index.core.llms import CustomLLM
    from llama_index.core.llms.callbacks import llm_completion_callback
    from llama_index.core.retrievers import VectorIndexAutoRetriever
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import MetadataInfo, VectorStoreInfo

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    spec = {"query": "songs about the night", "filters": [{"key": "singer", "value": "IU", "operator": "=="}]}

    class FixedAnswer(CustomLLM):
        """Answers every prompt with the same query spec, as an LLM would write it."""

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata()

        @llm_completion_callback()
        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            return CompletionResponse(text=f"```json\n{json.dumps(spec)}\n```")

        @llm_completion_callback()
        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
            yield self.complete(prompt)

    vector_store = MilvusHybridVectorStore(store)
    nodes = [
        TextNode(text="Through the Night", id_="n1", metadata={"singer": "IU"}),
        TextNode(text="Night Changes", id_="n2", metadata={"singer": "One Direction"}),
        TextNode(text="Palette", id_="n3", metadata={"singer": "IU"}),
    ]
    index = VectorStoreIndex(
        nodes,
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=vector_store.embed_model,
    )
    info = VectorStoreInfo(
        content_info="song titles", metadata_info=[MetadataInfo(name="singer", type="str", description="who sings")]
    )
    retriever = VectorIndexAutoRetriever(index, vector_store_info=info, llm=FixedAnswer(), similarity_top_k=3)
    found = retriever.retrieve("IU songs about the night")
    assert [n.node.node_id for n in found][0] == "n1" and {n.node.node_id for n in found} == {"n1", "n3"}
