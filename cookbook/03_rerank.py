"""Seed example 3: reranking, with the offline cosine reranker, and with Jina AI when a key is set.

    python cookbook/03_rerank.py            # offline
    JINAAI_API_KEY=... python cookbook/03_rerank.py

Any pymilvus-model rerank function works too: ``FunctionReranker(JinaRerankFunction(...))``.
"""

import os

from _seed import RERANK_DOCS, RERANK_QUERY

from milvus_model_adapters.rerank import CosineReranker, JinaReranker

rerankers = [("offline cosine (all-MiniLM-L6-v2)", CosineReranker())]
if os.environ.get("JINAAI_API_KEY") or os.environ.get("JINA_API_KEY"):
    rerankers.append(("Jina AI jina-reranker-v2-base-multilingual", JinaReranker()))
else:
    print("(set JINAAI_API_KEY to also rerank with Jina AI)\n")

for name, rf in rerankers:
    print(f"{name}:")
    for result in rf(RERANK_QUERY, RERANK_DOCS, top_k=3):
        print(f"  Index: {result.index}")
        print(f"  Score: {result.score:.6f}")
        print(f"  Text: {result.text[:90]}...\n")
