"""Seed example 2: BM25 sparse embeddings with fit / save / load, offline (no NLTK data).

python cookbook/02_bm25.py
"""

import tempfile
from pathlib import Path

from _seed import DOCS, QUERIES

from milvus_model_adapters import BM25Encoder

bm25_ef = BM25Encoder()  # English: tokenizer, lowercase, stopwords, Snowball stemmer
bm25_ef.fit(DOCS)

params = Path(tempfile.mkdtemp()) / "bm25_params.json"
bm25_ef.save(params)  # the same JSON fields as pymilvus-model's BM25EmbeddingFunction.save
new_bm25_ef = BM25Encoder.load(params)

query_embeddings = new_bm25_ef.encode_queries(QUERIES)
print("Sparse dim:", new_bm25_ef.dim, list(query_embeddings.shape))
docs_embeddings = new_bm25_ef.encode_documents(DOCS)
print("Sparse dim:", new_bm25_ef.dim, list(docs_embeddings.shape))
scores = (query_embeddings @ docs_embeddings.T).toarray()
for query, row in zip(QUERIES, scores, strict=True):
    best = int(row.argmax())
    print(f"{query!r} -> {DOCS[best]!r} (BM25 {row[best]:.3f})")
