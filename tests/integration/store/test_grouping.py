"""One hit per document (``group_by``) on a real engine, checked against a grouping done here in Python."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from milvus_model_adapters import InvalidInputError
from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.rerank import CosineReranker
from milvus_model_adapters.store import Hit, HybridStore, Weighted
from tests.support.corpus import CORPUS

DIM = 8
WORDS = [f"w{i}" for i in range(24)]


class _Given:
    """A dense function for vectors given with the rows and the queries (8 dimensions)."""

    dim = DIM

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        rng = np.random.default_rng(len(texts))
        return rng.standard_normal((len(texts), DIM)).astype(np.float32)

    encode_queries = encode_documents


def _rows() -> tuple[list[str], list[dict[str, Any]], np.ndarray]:
    """Chunks of 30 sources (1 to 12 chunks each, some sources numbers rather than strings), 10 chunks without one."""
    rng = np.random.default_rng(5)
    texts, metadatas = [], []
    for source in range(30):
        for chunk in range(int(rng.integers(1, 13))):
            texts.append(" ".join(rng.choice(WORDS, size=6)))
            metadatas.append({"source": source if source % 7 == 0 else f"doc-{source}", "chunk": chunk})
    for chunk in range(10):
        texts.append(" ".join(rng.choice(WORDS, size=6)))
        metadatas.append({"chunk": chunk})
    return texts, metadatas, rng.standard_normal((len(texts), DIM)).astype(np.float32)


@pytest.fixture(params=["lite", pytest.param("server", marks=pytest.mark.network)])
def chunks(request: pytest.FixtureRequest, db_path: str) -> Iterator[tuple[HybridStore, np.ndarray]]:
    """A store of chunked sources, on a Milvus Lite file and on a served engine, and its dense vectors."""
    if request.param == "lite":
        store = HybridStore(db_path, dense=DenseEncoder(_Given()))
    else:
        uri, name = request.getfixturevalue("server_uri"), "g_" + uuid.uuid4().hex[:12]
        store = HybridStore(uri, name, dense=DenseEncoder(_Given()), drop_existing=True)
    texts, metadatas, vectors = _rows()
    store.add(texts, metadatas=metadatas, ids=[f"c{i:03d}" for i in range(len(texts))], embeddings=vectors.tolist())
    yield store, vectors
    if not store.is_local:
        store.drop()
    store.close()


def _group_of(hit: Hit) -> object:
    source = hit.metadata.get("source", ("alone", hit.id))
    return (type(source).__name__, source)


def _python_groups(hits: list[Hit], size: int) -> list[list[Hit]]:
    """The grouping, written here independently: first appearance orders groups, each keeps its first hits."""
    order: list[object] = []
    members: dict[object, list[Hit]] = {}
    for hit in hits:
        key = _group_of(hit)
        if key not in members:
            order.append(key)
            members[key] = []
        if len(members[key]) < size:
            members[key].append(hit)
    return [members[key] for key in order]


def test_dense_groups_are_the_sources_of_the_best_chunks(chunks: tuple[HybridStore, np.ndarray]) -> None:
    """Exact dense search grouped by source equals NumPy's: sources ranked by their best chunk, each group
    holding the best of its chunks the search reached (up to ``group_size``, as Milvus's grouping search)."""
    store, vectors = chunks
    _, metadatas, _ = _rows()
    ids = [f"c{i:03d}" for i in range(len(vectors))]
    rng = np.random.default_rng(9)
    for query in rng.standard_normal((6, DIM)).astype(np.float32):
        order = np.argsort(-(vectors @ query), kind="stable")
        for k, size, offset in ((5, 1, 0), (4, 3, 0), (3, 2, 4)):
            expected: dict[object, list[str]] = {}
            for i in order:
                source = metadatas[i].get("source", ("alone", ids[i]))
                group = expected.setdefault((type(source).__name__, source), [])
                if len(group) < size:
                    group.append(ids[i])
            want = list(expected.values())[offset : offset + k]
            got = store.search_by_vector(query.tolist(), k, group_by="source", group_size=size, offset=offset)
            got_groups = _python_groups(got, size)
            assert [group[0].id for group in got_groups] == [group[0] for group in want]  # the best chunk of each
            for found, best in zip(got_groups, want, strict=True):
                # The best chunks of the source among those the search reached: a prefix of all its best ones.
                assert [h.id for h in found] == best[: len(found)]
            if size == 1:
                assert [h.id for h in got] == [group[0] for group in want]


OPTIONS: list[dict[str, object]] = [
    {"mode": "dense"},
    {"mode": "sparse"},
    {},
    {"ranker": "rrf"},
    {"ranker": "rrf", "fusion": "server"},
    {"ranker": Weighted((0.7, 0.3), normalization="arctan"), "fusion": "server"},
]


@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_groups_are_those_of_the_plain_search_deep_enough_to_hold_them(
    chunks: tuple[HybridStore, np.ndarray], options: dict[str, Any]
) -> None:
    """Every mode and fusion: the groups of a plain search of twice the hits asked, four times deeper until
    it holds ``k`` groups or found every hit; per-route scores and ranks as that search gave them."""
    store, _ = chunks
    queries = ["w1 w2 w3", "w7", "w20 w21 w5 w9", "w0 w0 w11"]
    vectors = np.random.default_rng(3).standard_normal((len(queries), DIM)).astype(np.float32)
    deepened = 0
    for k, size in ((4, 1), (6, 2), (35, 1)):
        grouped = store.search_many(queries, k, vectors=vectors.tolist(), group_by="source", group_size=size, **options)
        for query, vector, got in zip(queries, vectors, grouped, strict=True):
            depth = 2 * k * size
            while True:
                plain = store.search(query, depth, vector=vector.tolist(), **options)
                found = _python_groups(plain, size)
                if len(found) >= k or len(plain) < depth:
                    break
                depth, deepened = depth * 4, deepened + 1
            want = [h for group in found[:k] for h in group]
            assert [h.id for h in got] == [h.id for h in want]
            for hit, expected in zip(got, want, strict=True):
                assert hit.scores() == pytest.approx(expected.scores(), rel=1e-5, abs=1e-6)
            assert len({_group_of(h) for h in got}) == min(k, len(found))
    assert deepened > 0  # some query needed a deeper search: the rounds are exercised


def test_rerank_comes_before_grouping(chunks: tuple[HybridStore, np.ndarray]) -> None:
    store, _ = chunks
    vector = np.random.default_rng(4).standard_normal(DIM).astype(np.float32).tolist()
    reranker = CosineReranker(store.dense)
    got = store.search("w3 w4", 3, vector=vector, reranker=reranker, group_by="source")
    plain = store.search("w3 w4", 6, vector=vector, reranker=reranker)
    assert [h.id for h in got] == [g[0].id for g in _python_groups(plain, 1)[:3]]


def test_fewer_groups_than_asked_and_hits_without_the_key(filled_store: HybridStore) -> None:
    store = filled_store  # metadata "topic" is "db" or "other"
    topics = store.search("vector database", 5, group_by="topic", group_size=2)
    assert len(topics) == 4 and len({h.metadata["topic"] for h in topics}) == 2  # every group there is
    assert [h.id for h in topics] == [
        h.id for g in _python_groups_by(store.search("vector database", 20), "topic", 2) for h in g
    ]
    alone = store.search("vector database", 5, group_by="no such key")
    assert [h.id for h in alone] == [h.id for h in store.search("vector database", 5)]  # each hit its own group
    assert store.search("vector database", 2, group_by="topic", offset=2) == []


def _python_groups_by(hits: list[Hit], key: str, size: int) -> list[list[Hit]]:
    groups: dict[object, list[Hit]] = {}
    for hit in hits:
        group = groups.setdefault(hit.metadata.get(key, hit.id), [])
        if len(group) < size:
            group.append(hit)
    return list(groups.values())


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"group_size": 2}, "group_size applies to grouped search"),
        ({"group_by": ""}, "group_by must name a metadata key"),
        ({"group_by": 3}, "group_by must name a metadata key"),
        ({"group_by": "source", "group_size": 0}, "group_size"),
        ({"group_by": "source", "group_size": 5000, "k": 4}, "group_size must be at most"),
    ],
)
def test_invalid_grouping_is_refused(filled_store: HybridStore, options: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        filled_store.search(CORPUS[0], **options)


def test_mmr_refuses_grouping(filled_store: HybridStore) -> None:
    with pytest.raises(InvalidInputError, match="group_by does not apply"):
        filled_store.mmr_search(CORPUS[0], 3, group_by="topic")


def test_groups_agree_with_milvus_grouping_search_on_the_same_rows(chunks: tuple[HybridStore, np.ndarray]) -> None:
    """Milvus groups by a scalar field (not a JSON key): the same rows with ``source`` as a field of its own,
    searched with ``group_by_field``, give the store's groups: the same sources, best chunk first."""
    from pymilvus import DataType

    store, vectors = chunks
    _, metadatas, _ = _rows()
    client, name = store.client, f"{store.collection}_raw"
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=16)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=DIM)
    schema.add_field("source", DataType.VARCHAR, max_length=32)
    index = client.prepare_index_params()
    index.add_index(field_name="dense", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)
    try:
        rows = [
            {"id": f"c{i:03d}", "dense": v.tolist(), "source": repr(m.get("source", f"alone-{i}"))}
            for i, (v, m) in enumerate(zip(vectors, metadatas, strict=True))
        ]
        client.insert(name, rows)
        client.load_collection(name)
        source_of = {r["id"]: r["source"] for r in rows}
        for query in np.random.default_rng(12).standard_normal((5, DIM)).astype(np.float32):
            for size in (1, 3):
                theirs = client.search(
                    name,
                    [query.tolist()],
                    anns_field="dense",
                    limit=5,
                    group_by_field="source",
                    group_size=size,
                    output_fields=["source"],
                    search_params={"metric_type": "IP"},
                )[0]
                ours = store.search_by_vector(query.tolist(), 5, group_by="source", group_size=size)
                firsts = list(dict.fromkeys(h["entity"]["source"] for h in theirs))
                groups = _python_groups(ours, size)
                assert [source_of[g[0].id] for g in groups] == firsts  # the same sources, in the same order
                best = {h["entity"]["source"]: h["id"] for h in reversed(theirs)}  # each source's first hit
                assert [g[0].id for g in groups] == [best[s] for s in firsts]
    finally:
        client.drop_collection(name)
