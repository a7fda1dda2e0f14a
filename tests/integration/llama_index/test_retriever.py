"""The LlamaIndex retriever over a store: nodes and scores, ``MetadataFilters``, async, ingestion through a node
parser, a query engine with the reranker, search options, bad arguments."""

from __future__ import annotations

import pytest

pytest.importorskip("llama_index.core", reason="LlamaIndex adapters need the 'llama-index' extra")

from llama_index.core.llms import MockLLM  # noqa: E402
from llama_index.core.query_engine import RetrieverQueryEngine  # noqa: E402
from llama_index.core.schema import Document  # noqa: E402
from llama_index.core.vector_stores.types import (  # noqa: E402
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError  # noqa: E402
from milvus_model_adapters.llama_index import (  # noqa: E402
    MilvusHybridRetriever,
    MilvusModelRerank,
    add_nodes,
    to_filter,
)
from milvus_model_adapters.rerank import CosineReranker  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


def test_retriever_nodes_and_filters(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(filled_store, k=3)
    nodes = r.retrieve("vector database similarity search")
    assert nodes[0].node.node_id == "doc0" and nodes[0].score == nodes[0].node.metadata["fused_score"]
    assert "dense_rank" in nodes[0].node.excluded_llm_metadata_keys
    filters = MetadataFilters(
        filters=[
            MetadataFilter(key="topic", value="other"),
            MetadataFilter(key="n", value=9, operator=FilterOperator.LTE),
        ]
    )
    got = MilvusHybridRetriever(filled_store, k=10, filters=filters).retrieve("milvus")
    assert got and all(n.node.metadata["topic"] == "other" and n.node.metadata["n"] <= 9 for n in got)


async def test_retriever_async_equals_sync(filled_store: HybridStore) -> None:
    r = MilvusHybridRetriever(filled_store, k=3, mode="sparse")
    sync = [(n.node.node_id, n.score) for n in r.retrieve("jet engines")]
    assert [(n.node.node_id, n.score) for n in await r.aretrieve("jet engines")] == sync


def test_filter_translation() -> None:
    f = MetadataFilters(
        filters=[
            MetadataFilter(key="a", value=1),
            MetadataFilters(
                filters=[
                    MetadataFilter(key="b", value=["x"], operator=FilterOperator.IN),
                    MetadataFilter(key="t", value="y", operator=FilterOperator.CONTAINS),
                ],
                condition=FilterCondition.OR,
            ),
        ]
    )
    assert to_filter(f) == {"$and": [{"a": {"$eq": 1}}, {"$or": [{"b": {"$in": ["x"]}}, {"t": {"$contains": "y"}}]}]}
    assert to_filter(None) is None
    match = MetadataFilters(filters=[MetadataFilter(key="a", value="x", operator=FilterOperator.TEXT_MATCH)])
    assert to_filter(match) == {"a": {"$like": "%x%"}}


def test_contains_filters_on_real_milvus(filled_store: HybridStore) -> None:
    odd = MetadataFilters(filters=[MetadataFilter(key="tags", value="x", operator=FilterOperator.CONTAINS)])
    got = MilvusHybridRetriever(filled_store, k=20, filters=odd).retrieve("milvus")
    assert got and all(int(n.node.node_id[3:]) % 2 == 1 for n in got)


def test_query_engine_with_postprocessor_and_mock_llm(filled_store: HybridStore, dense_encoder: DenseEncoder) -> None:
    retriever = MilvusHybridRetriever(filled_store, k=5)
    engine = RetrieverQueryEngine.from_args(
        retriever,
        llm=MockLLM(),
        node_postprocessors=[MilvusModelRerank(reranker=CosineReranker(dense_encoder), top_n=2)],
        response_mode="simple_summarize",
    )
    response = engine.query("Who conducted early research in AI?")
    # MockLLM echoes the prompt: the retrieved and reranked context reached the LLM.
    assert "Alan Turing was the first person" in str(response)
    assert len(response.source_nodes) == 2 and "retrieval_score" in response.source_nodes[0].node.metadata
    assert "dense_rank" not in str(response)  # scores are hidden from the LLM


def test_ingestion_from_documents_with_node_parser(store: HybridStore) -> None:
    from llama_index.core.node_parser import SentenceSplitter

    docs = [Document(text=" ".join(CORPUS), metadata={"source": "corpus.txt"}, doc_id="whole")]
    r = MilvusHybridRetriever.from_documents(
        docs, store, node_parser=SentenceSplitter(chunk_size=40, chunk_overlap=0), k=2
    )
    assert store.count() > 1
    nodes = r.retrieve("jet engine thrust")
    assert nodes[0].node.metadata["source"] == "corpus.txt" and nodes[0].node.ref_doc_id == "whole"
    with pytest.raises(InvalidInputError):
        add_nodes(store, [])
    with pytest.raises(InvalidTypeError):
        add_nodes(store, "text")  # type: ignore[arg-type]


def test_bad_retriever_arguments(filled_store: HybridStore) -> None:
    with pytest.raises(InvalidInputError):
        MilvusHybridRetriever(filled_store, k=0)
    with pytest.raises(InvalidInputError):
        MilvusHybridRetriever(filled_store, mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError):
        MilvusHybridRetriever("not a store")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="empty"):
        MilvusHybridRetriever(filled_store).retrieve("")


def test_search_options_reach_the_llama_index_retriever(filled_store: HybridStore) -> None:
    q = "vector database similarity search"
    expected = [h.id for h in filled_store.search(q, 4, fusion="server", ranker="rrf")]
    retriever = MilvusHybridRetriever(filled_store, fusion="server", ranker="rrf")
    assert [n.node.node_id for n in retriever.retrieve(q)] == expected
    paged = MilvusHybridRetriever(filled_store, k=2, offset=2, fusion="server", ranker="rrf")
    assert [n.node.node_id for n in paged.retrieve(q)] == expected[2:]
    with pytest.raises(InvalidInputError, match="unknown search option.*fuzion"):
        MilvusHybridRetriever(filled_store, fuzion="server")  # type: ignore[call-arg]
    flt = MetadataFilters(filters=[MetadataFilter(key="topic", value="db")])
    with pytest.raises(InvalidInputError, match="not both"):
        MilvusHybridRetriever(filled_store, filters=flt, filter={"topic": "db"})
