"""The LangChain retriever over a store: documents with ids and route scores, filters, async, bad arguments, in an
LCEL chain."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from milvus_model_adapters.errors import InvalidInputError  # noqa: E402
from milvus_model_adapters.langchain import MilvusHybridRetriever  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402


def test_retriever_documents_have_ids_and_scores(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(store=filled_store, k=3)
    docs = r.invoke("vector database similarity search")
    assert docs[0].id == "doc0"
    assert {"score", "fused_score", "dense_score", "dense_rank"} <= set(docs[0].metadata)
    assert docs[0].metadata["topic"] == "db"
    sparse = r.invoke("inverse document frequency", mode="sparse", k=1)
    assert sparse[0].id == "doc2" and "sparse_score" in sparse[0].metadata and "dense_score" not in sparse[0].metadata
    filtered = r.invoke("milvus", filter={"topic": "other"}, k=10)
    assert filtered and all(d.metadata["topic"] == "other" for d in filtered)


async def test_retriever_async_equals_sync(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(store=filled_store, k=3, ranker="weighted", weights=[0.6, 0.4])
    assert await r.ainvoke("jet engines") == r.invoke("jet engines")


@pytest.mark.parametrize(("kwargs", "match"), [({"k": 0}, "k must be > 0"), ({"mode": "fuzzy"}, "unknown mode")])
def test_retriever_bad_construction(filled_store: HybridStore, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MilvusHybridRetriever(store=filled_store, **kwargs)


def test_retriever_bad_call(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(store=filled_store)
    with pytest.raises(InvalidInputError, match="unknown search option"):
        r.invoke("q", top=3)
    with pytest.raises(InvalidInputError, match="k must be > 0"):
        r.invoke("q", k=-1)
    with pytest.raises(InvalidInputError, match="unknown ranker"):
        r.invoke("q", ranker="nope")


def test_lcel_rag_chain_passes_context_to_model(filled_store: HybridStore) -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough

    seen: list[str] = []

    class RecordingModel(GenericFakeChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(messages[-1].content)
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    retriever = MilvusHybridRetriever(store=filled_store, k=2)
    prompt = ChatPromptTemplate.from_template("Answer from the context.\nContext:\n{context}\n\nQuestion: {question}")
    model = RecordingModel(messages=iter([AIMessage(content="Turing.")]))
    chain = (
        {
            "context": retriever | (lambda docs: "\n".join(d.page_content for d in docs)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | model
        | StrOutputParser()
    )
    assert chain.invoke("Who conducted early research in AI?") == "Turing."
    assert "Alan Turing was the first person" in seen[0]
