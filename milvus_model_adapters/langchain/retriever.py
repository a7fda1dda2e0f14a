"""A LangChain retriever over the core hybrid store."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import MAX_TOP_K, OPTION_NAMES, Hit, HybridStore, SearchParams, relevance_function

LANGCHAIN_DEFAULTS = SearchParams(k=4)
"""LangChain's customary four documents per query; every other setting is the core's default."""


SearchType = Literal["similarity", "mmr", "similarity_score_threshold"]


def hit_to_document(hit: Hit, relevance: float | None = None) -> Document:
    """A LangChain document for a hit: its id, text and metadata, plus its scores, ranks and relevance."""
    extra = {} if relevance is None else {"relevance": relevance}
    return Document(
        page_content=hit.text, metadata={**hit.metadata, **hit.scores(), **hit.annotations(), **extra}, id=hit.id
    )


class MilvusHybridRetriever(BaseRetriever):
    """Dense, BM25 or hybrid search over a ``HybridStore``.

    Every document has ``id`` set and carries, in its metadata, ``score`` (what it is ranked by), its
    ``relevance`` in [0, 1] (see ``milvus_model_adapters.store.search.relevance``) and, when set,
    ``dense_score``, ``dense_rank``, ``sparse_score``, ``sparse_rank``, ``fused_score`` and
    ``rerank_score``.

    Setup:
        ```bash
        pip install "milvus-model-adapters[langchain]"
        ```

    Key init args:
        - ``store`` (HybridStore): The store to search.
        - ``search_params`` (SearchParams): The settings of every call; or give its options as keywords (``k=3``,
          ``mode="dense"``, ``filter=...``, ``ranker="rrf"``, ``reranker=...``).
        - ``search_type`` (str): ``"similarity"``, ``"mmr"`` (``mmr_fetch_k`` candidates, ``lambda_mult``) or
          ``"similarity_score_threshold"`` (``score_threshold``, a relevance in [0, 1]).

    Instantiate:
        ```python
        from milvus_model_adapters import HybridStore
        from milvus_model_adapters.langchain import MilvusHybridRetriever

        store = HybridStore("./langchain_retriever.db", drop_existing=True)
        store.add(["Milvus Lite keeps vectors in a local file.", "BM25 ranks by term frequency."])
        retriever = MilvusHybridRetriever(store=store, k=1)
        ```

    Usage:
        ```python
        docs = retriever.invoke("where are the vectors?")
        print(docs[0].page_content, docs[0].metadata["dense_rank"])
        docs = retriever.invoke("term frequency", mode="sparse")  # options per call
        ```

        ```text
        Milvus Lite keeps vectors in a local file. 1
        ```

    Use within a chain:
        ```python
        from langchain_core.runnables import RunnableLambda, RunnablePassthrough

        def format_docs(docs):
            return " ".join(doc.page_content for doc in docs)

        chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | RunnableLambda(
            lambda inputs: f"Answer from: {inputs['context']}"  # an LLM and a prompt go here
        )
        print(chain.invoke("where are the vectors?"))
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    store: HybridStore
    search_params: SearchParams = Field(default=LANGCHAIN_DEFAULTS)
    """The search settings of every call."""
    search_type: SearchType = "similarity"
    """``similarity``, ``mmr`` or ``similarity_score_threshold``."""
    mmr_fetch_k: int = Field(default=20, ge=1, le=MAX_TOP_K)
    """Candidates maximal marginal relevance chooses from."""
    lambda_mult: float = Field(default=0.5, ge=0.0, le=1.0)
    """Maximal marginal relevance: 1 for similarity to the query alone, 0 for diversity alone."""
    score_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    """Least relevance a document needs (``similarity_score_threshold``)."""

    @model_validator(mode="after")
    def _threshold_given(self) -> MilvusHybridRetriever:
        if (self.search_type == "similarity_score_threshold") != (self.score_threshold is not None):
            raise InvalidInputError("score_threshold is given exactly with search_type='similarity_score_threshold'")
        return self

    @model_validator(mode="before")
    @classmethod
    def _search_options(cls, data: Any) -> Any:
        # Search options given as keywords become the retriever's SearchParams.
        if isinstance(data, dict) and OPTION_NAMES.intersection(data):
            data = dict(data)
            options = {name: data.pop(name) for name in OPTION_NAMES.intersection(data)}
            data["search_params"] = SearchParams.create(data.get("search_params", LANGCHAIN_DEFAULTS), **options)
        return data

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        return self._documents(query, kwargs)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        params = self.search_params.replace(**kwargs)
        if self.search_type == "mmr":
            return await asyncio.to_thread(self._documents, query, kwargs)
        return self._as_documents(await self.store.asearch(query, params=params), params)

    def _documents(self, query: str, options: dict[str, Any]) -> list[Document]:
        params = self.search_params.replace(**options)
        if self.search_type == "mmr":
            hits = self.store.mmr_search(
                query, params=params, candidates=self.mmr_fetch_k, lambda_mult=self.lambda_mult
            )
        else:
            hits = self.store.search(query, params=params)
        return self._as_documents(hits, params)

    def _as_documents(self, hits: list[Hit], params: SearchParams) -> list[Document]:
        """Documents of ``hits`` with their relevance, those under ``score_threshold`` dropped."""
        relevance = relevance_function(params)
        docs = [hit_to_document(h, relevance(h.score)) for h in hits]
        if self.score_threshold is not None:
            docs = [d for d in docs if d.metadata["relevance"] >= self.score_threshold]
        return docs
