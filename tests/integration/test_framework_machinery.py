"""The frameworks' own machinery over this package's stores, on a Milvus Lite file and a served engine
(the ``store`` fixture).

LangChain: the indexing API with a record manager (incremental and full cleanup, sync and async) and
``ParentDocumentRetriever``. LlamaIndex: ``IngestionPipeline`` with a docstore (upserts),
``refresh_ref_docs`` and ``VectorIndexAutoRetriever`` with an LLM stand-in that answers a fixed query spec.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("llama_index.core")

from milvus_model_adapters.store import HybridStore  # noqa: E402


# ---------------------------------------------------------------------- LangChain
def _lc_docs(*pairs: tuple[str, str]) -> list[Any]:
    from langchain_core.documents import Document

    return [Document(page_content=text, metadata={"source": source}) for text, source in pairs]


def test_langchain_indexing_api_incremental_and_full(store: HybridStore) -> None:
    from langchain_core.indexing import InMemoryRecordManager, index

    from milvus_model_adapters.langchain import MilvusHybridVectorStore

    vector_store = MilvusHybridVectorStore(store=store)
    manager = InMemoryRecordManager(namespace="songs")
    manager.create_schema()
    first = _lc_docs(("Kettles need descaling.", "a.md"), ("Dough rises with yeast.", "b.md"))
    assert index(first, manager, vector_store, cleanup="incremental", source_id_key="source", key_encoder="sha256") == {
        "num_added": 2,
        "num_updated": 0,
        "num_skipped": 0,
        "num_deleted": 0,
    }
    again = index(first, manager, vector_store, cleanup="incremental", source_id_key="source", key_encoder="sha256")
    assert again["num_skipped"] == 2 and again["num_added"] == 0 and store.count() == 2
    changed = _lc_docs(("Kettles need descaling every month.", "a.md"))
    result = index(changed, manager, vector_store, cleanup="incremental", source_id_key="source", key_encoder="sha256")
    assert (result["num_added"], result["num_deleted"]) == (1, 1)
    assert sorted(d.text for d in store.documents()) == [
        "Dough rises with yeast.",
        "Kettles need descaling every month.",
    ]
    result = index(changed, manager, vector_store, cleanup="full", source_id_key="source", key_encoder="sha256")
    assert result["num_deleted"] == 1 and [d.text for d in store.documents()] == ["Kettles need descaling every month."]
    assert store.bm25_stats()["corpus_size"] == 1


def test_langchain_indexing_api_async(store: HybridStore) -> None:
    from langchain_core.indexing import InMemoryRecordManager, aindex

    from milvus_model_adapters.langchain import MilvusHybridVectorStore

    vector_store = MilvusHybridVectorStore(store=store)
    manager = InMemoryRecordManager(namespace="async")

    async def run() -> tuple[dict[str, int], dict[str, int]]:
        await manager.acreate_schema()
        docs = _lc_docs(("Boilers need a yearly service.", "c.md"), ("Radiators need bleeding.", "d.md"))
        first = await aindex(
            docs, manager, vector_store, cleanup="incremental", source_id_key="source", key_encoder="sha256"
        )
        second = await aindex(
            docs[:1], manager, vector_store, cleanup="full", source_id_key="source", key_encoder="sha256"
        )
        return first, second

    first, second = asyncio.run(run())
    assert first["num_added"] == 2 and second["num_deleted"] == 1
    assert [d.text for d in store.documents()] == ["Boilers need a yearly service."]


def test_parent_document_retriever(store: HybridStore) -> None:
    from langchain_classic.retrievers import ParentDocumentRetriever
    from langchain_classic.storage import InMemoryStore
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from milvus_model_adapters.langchain import MilvusHybridVectorStore

    retriever = ParentDocumentRetriever(
        vectorstore=MilvusHybridVectorStore(store=store),
        docstore=InMemoryStore(),
        child_splitter=RecursiveCharacterTextSplitter(chunk_size=60, chunk_overlap=0),
    )
    long_text = (
        "Kettles need descaling every month. Vinegar and water remove the limescale. "
        "Rinse twice before boiling water for tea again. The E4 error means the kettle needs descaling."
    )
    retriever.add_documents(_lc_docs((long_text, "kettle.md"), ("Dough rises when the yeast is alive.", "bread.md")))
    assert store.count() >= 3  # the children are in the store, the parents in the docstore
    found = retriever.invoke("what does the E4 error mean?")
    assert found[0].page_content == long_text and found[0].metadata["source"] == "kettle.md"


# ---------------------------------------------------------------------- LlamaIndex
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
