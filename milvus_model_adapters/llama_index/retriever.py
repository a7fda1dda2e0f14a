"""A LlamaIndex retriever over the core hybrid store, and the ingestion path into it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.node_parser import NodeParser, SentenceSplitter
from llama_index.core.schema import BaseNode, Document, MetadataMode, NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import MetadataFilters

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.llama_index.filters import to_filter
from milvus_model_adapters.store.fusion import Ranker
from milvus_model_adapters.store.hybrid import HybridStore
from milvus_model_adapters.store.types import MODES, Hit, SearchMode


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
    are written as they are. Each node keeps its ``node_id`` as the row id and its metadata (plus
    ``ref_doc_id`` when it has a source document).
    """
    if isinstance(documents, BaseNode | str) or not isinstance(documents, Sequence):
        raise InvalidTypeError("documents must be a list of LlamaIndex documents or nodes")
    for i, doc in enumerate(documents):
        if not isinstance(doc, BaseNode):
            raise InvalidTypeError(f"documents[{i}] is a {type(doc).__name__}, not a LlamaIndex document or node")
    if not documents:
        raise InvalidInputError("documents is an empty list; nothing to add")
    nodes: list[BaseNode] = []
    parser = node_parser or SentenceSplitter()
    docs = [d for d in documents if isinstance(d, Document)]
    if docs:
        nodes.extend(parser.get_nodes_from_documents(docs, show_progress=show_progress))
    nodes.extend(d for d in documents if not isinstance(d, Document))
    texts, metas, ids = [], [], []
    for node in nodes:
        text = node.get_content(metadata_mode=MetadataMode.NONE)
        if not text.strip():
            continue
        meta = dict(node.metadata)
        if node.ref_doc_id is not None:
            meta.setdefault("ref_doc_id", node.ref_doc_id)
        texts.append(text)
        metas.append(meta)
        ids.append(node.node_id)
    if not texts:
        raise InvalidInputError("the documents hold no text")
    return store.add(texts, metadatas=metas, ids=ids, show_progress=show_progress, batch_size=batch_size)


def hit_to_node(hit: Hit) -> NodeWithScore:
    """A ``NodeWithScore`` for a hit; scores and ranks go to metadata, hidden from the LLM and embedder."""
    scores = hit.scores()
    meta = {**hit.metadata, **scores}
    node = TextNode(
        id_=hit.id,
        text=hit.text,
        metadata=meta,
        excluded_llm_metadata_keys=list(scores),
        excluded_embed_metadata_keys=list(scores),
    )
    return NodeWithScore(node=node, score=hit.score)


class MilvusHybridRetriever(BaseRetriever):
    """Dense, BM25 or hybrid search over a :class:`~milvus_model_adapters.store.HybridStore`.

    Use it in ``RetrieverQueryEngine`` (with :class:`MilvusModelRerank` in ``node_postprocessors``).

    Example:
        >>> retriever = MilvusHybridRetriever(HybridStore("./li.db"), k=5)  # doctest: +SKIP
        >>> engine = RetrieverQueryEngine.from_args(  # doctest: +SKIP
        ...     retriever, node_postprocessors=[MilvusModelRerank()]
        ... )
    """

    def __init__(
        self,
        store: HybridStore,
        *,
        k: int = 4,
        fetch_k: int | None = None,
        mode: SearchMode = "hybrid",
        ranker: str | Ranker = "rrf",
        rrf_k: int = 60,
        weights: Sequence[float] | None = None,
        filters: MetadataFilters | None = None,
        expr: str | None = None,
        reranker: Any = None,
        rerank_k: int | None = None,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
    ) -> None:
        """Configure the search; see :meth:`HybridStore.search` for the arguments."""
        if not isinstance(store, HybridStore):
            raise InvalidTypeError(f"store must be a HybridStore, got {type(store).__name__}")
        if mode not in MODES:
            raise InvalidInputError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
        self.store = store
        self.k = check_positive_int(k, what="k")
        self.filters = filters
        self._filter = to_filter(filters)
        self._args: dict[str, Any] = {
            "fetch_k": fetch_k,
            "mode": mode,
            "ranker": ranker,
            "rrf_k": rrf_k,
            "weights": weights,
            "expr": expr,
            "reranker": reranker,
            "rerank_k": rerank_k,
        }
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
        """Add documents or nodes to ``store`` (see :func:`add_nodes`) and return a retriever over it."""
        add_nodes(store, documents, node_parser=node_parser, show_progress=show_progress)
        return cls(store, **kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self.store.search(query_bundle.query_str, self.k, filter=self._filter, **self._args)
        return [hit_to_node(h) for h in hits]

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = await self.store.asearch(query_bundle.query_str, self.k, filter=self._filter, **self._args)
        return [hit_to_node(h) for h in hits]
