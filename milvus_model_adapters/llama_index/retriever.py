"""A LlamaIndex retriever over the core hybrid store, and the ingestion path into it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Unpack

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.node_parser import NodeParser, SentenceSplitter
from llama_index.core.schema import BaseNode, Document, MetadataMode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores.types import MetadataFilters

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.llama_index.filters import to_filter
from milvus_model_adapters.llama_index.nodes import node_rows, scored_node_from_hit
from milvus_model_adapters.llama_index.queries import LLAMA_INDEX_DEFAULTS
from milvus_model_adapters.store import HybridStore, SearchOptions, SearchParams


def add_nodes(
    store: HybridStore,
    documents: Sequence[BaseNode],
    *,
    node_parser: NodeParser | None = None,
    show_progress: bool = False,
    batch_size: int = 1024,
) -> list[str]:
    """Write LlamaIndex documents or nodes into the store; returns the node ids.

    ``Document`` objects are split by ``node_parser`` (a ``SentenceSplitter`` by default); nodes
    are written as they are, in the layout of ``milvus_model_adapters.llama_index.nodes``: each keeps
    its ``node_id`` as the row id, its metadata, relationships and ``ref_doc_id``. Nodes without text
    are skipped.
    """
    if isinstance(documents, BaseNode | str) or not isinstance(documents, Sequence):
        raise InvalidTypeError("documents must be a list of LlamaIndex documents or nodes")
    for i, doc in enumerate(documents):
        if not isinstance(doc, BaseNode):
            raise InvalidTypeError(f"documents[{i}] is a {type(doc).__name__}, not a LlamaIndex document or node")
    if not documents:
        raise InvalidInputError("documents is an empty list; nothing to add")
    parser = node_parser or SentenceSplitter()
    docs = [d for d in documents if isinstance(d, Document)]
    nodes = list(parser.get_nodes_from_documents(docs, show_progress=show_progress)) if docs else []
    nodes.extend(d for d in documents if not isinstance(d, Document))
    nodes = [n for n in nodes if n.get_content(metadata_mode=MetadataMode.NONE).strip()]
    if not nodes:
        raise InvalidInputError("the documents hold no text")
    rows = node_rows(nodes)
    return store.add(
        rows.texts,
        metadatas=rows.metadatas,
        ids=rows.ids,
        embeddings=rows.embeddings,
        show_progress=show_progress,
        batch_size=batch_size,
    )


class MilvusHybridRetriever(BaseRetriever):
    """Dense, BM25 or hybrid search over a ``HybridStore``.

    Use it in ``RetrieverQueryEngine`` (with ``MilvusModelRerank`` in ``node_postprocessors``). Each
    node's metadata holds its scores and ranks (``dense_rank``, ``sparse_score``, ...). Hybrid search fuses
    by RRF (k=60) unless ``ranker`` says otherwise, as the vector store does.

    Args:
        store: The store to search.
        filters: LlamaIndex metadata filters (or the core's ``filter=`` dictionary).
        params: Search settings; four nodes and the adapters' defaults otherwise.
        **options: Search options that override ``params`` (``k``, ``mode``, ``ranker``, ``reranker``, ...).

    Examples:
        `pip install "milvus-model-adapters[llama-index]"`

        ```python
        from llama_index.core import Document
        from milvus_model_adapters import HybridStore
        from milvus_model_adapters.llama_index import MilvusHybridRetriever, MilvusModelRerank

        store = HybridStore("./llama_retriever.db", drop_existing=True)
        retriever = MilvusHybridRetriever.from_documents(
            [Document(text="Descale the kettle every month."), Document(text="Dough rises with live yeast.")],
            store,
            k=2,
        )
        nodes = retriever.retrieve("how often should I descale?")
        best = MilvusModelRerank(top_n=1).postprocess_nodes(nodes, query_str="how often should I descale?")
        print(best[0].node.get_content())
        ```
    """

    def __init__(
        self,
        store: HybridStore,
        *,
        filters: MetadataFilters | None = None,
        params: SearchParams | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
        **options: Unpack[SearchOptions],
    ) -> None:
        """Configure the search.

        Args:
            store: The store to search.
            filters: LlamaIndex metadata filters (or pass the core's ``filter=`` dictionary).
            params: Search settings; four hits and the core's defaults otherwise.
            callback_manager: LlamaIndex callback manager.
            verbose: LlamaIndex verbosity.
            **options: Search options that override ``params`` (see ``SearchParams``).

        Raises:
            InvalidInputError: On an unknown option or an invalid value, or both ``filters`` and ``filter``.
        """
        if not isinstance(store, HybridStore):
            raise InvalidTypeError(f"store must be a HybridStore, got {type(store).__name__}")
        if filters is not None:
            if "filter" in options:
                raise InvalidInputError("pass either filters (MetadataFilters) or filter (a dict), not both")
            options["filter"] = to_filter(filters)
        self.store = store
        self.filters = filters
        self.params = (params if params is not None else LLAMA_INDEX_DEFAULTS).replace(**options)
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[BaseNode],
        store: HybridStore,
        *,
        node_parser: NodeParser | None = None,
        show_progress: bool = False,
        **kwargs: Any,
    ) -> MilvusHybridRetriever:
        """Add documents or nodes to ``store`` (see ``add_nodes``) and return a retriever over it."""
        add_nodes(store, documents, node_parser=node_parser, show_progress=show_progress)
        return cls(store, **kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [scored_node_from_hit(h) for h in self.store.search(query_bundle.query_str, params=self.params)]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [scored_node_from_hit(h) for h in await self.store.asearch(query_bundle.query_str, params=self.params)]
