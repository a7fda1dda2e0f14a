"""A LangChain retriever over the core hybrid store."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, model_validator

from milvus_model_adapters.store.hybrid import HybridStore
from milvus_model_adapters.store.params import OPTION_NAMES, SearchParams
from milvus_model_adapters.store.types import Hit

DEFAULT_PARAMS = SearchParams(k=4)
"""LangChain's customary four documents per query; every other setting is the core's default."""


def hit_to_document(hit: Hit) -> Document:
    """A LangChain document for a hit: its id, text and metadata, plus its scores and ranks."""
    return Document(page_content=hit.text, metadata={**hit.metadata, **hit.scores()}, id=hit.id)


class MilvusHybridRetriever(BaseRetriever):
    """Dense, BM25 or hybrid search over a :class:`~milvus_model_adapters.store.HybridStore`.

    Every document has ``id`` set and carries, in its metadata, ``score`` (what it is ranked by)
    and, when set, ``dense_score``, ``dense_rank``, ``sparse_score``, ``sparse_rank``,
    ``fused_score`` and ``rerank_score``. Search options (see
    :class:`~milvus_model_adapters.store.SearchParams`) are given at construction,
    ``MilvusHybridRetriever(store=store, k=3, mode="dense")``, and can be overridden per call,
    ``retriever.invoke("question", k=3, filter={"source": "a.md"})``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    store: HybridStore
    search_params: SearchParams = Field(default=DEFAULT_PARAMS)
    """The search settings of every call."""

    @model_validator(mode="before")
    @classmethod
    def _search_options(cls, data: Any) -> Any:
        # Search options given as keywords become the retriever's SearchParams.
        if isinstance(data, dict) and OPTION_NAMES.intersection(data):
            data = dict(data)
            options = {name: data.pop(name) for name in OPTION_NAMES.intersection(data)}
            data["search_params"] = SearchParams.create(data.get("search_params", DEFAULT_PARAMS), **options)
        return data

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        hits = self.store.search(query, params=self.search_params.replace(**kwargs))
        return [hit_to_document(h) for h in hits]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        hits = await self.store.asearch(query, params=self.search_params.replace(**kwargs))
        return [hit_to_document(h) for h in hits]
