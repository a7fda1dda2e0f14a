"""A LlamaIndex node postprocessor over the core rerankers."""

from __future__ import annotations

import asyncio

from llama_index.core.bridge.pydantic import Field
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import NodeWithScore, QueryBundle

from milvus_model_adapters._fields import RerankerField, TopN
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.rerank import CosineReranker

RETRIEVAL_SCORE = "retrieval_score"


class MilvusModelRerank(BaseNodePostprocessor):
    """Rerank nodes with a pymilvus-model rerank function or a core reranker.

    Keeps the ``top_n`` best nodes; each is a copy whose ``score`` is the reranker's and whose metadata
    keeps the earlier score as ``retrieval_score`` (hidden from the LLM and the embedder).

    Args:
        reranker: The offline ``CosineReranker`` (default), ``CrossEncoderReranker``, the Jina, Cohere or
            Voyage APIs, or any pymilvus-model rerank function.
        top_n: How many nodes to keep.

    Examples:
        ```python
        from llama_index.core.schema import NodeWithScore, TextNode
        from milvus_model_adapters.llama_index import MilvusModelRerank

        nodes = [NodeWithScore(node=TextNode(text="Bread rises with live yeast."), score=0.1),
                 NodeWithScore(node=TextNode(text="Descale the kettle."), score=0.9)]
        best = MilvusModelRerank(top_n=1).postprocess_nodes(nodes, query_str="why does dough rise?")
        print(best[0].node.get_content(), best[0].node.metadata["retrieval_score"])
        ```
    """

    reranker: RerankerField = Field(
        default_factory=CosineReranker, description="A core reranker or pymilvus-model rerank function."
    )
    top_n: TopN = Field(default=3, description="How many nodes to keep.")

    @classmethod
    def class_name(cls) -> str:
        """Name under which LlamaIndex serialises the component."""
        return "MilvusModelRerank"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if query_bundle is None:
            raise InvalidInputError("reranking needs the query: pass query_bundle or query_str")
        if not nodes:
            return []
        texts = [n.node.get_content() or " " for n in nodes]
        hits = self.reranker.rerank(query_bundle.query_str, texts, top_k=self.top_n)
        out = []
        for hit in hits:
            original = nodes[hit.index]
            node = original.node.model_copy()
            node.metadata = {**original.node.metadata, RETRIEVAL_SCORE: original.score}
            node.excluded_llm_metadata_keys = [*original.node.excluded_llm_metadata_keys, RETRIEVAL_SCORE]
            node.excluded_embed_metadata_keys = [*original.node.excluded_embed_metadata_keys, RETRIEVAL_SCORE]
            out.append(NodeWithScore(node=node, score=hit.score))
        return out

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        return await asyncio.to_thread(self._postprocess_nodes, nodes, query_bundle)
