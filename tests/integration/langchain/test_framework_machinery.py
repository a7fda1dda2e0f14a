"""LangChain's own machinery over this package's store, on a Milvus Lite file and a served engine (the ``store``
fixture): the indexing API with a record manager (incremental and full cleanup, sync and async) and
``ParentDocumentRetriever``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("langchain_core")

from milvus_model_adapters.store import HybridStore  # noqa: E402


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
