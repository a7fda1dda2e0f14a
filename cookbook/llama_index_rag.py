"""LlamaIndex: a VectorStoreIndex on the hybrid vector store, queried in hybrid mode, then reranked.

    python cookbook/llama_index_rag.py "Why does my bread dough not rise?"

Uses OpenAI (``llama-index-llms-openai``) when ``OPENAI_API_KEY`` is set; otherwise LlamaIndex's
``MockLLM``, clearly labelled, which echoes the prompt so the retrieved context is visible.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from importlib.resources import files
from pathlib import Path

from llama_index.core import StorageContext, VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.schema import TextNode

from milvus_model_adapters.llama_index import MilvusHybridVectorStore, MilvusModelRerank
from milvus_model_adapters.rerank import CosineReranker


def llm():  # type: ignore[no-untyped-def]
    if os.environ.get("OPENAI_API_KEY"):
        try:
            from llama_index.llms.openai import OpenAI

            print("LLM: OpenAI gpt-4o-mini\n")
            return OpenAI(model="gpt-4o-mini", temperature=0)
        except ImportError:
            print("(OPENAI_API_KEY is set but llama-index-llms-openai is not installed; using MockLLM)")
    print("LLM: MOCK (no OPENAI_API_KEY): MockLLM echoes the prompt, showing the context it received\n")
    return MockLLM()


def main() -> None:
    question = sys.argv[1] if len(sys.argv) > 1 else "Why does my bread dough not rise?"
    rows = [json.loads(x) for x in (files("milvus_model_adapters") / "data" / "demo.jsonl").read_text().splitlines()]
    vector_store = MilvusHybridVectorStore(uri=str(Path(tempfile.mkdtemp()) / "llama_index_rag.db"))
    index = VectorStoreIndex(
        [TextNode(id_=r["_id"], text=r["text"], metadata={"topic": r["topic"]}) for r in rows],
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=vector_store.embed_model,
    )
    engine = index.as_query_engine(
        llm=llm(),
        vector_store_query_mode="hybrid",
        similarity_top_k=6,
        node_postprocessors=[MilvusModelRerank(reranker=CosineReranker(vector_store.store.dense), top_n=2)],
        response_mode="compact",
    )
    response = engine.query(question)
    print(f"Q: {question}\n")
    print(str(response).strip())
    print("\nSources:")
    for node in response.source_nodes:
        print(f"  {node.node.node_id}: rerank {node.score:.3f}, retrieval {node.node.metadata['retrieval_score']:.4f}")


if __name__ == "__main__":
    main()
