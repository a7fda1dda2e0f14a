"""The LlamaIndex vector store: query modes against the core's search, hybrid fields, pages, groups, MMR, filters
against LlamaIndex's own evaluation, nodes, get, delete and clear, async, bad input, a query engine in every mode."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import VectorStoreIndex  # noqa: E402
from llama_index.core.llms import MockLLM  # noqa: E402
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode  # noqa: E402
from llama_index.core.vector_stores.types import (  # noqa: E402
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from llama_index.core.vector_stores.utils import build_metadata_filter_fn  # noqa: E402

from milvus_model_adapters.errors import (  # noqa: E402
    DimensionMismatchError,
    FilterError,
    InvalidInputError,
)
from milvus_model_adapters.llama_index import MilvusHybridVectorStore  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402

ROUTE_KEYS = {"score", "dense_score", "dense_rank", "sparse_score", "sparse_rank", "fused_score"}


def _metadata(i: int) -> dict[str, Any]:
    return {
        "topic": "db" if i < 6 else "other",
        "n": i,
        "weight": round(0.25 * i, 2),
        "tags": ["x", "z"] if i % 3 == 0 else (["x"] if i % 2 else ["y"]),
        **({"author": f"a{i % 4}"} if i % 5 else {}),
    }


def _nodes() -> list[TextNode]:
    return [
        TextNode(
            id_=f"node{i}",
            text=text,
            metadata=_metadata(i),
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=f"doc{i // 4}")},
        )
        for i, text in enumerate(CORPUS)
    ]


@pytest.fixture
def vector_store(store: HybridStore) -> MilvusHybridVectorStore:
    vs = MilvusHybridVectorStore(store=store)
    vs.add(_nodes())
    return vs


def _query(
    vs: MilvusHybridVectorStore, text: str, mode: str, k: int = 5, **fields: Any
) -> tuple[list[str], list[float]]:
    embedding = vs.embed_model.get_query_embedding(text)
    result = vs.query(
        VectorStoreQuery(query_str=text, query_embedding=embedding, similarity_top_k=k, mode=mode, **fields)
    )
    assert result.ids is not None and result.similarities is not None
    return result.ids, result.similarities


def test_nodes_round_trip(vector_store: MilvusHybridVectorStore) -> None:
    node = TextNode(
        id_="rich",
        text="Wind tunnels test the lift of a wing model.",
        metadata={"source": "lab.md", "page": 3, "internal": "x"},
        excluded_llm_metadata_keys=["internal"],
        relationships={
            NodeRelationship.SOURCE: RelatedNodeInfo(node_id="lab", metadata={"kind": "manual"}),
            NodeRelationship.PREVIOUS: RelatedNodeInfo(node_id="node7"),
        },
    )
    vector_store.add([node])
    (got,) = vector_store.get_nodes(node_ids=["rich"])
    assert got.node_id == "rich" and got.get_content() == node.get_content()
    assert got.metadata == node.metadata and got.excluded_llm_metadata_keys == ["internal"]
    assert got.ref_doc_id == "lab" and got.relationships == node.relationships
    ids, _ = _query(vector_store, "wing lift in a wind tunnel", "default", k=1)
    (hit,) = (
        vector_store.query(VectorStoreQuery(query_str="wind tunnel wing", similarity_top_k=1, mode="hybrid")).nodes
        or []
    )
    assert ids == ["rich"] and hit.node_id == "rich" and hit.relationships == node.relationships
    assert ROUTE_KEYS - {"fused_score"} <= set(hit.metadata) | {"fused_score"}
    assert set(hit.metadata) - ROUTE_KEYS == set(node.metadata)
    assert ROUTE_KEYS & set(hit.metadata) <= set(hit.excluded_llm_metadata_keys)
    assert ROUTE_KEYS & set(hit.metadata) <= set(hit.excluded_embed_metadata_keys)


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("default", {"mode": "dense"}),
        ("sparse", {"mode": "sparse"}),
        ("text_search", {"mode": "sparse"}),
        ("hybrid", {"mode": "hybrid", "ranker": "rrf"}),
    ],
)
def test_query_modes_equal_the_core_search(vector_store: MilvusHybridVectorStore, mode: str, options: Any) -> None:
    store = vector_store.store
    for text in ("vector database in a local file", "who founded artificial intelligence", "jet thrust"):
        ids, scores = _query(vector_store, text, mode, k=5)
        expected = store.search(text, 5, **options)
        assert ids == [h.id for h in expected]
        np.testing.assert_allclose(scores, [h.score for h in expected], atol=1e-5)


def test_hybrid_alpha_and_top_k_fields(vector_store: MilvusHybridVectorStore) -> None:
    store, text = vector_store.store, "lift and thrust of aircraft"
    for alpha in (0.0, 0.3, 1.0):
        ids, scores = _query(vector_store, text, "hybrid", k=6, alpha=alpha)
        expected = store.search(text, 6, mode="hybrid", weights=(alpha, 1 - alpha))
        assert ids == [h.id for h in expected]
        np.testing.assert_allclose(scores, [h.score for h in expected], atol=1e-5)
    ids, _ = _query(vector_store, text, "hybrid", k=2, hybrid_top_k=7, sparse_top_k=9)
    assert ids == [h.id for h in store.search(text, 7, mode="hybrid", ranker="rrf", fetch_k=9)]
    ids, _ = _query(vector_store, text, "sparse", k=2, sparse_top_k=3)
    assert ids == [h.id for h in store.search(text, 3, mode="sparse")]


def test_pages_through_vector_store_kwargs(vector_store: MilvusHybridVectorStore) -> None:
    """``offset`` in a query's keyword arguments (an index retriever's ``vector_store_kwargs``) skips hits."""
    store, text = vector_store.store, "lift and thrust of aircraft"
    for mode, options in (
        ("default", {"mode": "dense"}),
        ("hybrid", {"ranker": "rrf"}),
        ("sparse", {"mode": "sparse"}),
    ):
        query = VectorStoreQuery(query_str=text, similarity_top_k=3, mode=mode)
        if mode == "default":
            query.query_embedding = vector_store.embed_model.get_query_embedding(text)
        assert vector_store.query(query, offset=2).ids == [h.id for h in store.search(text, 5, **options)[2:]]
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=vector_store.embed_model)
    retriever = index.as_retriever(similarity_top_k=2, vector_store_kwargs={"offset": 1})
    assert [n.node.node_id for n in retriever.retrieve(text)] == [h.id for h in store.search(text, 3, mode="dense")[1:]]


def test_one_node_per_source_document(vector_store: MilvusHybridVectorStore) -> None:
    """``group_by="ref_doc_id"`` in ``vector_store_kwargs``: the best node of each of distinct documents."""
    store, text = vector_store.store, "lift and thrust of aircraft"
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=vector_store.embed_model)
    retriever = index.as_retriever(similarity_top_k=3, vector_store_kwargs={"group_by": "ref_doc_id"})
    nodes = [n.node for n in retriever.retrieve(text)]
    assert len({n.ref_doc_id for n in nodes}) == 3  # the nodes of 12 are children of doc0, doc1, doc2
    assert [n.node_id for n in nodes] == [h.id for h in store.search(text, 3, mode="dense", group_by="ref_doc_id")]
    query = VectorStoreQuery(query_str=text, similarity_top_k=2, mode="hybrid")
    result = vector_store.query(query, group_by="ref_doc_id", group_size=2)
    assert result.ids == [h.id for h in store.search(text, 2, ranker="rrf", group_by="ref_doc_id", group_size=2)]
    assert result.nodes is not None and len({n.ref_doc_id for n in result.nodes}) == 2


def test_mmr_mode(vector_store: MilvusHybridVectorStore) -> None:
    store, text = vector_store.store, "Milvus vector database"
    vector = vector_store.embed_model.get_query_embedding(text)
    dense_ids, _ = _query(vector_store, text, "default", k=4)
    assert _query(vector_store, text, "mmr", k=4, mmr_threshold=1.0)[0] == dense_ids
    diverse, _ = _query(vector_store, text, "mmr", k=4, mmr_threshold=0.2)
    assert diverse == [h.id for h in store.mmr_search(vector, 4, candidates=16, lambda_mult=0.2)]
    query = VectorStoreQuery(query_embedding=vector, similarity_top_k=3, mode="mmr")
    ids = vector_store.query(query, mmr_threshold=0.0, mmr_prefetch_k=12).ids
    assert ids == [h.id for h in store.mmr_search(vector, 3, candidates=12, lambda_mult=0.0)]
    with pytest.raises(InvalidInputError, match="not both"):
        vector_store.query(query, mmr_prefetch_k=5, mmr_prefetch_factor=2.0)
    with pytest.raises(InvalidInputError, match="at least one candidate"):
        vector_store.query(query, mmr_prefetch_k=0)


def _leaf(key: str, op: FilterOperator, value: Any) -> MetadataFilter:
    return MetadataFilter(key=key, value=value, operator=op)


FILTERS = [
    _leaf("topic", FilterOperator.EQ, "db"),
    _leaf("topic", FilterOperator.NE, "db"),
    _leaf("author", FilterOperator.NE, "a1"),
    _leaf("n", FilterOperator.GT, 7),
    _leaf("n", FilterOperator.GTE, 7),
    _leaf("weight", FilterOperator.LT, 1.0),
    _leaf("weight", FilterOperator.LTE, 1.0),
    _leaf("n", FilterOperator.IN, [1, 4, 9]),
    _leaf("author", FilterOperator.NIN, ["a1", "a2"]),
    _leaf("tags", FilterOperator.CONTAINS, "z"),
    _leaf("tags", FilterOperator.ANY, ["y", "z"]),
    _leaf("tags", FilterOperator.ALL, ["x", "z"]),
    _leaf("topic", FilterOperator.TEXT_MATCH, "th"),
    _leaf("author", FilterOperator.TEXT_MATCH, "a1"),
]


def _matches(filters: MetadataFilters, metadata: dict[str, Any]) -> bool:
    """LlamaIndex's own evaluation of filters; nested groups evaluated by the same rule."""
    flat = [f for f in filters.filters if isinstance(f, MetadataFilter)]
    nested = [f for f in filters.filters if isinstance(f, MetadataFilters)]
    results = [build_metadata_filter_fn(lambda _: metadata, MetadataFilters(filters=[f]))("") for f in flat]
    results += [_matches(f, metadata) for f in nested]
    if filters.condition == FilterCondition.OR:
        return any(results)
    if filters.condition == FilterCondition.NOT:
        return not any(results)
    return all(results)


def test_filters_match_llama_index_evaluation(vector_store: MilvusHybridVectorStore) -> None:
    cases = [MetadataFilters(filters=[f]) for f in FILTERS]
    for condition in (FilterCondition.AND, FilterCondition.OR, FilterCondition.NOT):
        cases.append(MetadataFilters(filters=[FILTERS[3], FILTERS[10]], condition=condition))
    cases.append(
        MetadataFilters(
            filters=[FILTERS[1], MetadataFilters(filters=[FILTERS[7], FILTERS[11]], condition=FilterCondition.OR)]
        )
    )
    metadata = {f"node{i}": _metadata(i) for i in range(len(CORPUS))}
    embedding = vector_store.embed_model.get_query_embedding("aircraft")
    for filters in cases:
        if filters.condition == FilterCondition.NOT and not vector_store.store.engine.negation:
            with pytest.raises(FilterError, match="Milvus Lite 2.5 cannot evaluate"):
                vector_store.get_nodes(filters=filters)
            continue
        expected = {i for i, m in metadata.items() if _matches(filters, m)}
        assert {n.node_id for n in vector_store.get_nodes(filters=filters)} == expected, filters
        query = VectorStoreQuery(query_embedding=embedding, similarity_top_k=20, filters=filters)
        assert set(vector_store.query(query).ids or []) == expected, filters
    for refused in (FilterOperator.IS_EMPTY, FilterOperator.TEXT_MATCH_INSENSITIVE):
        with pytest.raises(FilterError, match=f"{refused.value}' cannot run here"):
            vector_store.get_nodes(filters=MetadataFilters(filters=[_leaf("author", refused, "a")]))
    with pytest.raises(FilterError, match="without % or _"):
        vector_store.get_nodes(filters=MetadataFilters(filters=[_leaf("author", FilterOperator.TEXT_MATCH, "a_")]))


def test_doc_ids_and_node_ids_restrict_a_query(vector_store: MilvusHybridVectorStore) -> None:
    embedding = vector_store.embed_model.get_query_embedding("milvus")
    base = {"query_str": "milvus", "query_embedding": embedding, "similarity_top_k": 20}
    for mode in ("default", "sparse", "hybrid"):
        by_doc = vector_store.query(VectorStoreQuery(doc_ids=["doc0"], mode=mode, **base)).ids or []
        assert by_doc and set(by_doc) <= {"node0", "node1", "node2", "node3"}
        by_node = vector_store.query(VectorStoreQuery(node_ids=["node1", "node5"], mode=mode, **base)).ids or []
        assert by_node and set(by_node) <= {"node1", "node5"}


def test_get_nodes_returns_the_stored_embeddings(vector_store: MilvusHybridVectorStore) -> None:
    stored = {d.id: d.embedding for d in vector_store.store.documents(with_embeddings=True)}
    by_id = vector_store.get_nodes(["node3", "node1"])
    db = MetadataFilters(filters=[_leaf("topic", FilterOperator.EQ, "db")])
    for node in [*by_id, *vector_store.get_nodes(filters=db), *vector_store.get_nodes(["node2"], filters=db)]:
        assert node.embedding is not None
        np.testing.assert_allclose(node.embedding, stored[node.node_id], atol=1e-6)


def test_get_delete_and_clear(vector_store: MilvusHybridVectorStore) -> None:
    assert [n.node_id for n in vector_store.get_nodes(["node3", "missing", "node1"])] == ["node3", "node1"]
    db = MetadataFilters(filters=[_leaf("topic", FilterOperator.EQ, "db")])
    assert {n.node_id for n in vector_store.get_nodes(["node1", "node9"], filters=db)} == {"node1"}
    vector_store.delete_nodes(["node1", "node9"], filters=db)
    assert {n.node_id for n in vector_store.get_nodes(["node1", "node9"])} == {"node9"}
    vector_store.delete_nodes(filters=MetadataFilters(filters=[_leaf("n", FilterOperator.GTE, 10)]))
    vector_store.delete_nodes(["node0"])
    vector_store.delete("doc1")  # node4 .. node7
    assert sorted(d.id for d in vector_store.store.documents()) == ["node2", "node3", "node8", "node9"]
    assert vector_store.store.bm25_stats()["corpus_size"] == 4
    with pytest.raises(InvalidInputError, match="clear"):
        vector_store.delete_nodes()
    with pytest.raises(InvalidInputError):
        vector_store.get_nodes()
    vector_store.clear()
    assert vector_store.store.count() == 0 and vector_store.store.bm25_stats()["corpus_size"] == 0
    vector_store.add(_nodes()[:2])
    assert _query(vector_store, "Milvus Lite local file", "sparse", k=1)[0] == ["node1"]


def test_async_variants(vector_store: MilvusHybridVectorStore) -> None:
    async def run() -> None:
        query = VectorStoreQuery(query_str="jet engines", similarity_top_k=3, mode="hybrid")
        assert (await vector_store.aquery(query)).ids == vector_store.query(query).ids
        await vector_store.async_add([TextNode(id_="extra", text="Extra node about turbofan jet engines.")])
        assert [n.node_id for n in await vector_store.aget_nodes(["extra"])] == ["extra"]
        await vector_store.adelete_nodes(["extra"])
        await vector_store.adelete("doc0")
        assert vector_store.store.get(["extra", "node0"]) == []
        await vector_store.aclear()
        assert vector_store.store.count() == 0

    asyncio.run(run())


def test_bad_input_is_refused_before_any_write(vector_store: MilvusHybridVectorStore) -> None:
    count = vector_store.store.count()
    with pytest.raises(InvalidInputError, match="no text"):
        vector_store.add([TextNode(id_="ok", text="fine"), TextNode(id_="empty", text="  ")])
    with pytest.raises(DimensionMismatchError):
        vector_store.add([TextNode(id_="short", text="fine", embedding=[0.1, 0.2])])
    with pytest.raises(InvalidInputError, match="unknown add option"):
        vector_store.add([TextNode(id_="ok", text="fine")], partition="p1")
    assert vector_store.store.count() == count and vector_store.store.get(["ok", "short"]) == []
    for mode in ("svm", "semantic_hybrid", "linear_regression"):
        with pytest.raises(InvalidInputError, match="not supported; use one of default, sparse"):
            vector_store.query(VectorStoreQuery(query_str="x", mode=mode))
    with pytest.raises(InvalidInputError, match="needs query_str"):
        vector_store.query(VectorStoreQuery(query_embedding=[0.0] * 384, mode=VectorStoreQueryMode.SPARSE))
    with pytest.raises(InvalidInputError, match="alpha"):
        _query(vector_store, "x", "hybrid", alpha=1.5)
    with pytest.raises(InvalidInputError, match="vector_store_query_mode"):
        vector_store.query(VectorStoreQuery(query_str="x"), mode="sparse")
    with pytest.raises(InvalidInputError, match="unknown search option"):
        vector_store.query(VectorStoreQuery(query_str="x"), fuzion="server")
    with pytest.raises(InvalidInputError, match="ref_doc_id"):
        vector_store.delete("")
    with pytest.raises(DimensionMismatchError):
        vector_store.query(VectorStoreQuery(query_embedding=[0.5, 0.5], similarity_top_k=2))


def test_query_engine_in_every_mode(vector_store: MilvusHybridVectorStore) -> None:
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=vector_store.embed_model)
    for mode in ("default", "sparse", "text_search", "hybrid", "mmr"):
        engine = index.as_query_engine(llm=MockLLM(), vector_store_query_mode=mode, similarity_top_k=2)
        response = engine.query("Where was Turing born?")
        assert "Maida Vale" in str(response), mode
        assert response.source_nodes[0].node.metadata["topic"] == "other"
