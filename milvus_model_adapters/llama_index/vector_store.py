"""A LlamaIndex vector store over the core hybrid store, for ``VectorStoreIndex`` and its engines."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryResult,
)
from pydantic import PrivateAttr

from milvus_model_adapters.encoders import DenseSource
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.llama_index import queries
from milvus_model_adapters.llama_index.embeddings import MilvusModelEmbedding, as_dense_encoder
from milvus_model_adapters.llama_index.filters import to_filter
from milvus_model_adapters.llama_index.nodes import NodeRows, document_to_node, node_from_hit, node_rows
from milvus_model_adapters.llama_index.queries import LLAMA_INDEX_DEFAULTS
from milvus_model_adapters.store import Hit, HybridStore, SearchParams, ids_expression, llama_index_fields

_ADD_OPTIONS = frozenset({"batch_size", "show_progress"})


class MilvusHybridVectorStore(BasePydanticVectorStore):
    """Dense + BM25 nodes in Milvus Lite or a Milvus server, as a LlamaIndex vector store.

    Query modes ``default`` (dense), ``sparse`` / ``text_search`` (BM25), ``hybrid`` and ``mmr`` (see
    ``milvus_model_adapters.llama_index.queries``); metadata filters; delete by document or node;
    BM25 statistics kept up to date on every insert. Nodes keep their id, metadata, relationships and
    ``ref_doc_id``. Hybrid queries fuse by RRF (k=60) unless they give ``alpha``.

    Args:
        store: An open ``HybridStore`` to use instead of ``uri``.
        uri: A Milvus Lite file (``./milvus.db``) or a server address (``http://localhost:19530``).
        collection: The collection name.
        embed_model: The dense model (default: the bundled all-MiniLM-L6-v2, no download).
        search_params: Defaults of every query (ranker, ``fetch_k``, a reranker, ...).
        **store_kwargs: ``HybridStore`` settings (``sparse``, ``drop_existing``, ``token``, ...).

    Raises:
        InvalidTypeError: If ``store`` is not a ``HybridStore``.
        SchemaMismatchError: If the collection exists with another schema or dimension.

    Examples:
        `pip install "milvus-model-adapters[llama-index]"`

        ```python
        from llama_index.core import Document, StorageContext, VectorStoreIndex
        from milvus_model_adapters.llama_index import MilvusHybridVectorStore

        vector_store = MilvusHybridVectorStore(uri="./llama_store.db", drop_existing=True)
        index = VectorStoreIndex.from_documents(
            [Document(text="Milvus Lite keeps vectors in a local file.", id_="db"),
             Document(text="BM25 ranks by term frequency.", id_="ir")],
            storage_context=StorageContext.from_defaults(vector_store=vector_store),
            embed_model=vector_store.embed_model,
        )
        retriever = index.as_retriever(vector_store_query_mode="hybrid", similarity_top_k=1)
        print(retriever.retrieve("where are the vectors?")[0].node.ref_doc_id)
        ```

        ```python
        from llama_index.core.vector_stores import MetadataFilters, VectorStoreQuery

        result = vector_store.query(VectorStoreQuery(query_str="term frequency", mode="sparse", similarity_top_k=1))
        vector_store.delete("ir")  # the nodes of a source document
        ```
    """

    stores_text: bool = True
    flat_metadata: bool = False

    _store: HybridStore = PrivateAttr()
    _embed_model: BaseEmbedding | None = PrivateAttr(default=None)
    _search_params: SearchParams = PrivateAttr()

    def __init__(
        self,
        store: HybridStore | None = None,
        *,
        uri: str = "./milvus.db",
        collection: str = "documents",
        embed_model: BaseEmbedding | DenseSource | None = None,
        search_params: SearchParams | None = None,
        tenant: str | None = None,
        scalar_field_names: Sequence[str] | None = None,
        scalar_field_types: Sequence[Any] | None = None,
        **store_kwargs: Any,
    ) -> None:
        """Open or create the collection.

        Args:
            store: An open ``HybridStore`` to use instead of ``uri`` / ``collection``.
            uri: Milvus Lite file or Milvus server address.
            collection: Collection name.
            embed_model: The dense model: a LlamaIndex ``BaseEmbedding``, a pymilvus-model dense
                function, a core ``DenseEncoder``, or ``None`` for the bundled all-MiniLM-L6-v2.
            search_params: Defaults of every query (the ranker, ``fetch_k``, a reranker, ...); the
                query decides the mode and the number of hits.
            tenant: Read and write this tenant's nodes only, in a store opened with ``tenant_field=``
                (see ``HybridStore.for_tenant``); without it, a query may name one in its keyword arguments.
            scalar_field_names: As in LlamaIndex's ``MilvusVectorStore``: node metadata keys kept in typed
                columns of a new collection (``HybridStore``'s ``fields=``), of ``scalar_field_types``
                (pymilvus ``DataType`` values; ``VARCHAR`` of 65,535 bytes). A node may lack such a key where the
                engine has nulls; other keys stay in the JSON field.
            scalar_field_types: The ``DataType`` of each of ``scalar_field_names``.
            **store_kwargs: Passed to ``HybridStore`` (``sparse``, ``drop_existing``, ``client``, ``fields``, ...).
        """
        super().__init__(stores_text=True)
        if store is not None and not isinstance(store, HybridStore):
            raise InvalidTypeError(f"store must be a HybridStore, got {type(store).__name__}")
        if scalar_field_names is not None or scalar_field_types is not None:
            if "fields" in store_kwargs or store is not None:
                raise InvalidInputError("scalar_field_names / scalar_field_types shape a new store: give them alone")
            store_kwargs["fields"] = llama_index_fields(scalar_field_names, scalar_field_types)
        if store is None:
            store = HybridStore(uri, collection, dense=as_dense_encoder(embed_model), **store_kwargs)
        self._store = store if tenant is None else store.for_tenant(tenant)
        self._embed_model = embed_model if isinstance(embed_model, BaseEmbedding) else None
        self._search_params = LLAMA_INDEX_DEFAULTS if search_params is None else search_params

    @classmethod
    def class_name(cls) -> str:
        """Name under which LlamaIndex serialises the component."""
        return "MilvusHybridVectorStore"

    @property
    def client(self) -> Any:
        """The ``MilvusClient``."""
        return self._store.client

    @property
    def aclient(self) -> Any | None:
        """The ``AsyncMilvusClient`` of the running event loop on a served engine (``HybridStore.aclient``)."""
        return self._store.aclient

    @property
    def store(self) -> HybridStore:
        """The core store."""
        return self._store

    @property
    def search_params(self) -> SearchParams:
        """Defaults of every query."""
        return self._search_params

    @property
    def embed_model(self) -> BaseEmbedding:
        """The embedding model of the store's dense vectors; give it to ``VectorStoreIndex``."""
        if self._embed_model is None:
            self._embed_model = MilvusModelEmbedding(self._store.dense)
        return self._embed_model

    # ------------------------------------------------------------------ writes
    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Add or replace nodes; a node without an embedding is embedded by the store's model.

        Args:
            nodes: LlamaIndex nodes with text.
            **add_kwargs: ``batch_size`` and ``show_progress`` of ``HybridStore.add``.

        Returns:
            The node ids.

        Raises:
            InvalidInputError: If a node has no text; nothing is written.
            DimensionMismatchError: If an embedding does not have the collection's dimension.
        """
        if (rows := _rows_to_add(nodes, add_kwargs)) is None:
            return []
        return self._store.add(rows.texts, rows.metadatas, rows.ids, embeddings=rows.embeddings, **add_kwargs)

    async def async_add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """``add`` without blocking the event loop (``HybridStore.aadd``: the async client on a served engine)."""
        if (rows := _rows_to_add(nodes, add_kwargs)) is None:
            return []
        return await self._store.aadd(rows.texts, rows.metadatas, rows.ids, embeddings=rows.embeddings, **add_kwargs)

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Delete the nodes of the source document ``ref_doc_id``.

        Raises:
            InvalidInputError: On an empty id, or any keyword option (this store takes none).
        """
        _no_options("delete", delete_kwargs)
        if not isinstance(ref_doc_id, str) or not ref_doc_id:
            raise InvalidInputError(f"ref_doc_id must be a non-empty string, got {ref_doc_id!r}")
        self._store.delete(filter={"ref_doc_id": ref_doc_id})

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """``delete`` without blocking the event loop (``HybridStore.adelete``)."""
        _no_options("adelete", delete_kwargs)
        if not isinstance(ref_doc_id, str) or not ref_doc_id:
            raise InvalidInputError(f"ref_doc_id must be a non-empty string, got {ref_doc_id!r}")
        await self._store.adelete(filter={"ref_doc_id": ref_doc_id})

    def delete_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None, **delete_kwargs: Any
    ) -> None:
        """Delete nodes by id, by filter, or those of the ids that match the filter.

        Raises:
            InvalidInputError: If neither ids nor filters are given (use ``clear``), or on any
                keyword option (this store takes none).
        """
        _no_options("delete_nodes", delete_kwargs)
        where = to_filter(filters)
        if node_ids is None and where is None:
            raise InvalidInputError("delete_nodes needs node_ids or filters; to delete every node use clear()")
        self._store.delete(node_ids, filter=where)

    async def adelete_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None, **delete_kwargs: Any
    ) -> None:
        """``delete_nodes`` without blocking the event loop (``HybridStore.adelete``)."""
        _no_options("adelete_nodes", delete_kwargs)
        where = to_filter(filters)
        if node_ids is None and where is None:
            raise InvalidInputError("delete_nodes needs node_ids or filters; to delete every node use clear()")
        await self._store.adelete(node_ids, filter=where)

    def clear(self) -> None:
        """Delete every node; the collection and its settings stay."""
        self._store.clear()

    async def aclear(self) -> None:
        """``clear`` in a worker thread."""
        await asyncio.to_thread(self.clear)

    # ------------------------------------------------------------------ reads
    def get_nodes(self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None) -> list[BaseNode]:
        """Nodes by id (in the order given), by filter, or the ids that match the filter, with their embeddings.

        Raises:
            InvalidInputError: If neither ids nor filters are given.
        """
        where = to_filter(filters)
        if node_ids is None and where is None:
            raise InvalidInputError("get_nodes needs node_ids or filters")
        if where is None and node_ids is not None:
            found = self._store.get(node_ids, with_embeddings=True)
        else:
            ids = ids_expression(node_ids) if node_ids is not None else None
            found = list(self._store.documents(filter=where, expr=ids, with_embeddings=True))
        return [document_to_node(d) for d in found]

    async def aget_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        """``get_nodes`` in a worker thread."""
        return await asyncio.to_thread(self.get_nodes, node_ids, filters)

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """Answer a query in any mode of ``queries.QUERY_MODES``.

        Each node's metadata gains its scores and ranks (``score``, ``dense_score``,
        ``sparse_rank``, ...), hidden from the LLM and the embedder; ``similarities`` are the
        scores the nodes are ranked by.

        Raises:
            InvalidInputError: On an unsupported mode or option, or a query with nothing to search with.
            FilterError: On a filter the store cannot express.
        """
        return _result(self._hits(queries.translate(query, self._search_params, kwargs)))

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """``query`` without blocking the event loop; concurrent text queries share Milvus calls."""
        translated = queries.translate(query, self._search_params, kwargs)
        if translated.mmr_candidates is not None or translated.text is None:
            return await asyncio.to_thread(lambda: _result(self._hits(translated)))
        return _result(await self._store.asearch(translated.text, params=translated.params, vector=translated.vector))

    def _hits(self, translated: queries.TranslatedQuery) -> list[Hit]:
        store, params = self._store, translated.params
        if translated.mmr_candidates is not None:
            query = translated.vector if translated.vector is not None else translated.text
            assert query is not None  # a translated query has one or the other
            return store.mmr_search(
                query, params=params, candidates=translated.mmr_candidates, lambda_mult=translated.mmr_lambda
            )
        if translated.text is None:
            assert translated.vector is not None  # a translated query has one or the other
            return store.search_by_vector(translated.vector, params=params)
        return store.search(translated.text, params=params, vector=translated.vector)

    def close(self) -> None:
        """Close the core store (a Milvus Lite file is released for other processes)."""
        self._store.close()


def _result(hits: list[Hit]) -> VectorStoreQueryResult:
    nodes = [node_from_hit(h) for h in hits]
    return VectorStoreQueryResult(nodes=nodes, similarities=[h.score for h in hits], ids=[h.id for h in hits])


def _no_options(method: str, options: dict[str, Any]) -> None:
    """Refuse keyword options a method accepts for LlamaIndex's interface but has no use for."""
    if options:
        raise InvalidInputError(f"{method} takes no option(s) {', '.join(sorted(options))}; this store has none")


def _rows_to_add(nodes: Sequence[BaseNode], options: Mapping[str, Any]) -> NodeRows | None:
    """The rows of ``nodes`` for ``HybridStore.add`` (``None`` for no nodes).

    Raises:
        InvalidInputError: On an unknown option or a node without text.
    """
    unknown = set(options) - _ADD_OPTIONS
    if unknown:
        names = ", ".join(sorted(unknown))
        raise InvalidInputError(f"unknown add option(s): {names}; known: batch_size, show_progress")
    if isinstance(nodes, Sequence) and not isinstance(nodes, str) and len(nodes) == 0:
        return None
    return node_rows(nodes)
