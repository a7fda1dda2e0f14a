from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("llama_index.core", reason="LlamaIndex adapters need the 'llama-index' extra")

from llama_index.core import Settings, VectorStoreIndex  # noqa: E402
from llama_index.core.base.embeddings.base_sparse import BaseSparseEmbedding  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402
from llama_index.core.query_engine import RetrieverQueryEngine  # noqa: E402
from llama_index.core.schema import Document, NodeWithScore, QueryBundle, TextNode  # noqa: E402
from llama_index.core.vector_stores.types import (  # noqa: E402
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, NotFittedError  # noqa: E402
from milvus_model_adapters.llama_index import (  # noqa: E402
    MilvusHybridRetriever,
    MilvusModelEmbedding,
    MilvusModelRerank,
    MilvusModelSparseEmbedding,
    add_nodes,
    to_filter,
)
from milvus_model_adapters.rerank import CosineReranker  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


def test_embedding_paths_and_batch(dense_encoder: DenseEncoder) -> None:
    emb = MilvusModelEmbedding(dense_encoder)
    q = emb.get_query_embedding("hello")
    assert len(q) == 384 and all(type(x) is float for x in q)
    batch = emb.get_text_embedding_batch(CORPUS[:5])
    assert len(batch) == 5
    assert batch[0] == pytest.approx(emb.get_text_embedding(CORPUS[0]), abs=1e-6)


async def test_embedding_async(dense_encoder: DenseEncoder) -> None:
    emb = MilvusModelEmbedding(dense_encoder)
    assert await emb.aget_query_embedding("hi") == pytest.approx(emb.get_query_embedding("hi"), abs=1e-6)
    assert len(await emb.aget_text_embedding_batch(CORPUS[:3])) == 3


def test_embedding_as_settings_embed_model_in_vector_store_index(dense_encoder: DenseEncoder) -> None:
    old = Settings._embed_model  # reading Settings.embed_model would resolve the OpenAI default
    try:
        Settings.embed_model = MilvusModelEmbedding(dense_encoder)
        index = VectorStoreIndex.from_documents([Document(text=t) for t in CORPUS])
        nodes = index.as_retriever(similarity_top_k=1).retrieve("Who was Alan Turing?")
        assert "Turing" in nodes[0].node.get_content()
    finally:
        Settings._embed_model = old


def milvus_vector_store() -> None:
    """Skip unless LlamaIndex's Milvus store is installed (stack B: it needs pymilvus < 3)."""
    pytest.importorskip(
        "llama_index.vector_stores.milvus",
        reason="llama-index-vector-stores-milvus is not installed here (it needs pymilvus < 3)",
    )


def test_sparse_is_both_interfaces() -> None:
    milvus_vector_store()
    from llama_index.vector_stores.milvus.utils import BaseSparseEmbeddingFunction

    sparse = MilvusModelSparseEmbedding.bm25(corpus=CORPUS)
    assert isinstance(sparse, BaseSparseEmbedding) and isinstance(sparse, BaseSparseEmbeddingFunction)
    assert sparse.get_query_embedding("vector database") == sparse.encode_queries(["vector database"])[0]
    assert len(sparse.encode_documents(CORPUS)) == len(CORPUS)
    assert sparse.get_text_embedding_batch(CORPUS[:2]) == sparse.encode_documents(CORPUS[:2])
    with pytest.raises(NotFittedError):
        MilvusModelSparseEmbedding.bm25().encode_queries(["x"])


def test_drop_in_milvus_vector_store_hybrid(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    milvus_vector_store()
    from llama_index.core import StorageContext
    from llama_index.core.vector_stores.types import VectorStoreQueryMode
    from llama_index.vector_stores.milvus import MilvusVectorStore

    sparse = MilvusModelSparseEmbedding.bm25(corpus=CORPUS)
    vector_store = MilvusVectorStore(
        uri=str(tmp_path / "li.db"),
        dim=384,
        overwrite=True,
        enable_sparse=True,
        sparse_embedding_function=sparse,
        hybrid_ranker="RRFRanker",
        hybrid_ranker_params={"k": 60},
        use_async_client=False,  # its async client needs a running event loop at construction
    )
    index = VectorStoreIndex.from_documents(
        [Document(text=t) for t in CORPUS],
        storage_context=StorageContext.from_defaults(vector_store=vector_store),
        embed_model=MilvusModelEmbedding(dense_encoder),
    )
    retriever = index.as_retriever(vector_store_query_mode=VectorStoreQueryMode.HYBRID, similarity_top_k=2)
    nodes = retriever.retrieve("inverse document frequency ranking")
    assert nodes[0].node.get_content() == CORPUS[2]


def test_postprocessor_reranks_and_keeps_retrieval_score(dense_encoder: DenseEncoder) -> None:
    nodes = [NodeWithScore(node=TextNode(text=t, id_=str(i)), score=0.5) for i, t in enumerate(CORPUS)]
    pp = MilvusModelRerank(reranker=CosineReranker(dense_encoder), top_n=2)
    out = pp.postprocess_nodes(nodes, query_str="Who was Alan Turing?")
    assert [n.node.node_id for n in out][0] in {"9", "10"} and len(out) == 2
    assert out[0].node.metadata["retrieval_score"] == 0.5
    assert "retrieval_score" in out[0].node.excluded_llm_metadata_keys
    assert "retrieval_score" not in nodes[9].node.metadata
    with pytest.raises(InvalidInputError, match="needs the query"):
        pp.postprocess_nodes(nodes)
    with pytest.raises(ValueError, match="top_n must be > 0"):
        MilvusModelRerank(reranker=CosineReranker(dense_encoder), top_n=0)


async def test_postprocessor_async(dense_encoder: DenseEncoder) -> None:
    nodes = [NodeWithScore(node=TextNode(text=t, id_=str(i)), score=0.5) for i, t in enumerate(CORPUS)]
    pp = MilvusModelRerank(reranker=CosineReranker(dense_encoder), top_n=3)
    out = await pp.apostprocess_nodes(nodes, query_bundle=QueryBundle("jet engine thrust"))
    assert out[0].node.node_id == "7"


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


def test_cross_framework_same_ids_and_scores(store: HybridStore) -> None:
    from langchain_core.documents import Document as LCDocument

    from milvus_model_adapters.langchain import MilvusHybridRetriever as LCRetriever
    from milvus_model_adapters.langchain import MilvusHybridVectorStore

    # Written through LangChain, read through LlamaIndex.
    MilvusHybridVectorStore(store=store).add_documents(
        [LCDocument(page_content=t, metadata={"n": i}, id=f"lc{i}") for i, t in enumerate(CORPUS[:6])]
    )
    # Written through LlamaIndex, read through LangChain.
    add_nodes(store, [TextNode(text=t, id_=f"li{i}", metadata={"n": i}) for i, t in enumerate(CORPUS[6:])])
    query = "database for vectors"
    for ranker in ("rrf", "weighted"):  # each framework's default is its peers' (RRF here, weighted there)
        li = [(n.node.node_id, n.score) for n in MilvusHybridRetriever(store, k=12, ranker=ranker).retrieve(query)]
        lc = [(d.id, d.metadata["score"]) for d in LCRetriever(store=store, k=12, ranker=ranker).invoke(query)]
        assert li == lc
    assert {i for i, _ in li} == {f"lc{i}" for i in range(6)} | {f"li{i}" for i in range(6)}


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
