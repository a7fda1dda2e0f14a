"""LlamaIndex nodes as store rows and back.

A node is stored as its text, its metadata (flat, so filters reach every key) and LlamaIndex's own
serialisation of the rest (``_node_content``, ``_node_type``, ``ref_doc_id``, ``doc_id``,
``document_id``: ``llama_index.core.vector_stores.utils.node_to_metadata_dict``), the layout
LlamaIndex's vector stores share. Rows written without a node (by the core store or LangChain)
come back as a ``TextNode`` with the row's id, text and metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode, NodeWithScore, TextNode
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store import Document, Hit

NODE_CONTENT_KEY = "_node_content"
"""The metadata key of LlamaIndex's serialised node."""


@dataclass(frozen=True)
class NodeRows:
    """Nodes ready for ``HybridStore.add <milvus_model_adapters.store.HybridStore.add>``."""

    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: list[list[float]] | None
    """Every node's embedding, or ``None`` when some node has none (the store then encodes the texts)."""


def node_rows(nodes: Sequence[BaseNode]) -> NodeRows:
    """Check nodes and lay them out as rows.

    Raises:
        InvalidTypeError: If ``nodes`` is not a list of nodes.
        InvalidInputError: If a node has no text (the sparse route and the store need one).
    """
    if isinstance(nodes, BaseNode | str) or not isinstance(nodes, Sequence):
        raise InvalidTypeError("nodes must be a list of LlamaIndex nodes")
    ids, texts, metadatas, embeddings = [], [], [], []
    for i, node in enumerate(nodes):
        if not isinstance(node, BaseNode):
            raise InvalidTypeError(f"nodes[{i}] is a {type(node).__name__}, not a LlamaIndex node")
        text = node.get_content(metadata_mode=MetadataMode.NONE)
        if not text.strip():
            raise InvalidInputError(f"nodes[{i}] (id {node.node_id!r}) has no text; nothing was written")
        ids.append(node.node_id)
        texts.append(text)
        metadatas.append(node_to_metadata_dict(node, remove_text=True, flat_metadata=False))
        embeddings.append(node.embedding)
    complete = all(e is not None for e in embeddings)
    return NodeRows(ids, texts, metadatas, [list(e) for e in embeddings if e is not None] if complete else None)


def document_to_node(doc: Document) -> BaseNode:
    """The node a stored document was written from, or a ``TextNode`` of its id, text and metadata."""
    if NODE_CONTENT_KEY in doc.metadata:
        node = metadata_dict_to_node(doc.metadata, text=doc.text)
        node.embedding = doc.embedding
        return node
    return TextNode(id_=doc.id, text=doc.text, metadata=dict(doc.metadata), embedding=doc.embedding)


def node_from_hit(hit: Hit) -> BaseNode:
    """The node of a hit; its scores, ranks and highlights go to metadata, hidden from the LLM and embedder."""
    node = document_to_node(Document(hit.id, hit.text, hit.metadata))
    added = {**hit.scores(), **hit.annotations()}
    node.metadata.update(added)
    for keys in (node.excluded_llm_metadata_keys, node.excluded_embed_metadata_keys):
        keys.extend(k for k in added if k not in keys)
    return node


def scored_node_from_hit(hit: Hit) -> NodeWithScore:
    """``node_from_hit`` with the hit's score."""
    return NodeWithScore(node=node_from_hit(hit), score=hit.score)
