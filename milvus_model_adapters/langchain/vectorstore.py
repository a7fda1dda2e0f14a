"""A LangChain ``VectorStore`` over the core hybrid store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from milvus_model_adapters.langchain.embeddings import as_dense_encoder
from milvus_model_adapters.langchain.retriever import MilvusHybridRetriever
from milvus_model_adapters.store.hybrid import HybridStore, content_id
from milvus_model_adapters.store.types import SearchMode


class MilvusHybridVectorStore(VectorStore):
    """Dense + BM25 documents in Milvus Lite or a Milvus server, as a LangChain vector store.

    ``similarity_search`` runs the store's search (hybrid by default; pass ``mode="dense"`` for
    plain vector search) and returns documents with their ``id`` and original metadata;
    ``as_retriever()`` returns a :class:`MilvusHybridRetriever` that adds scores to the metadata.

    Example:
        >>> store = MilvusHybridVectorStore.from_texts(["Milvus Lite runs in-process."], uri="./lc.db")
        >>> store.as_retriever(search_kwargs={"k": 2, "mode": "hybrid"}).invoke("embedded milvus")
    """

    def __init__(
        self,
        embedding: Embeddings | Any | None = None,
        *,
        uri: str = "./milvus.db",
        collection: str = "documents",
        store: HybridStore | None = None,
        search_mode: SearchMode = "hybrid",
        **store_kwargs: Any,
    ) -> None:
        """Open or create the collection.

        Args:
            embedding: A LangChain ``Embeddings``, a pymilvus-model dense function, a core
                ``DenseEncoder``, or ``None`` for the bundled all-MiniLM-L6-v2.
            uri: Milvus Lite file or Milvus server address.
            collection: Collection name.
            store: An open :class:`HybridStore` to use instead of ``uri`` / ``collection``.
            search_mode: Default mode of ``similarity_search``.
            **store_kwargs: Passed to :class:`HybridStore` (``sparse``, ``drop_existing``, ``client``, ...).
        """
        self._embedding = embedding if isinstance(embedding, Embeddings) else None
        self.store = (
            store
            if store is not None
            else HybridStore(uri, collection, dense=as_dense_encoder(embedding), **store_kwargs)
        )
        self.search_mode: SearchMode = search_mode

    @property
    def embeddings(self) -> Embeddings | None:
        """The LangChain embeddings, if one was given."""
        return self._embedding

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Add or replace texts; returns their ids (a content hash unless given)."""
        items = list(texts)
        if not items:
            return []
        if ids is not None and any(i is None for i in ids):
            metas = metadatas or [{} for _ in items]
            ids = [i if i is not None else content_id(t, m) for i, t, m in zip(ids, items, metas, strict=True)]
        return self.store.add(items, metadatas=metadatas, ids=ids, **kwargs)

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Delete by ids (or by ``filter=`` / ``expr=``); missing ids are ignored."""
        if ids is not None and not ids and not kwargs:
            return True
        self.store.delete(ids, **kwargs)
        return True

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents by id; unknown ids are skipped."""
        return [Document(page_content=d.text, metadata=d.metadata, id=d.id) for d in self.store.get(list(ids))]

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[Document]:
        """The ``k`` best documents for ``query``."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_with_score(self, query: str, k: int = 4, **kwargs: Any) -> list[tuple[Document, float]]:
        """The ``k`` best documents with the score they are ranked by."""
        kwargs.setdefault("mode", self.search_mode)
        hits = self.store.search(query, k, **kwargs)
        return [(Document(page_content=h.text, metadata=h.metadata, id=h.id), h.score) for h in hits]

    def as_retriever(self, **kwargs: Any) -> MilvusHybridRetriever:  # type: ignore[override]
        """A :class:`MilvusHybridRetriever`; ``search_kwargs`` sets k, mode, ranker, filter, reranker..."""
        search_kwargs = dict(kwargs.pop("search_kwargs", None) or {})
        search_type = kwargs.pop("search_type", None)
        if search_type in ("dense", "sparse", "hybrid"):
            search_kwargs.setdefault("mode", search_type)
        search_kwargs.setdefault("mode", self.search_mode)
        tags = list(kwargs.pop("tags", None) or []) + ["MilvusHybridVectorStore"]
        return MilvusHybridRetriever(store=self.store, tags=tags, **search_kwargs, **kwargs)

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings | Any | None = None,
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> MilvusHybridVectorStore:
        """Create a store and add ``texts``."""
        add_kwargs = {k: kwargs.pop(k) for k in ("batch_size", "show_progress") if k in kwargs}
        store = cls(embedding, **kwargs)
        store.add_texts(texts, metadatas, ids=ids, **add_kwargs)
        return store

    @classmethod
    def from_documents(
        cls, documents: list[Document], embedding: Embeddings | Any | None = None, **kwargs: Any
    ) -> MilvusHybridVectorStore:
        """Create a store and add ``documents`` (their ``id`` is kept when set)."""
        ids = [d.id for d in documents]
        return cls.from_texts(
            [d.page_content for d in documents],
            embedding,
            [d.metadata for d in documents],
            ids=None if any(i is None for i in ids) else [str(i) for i in ids],
            **kwargs,
        )
