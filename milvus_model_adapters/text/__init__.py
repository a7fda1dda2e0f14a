"""Text analysis for BM25: the offline analyzer, 37 languages, word segmenters, pymilvus-model's own analysis."""

from milvus_model_adapters.text.analyzer import Analyzer, TextAnalyzer
from milvus_model_adapters.text.languages import milvus_analyzer_params
from milvus_model_adapters.text.multilingual import MultilingualAnalyzer
from milvus_model_adapters.text.pymilvus_analysis import PymilvusAnalyzer

__all__ = ["Analyzer", "MultilingualAnalyzer", "PymilvusAnalyzer", "TextAnalyzer", "milvus_analyzer_params"]
