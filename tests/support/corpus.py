"""The small corpus most store tests index."""

from typing import Any

CORPUS = [
    "Milvus is an open-source vector database built for similarity search.",
    "Milvus Lite stores vectors in a local file and runs inside the Python process.",
    "BM25 ranks documents by term frequency and inverse document frequency.",
    "Dense embeddings from sentence transformers capture the meaning of sentences.",
    "Hybrid search fuses keyword matching with semantic similarity.",
    "Reciprocal rank fusion combines ranked lists without looking at their scores.",
    "The aircraft wing produces lift when air flows over its curved upper surface.",
    "Jet engines produce thrust by accelerating a stream of hot exhaust gas.",
    "Artificial intelligence was founded as an academic discipline in 1956.",
    "Alan Turing was the first person to conduct substantial research in AI.",
    "Born in Maida Vale, London, Turing was raised in southern England.",
    "Rerankers score each query and document pair with a stronger model.",
]


SEARCH_KINDS: list[dict[str, Any]] = [
    {},
    {"ranker": "rrf"},
    {"mode": "sparse"},
    {"mode": "dense", "filter": {"topic": "db"}},
    {"fusion": "server", "ranker": "rrf"},
    {"group_by": "topic"},
    {"offset": 2},
]
"""Search settings of every kind (modes, fusions, a filter, grouping, a page), for tests that run them all."""
