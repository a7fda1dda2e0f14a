"""A LangChain retriever over the core hybrid store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, field_validator

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store.fusion import Ranker
from milvus_model_adapters.store.hybrid import HybridStore
from milvus_model_adapters.store.types import MODES, Hit, SearchMode

_SEARCH_ARGS = (
    "k",
    "fetch_k",
    "mode",
    "ranker",
    "rrf_k",
    "weights",
    "filter",
    "expr",
    "reranker",
    "rerank_k",
)


def hit_to_document(hit: Hit) -> Document:
    """A LangChain document for a hit: its id, text and metadata, plus its scores and ranks."""
    return Document(page_content=hit.text, metadata={**hit.metadata, **hit.scores()}, id=hit.id)


class MilvusHybridRetriever(BaseRetriever):
    """Dense, BM25 or hybrid search over a :class:`~milvus_model_adapters.store.HybridStore`.

    Every document has ``id`` set and carries, in its metadata, ``score`` (what it is ranked by)
    and, when set, ``dense_score``, ``dense_rank``, ``sparse_score``, ``sparse_rank``,
    ``fused_score`` and ``rerank_score``. Any search setting can be overridden per call:
    ``retriever.invoke("question", k=3, filter={"source": "a.md"})``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: HybridStore
    k: int = 4
    fetch_k: int | None = None
    mode: SearchMode = "hybrid"
    ranker: str | Ranker = "rrf"
    rrf_k: int = 60
    weights: Sequence[float] | None = None
    filter: dict[str, Any] | None = None
    expr: str | None = None
    reranker: Any = None
    rerank_k: int | None = None

    @field_validator("k")
    @classmethod
    def _check_k(cls, value: int) -> int:
        return check_positive_int(value, what="k")

    @field_validator("mode", mode="before")
    @classmethod
    def _check_mode(cls, value: str) -> str:
        if value not in MODES:
            raise InvalidInputError(f"unknown mode {value!r}; use one of {', '.join(MODES)}")
        return value

    def _search_kwargs(self, overrides: dict[str, Any]) -> dict[str, Any]:
        unknown = set(overrides) - set(_SEARCH_ARGS)
        if unknown:
            raise InvalidInputError(f"unknown search argument(s): {', '.join(sorted(unknown))}")
        args = {name: getattr(self, name) for name in _SEARCH_ARGS}
        args.update(overrides)
        return args

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        args = self._search_kwargs(kwargs)
        return [hit_to_document(h) for h in self.store.search(query, args.pop("k"), **args)]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        args = self._search_kwargs(kwargs)
        return [hit_to_document(h) for h in await self.store.asearch(query, args.pop("k"), **args)]
