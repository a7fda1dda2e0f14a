"""Okapi BM25 as sparse vectors: the encoder, its settings, parameter files, term counting and scoring."""

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.bm25.idf import IDF_FORMULAS, IdfFormula
from milvus_model_adapters.bm25.settings import BM25Settings

__all__ = ["IDF_FORMULAS", "BM25Encoder", "BM25Settings", "IdfFormula"]
