"""LlamaIndex adapters: vector store, embedding, sparse embedding, rerank postprocessor, hybrid retriever, file reader.

Install with ``pip install "milvus-model-adapters[llama-index]"``.
"""

from milvus_model_adapters._deps import require

require("llama_index.core", extra="llama-index", purpose="the LlamaIndex adapters")

from milvus_model_adapters.llama_index.embeddings import MilvusModelEmbedding  # noqa: E402
from milvus_model_adapters.llama_index.filters import to_filter  # noqa: E402
from milvus_model_adapters.llama_index.postprocessor import MilvusModelRerank  # noqa: E402
from milvus_model_adapters.llama_index.reader import FileChunkReader  # noqa: E402
from milvus_model_adapters.llama_index.retriever import MilvusHybridRetriever, add_nodes  # noqa: E402
from milvus_model_adapters.llama_index.sparse import MilvusModelSparseEmbedding  # noqa: E402
from milvus_model_adapters.llama_index.vector_store import MilvusHybridVectorStore  # noqa: E402

__all__ = [
    "FileChunkReader",
    "MilvusHybridRetriever",
    "MilvusHybridVectorStore",
    "MilvusModelEmbedding",
    "MilvusModelRerank",
    "MilvusModelSparseEmbedding",
    "add_nodes",
    "to_filter",
]
