"""LangChain adapters: embeddings, sparse embeddings, reranker, hybrid retriever, vector store and file loader.

Install with ``pip install "milvus-model-adapters[langchain]"``.
"""

from milvus_model_adapters._deps import require

require("langchain_core", extra="langchain", purpose="the LangChain adapters")

from milvus_model_adapters.langchain.embeddings import MilvusModelEmbeddings  # noqa: E402
from milvus_model_adapters.langchain.loader import FileChunkLoader  # noqa: E402
from milvus_model_adapters.langchain.rerank import MilvusModelReranker  # noqa: E402
from milvus_model_adapters.langchain.retriever import MilvusHybridRetriever  # noqa: E402
from milvus_model_adapters.langchain.sparse import MilvusModelSparseEmbeddings  # noqa: E402
from milvus_model_adapters.langchain.vectorstore import MilvusHybridVectorStore  # noqa: E402

__all__ = [
    "FileChunkLoader",
    "MilvusHybridRetriever",
    "MilvusHybridVectorStore",
    "MilvusModelEmbeddings",
    "MilvusModelReranker",
    "MilvusModelSparseEmbeddings",
]
