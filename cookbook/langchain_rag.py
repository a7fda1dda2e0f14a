"""LangChain: an LCEL RAG chain over the hybrid retriever, with reranking.

    python cookbook/langchain_rag.py "How do I fix error E4 on my kettle?"

Uses OpenAI (``langchain-openai``) when ``OPENAI_API_KEY`` is set; otherwise a clearly labelled
local stand-in that answers with the retrieved context, so the recipe runs offline.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from milvus_model_adapters.langchain import MilvusHybridVectorStore, MilvusModelEmbeddings, MilvusModelReranker
from milvus_model_adapters.rerank import CosineReranker


def chat_model():  # type: ignore[no-untyped-def]
    if os.environ.get("OPENAI_API_KEY"):
        try:
            from langchain_openai import ChatOpenAI

            print("LLM: OpenAI gpt-4o-mini\n")
            return ChatOpenAI(model="gpt-4o-mini", temperature=0)
        except ImportError:
            print("(OPENAI_API_KEY is set but langchain-openai is not installed; using the local stand-in)")
    print("LLM: LOCAL STAND-IN (no OPENAI_API_KEY): it answers with the context it was given\n")
    return RunnableLambda(
        lambda prompt: "Based on the retrieved context:\n" + prompt.to_string().split("Context:\n", 1)[1]
    )


def main() -> None:
    question = sys.argv[1] if len(sys.argv) > 1 else "How do I fix error E4 on my kettle?"
    rows = [json.loads(x) for x in (files("milvus_model_adapters") / "data" / "demo.jsonl").read_text().splitlines()]
    docs = [Document(page_content=r["text"], metadata={"topic": r["topic"]}, id=r["_id"]) for r in rows]

    embeddings = MilvusModelEmbeddings()  # bundled all-MiniLM-L6-v2
    db = Path(tempfile.mkdtemp()) / "langchain_rag.db"
    store = MilvusHybridVectorStore.from_documents(docs, embeddings, uri=str(db))
    retriever = store.as_retriever(
        search_kwargs={"k": 4, "mode": "hybrid", "reranker": CosineReranker(embeddings.encoder)}
    )
    rerank = MilvusModelReranker(reranker=CosineReranker(embeddings.encoder), top_n=2)

    prompt = ChatPromptTemplate.from_template(
        "Answer the question using only this context.\n\nQuestion: {question}\n\nContext:\n{context}"
    )
    chain = (
        {
            "context": retriever
            | RunnableLambda(lambda d: rerank.compress_documents(d, question))
            | RunnableLambda(lambda d: "\n".join(f"- [{x.id}] {x.page_content}" for x in d)),
            "question": RunnablePassthrough(),
        }
        | prompt
        | chat_model()
        | StrOutputParser()
    )
    print(f"Q: {question}\n")
    print(chain.invoke(question))


if __name__ == "__main__":
    main()
