"""A LangChain document compressor over the core rerankers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from pydantic import Field

from milvus_model_adapters._fields import RerankerField, TopN
from milvus_model_adapters.rerank import CosineReranker


class MilvusModelReranker(BaseDocumentCompressor):
    """Rerank documents with a pymilvus-model rerank function or a core reranker.

    Keeps the ``top_n`` best documents, each a copy with the reranker's score in
    ``metadata["relevance_score"]`` (the input documents are not changed, and any earlier retrieval
    scores in their metadata stay). Use it in ``ContextualCompressionRetriever``.

    Setup:
        ```bash
        pip install "milvus-model-adapters[langchain]"
        ```

    Key init args:
        - ``reranker`` (Reranker | rerank function): The offline ``CosineReranker`` (default),
          ``CrossEncoderReranker``, the Jina, Cohere or Voyage APIs, or any pymilvus-model rerank function.
        - ``top_n`` (int): How many documents to keep.

    Instantiate:
        ```python
        from milvus_model_adapters.langchain import MilvusModelReranker

        reranker = MilvusModelReranker(top_n=1)
        ```

    Usage:
        ```python
        from langchain_core.documents import Document

        docs = [Document(page_content="Bread rises with live yeast."), Document(page_content="Descale the kettle.")]
        best = reranker.compress_documents(docs, "why does my dough not rise?")
        print(best[0].page_content)
        ```

        ```text
        Bread rises with live yeast.
        ```

    Async:
        ```python
        import asyncio

        best = asyncio.run(reranker.acompress_documents(docs, "kettle"))
        ```
    """

    reranker: RerankerField = Field(default_factory=CosineReranker)
    """The core reranker (a pymilvus-model rerank function is wrapped on construction)."""
    top_n: TopN = 3
    """How many documents to keep."""

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Return the ``top_n`` documents most relevant to ``query``, best first."""
        if not documents:
            return []
        hits = self.reranker.rerank(query, [d.page_content for d in documents], top_k=self.top_n)
        out = []
        for hit in hits:
            doc = documents[hit.index]
            out.append(
                Document(
                    page_content=doc.page_content,
                    metadata={**doc.metadata, "relevance_score": hit.score},
                    id=doc.id,
                )
            )
        return out

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """``compress_documents`` in a worker thread."""
        return await asyncio.to_thread(self.compress_documents, documents, query, callbacks)
