"""Native async on a served engine: the async methods send their calls with pymilvus's ``AsyncMilvusClient``.

On a served engine (Milvus Lite 2.5 on stack B, Milvus Lite 3 on stack A) ``asearch``, ``asearch_many``,
``aadd`` and ``adelete`` run with the blocking client taken away and answer as the blocking methods do; on a
Milvus Lite file they run the blocking methods in a worker thread. The frameworks' async methods go through them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from milvus_model_adapters import HybridStore
from tests.support.corpus import CORPUS, SEARCH_KINDS
from tests.support.fixed_dense import HashDense

QUERIES = ["vector database", "keyword ranking", "local file", "similarity search", "BM25"]
KINDS: list[dict[str, Any]] = [
    *SEARCH_KINDS,
    {"mode": "dense", "radius": 0.5},
    {"reranker": "cosine"},
]
METADATAS = [{"topic": "db" if i < 6 else "other", "n": i} for i in range(len(CORPUS))]
IDS = [f"doc{i}" for i in range(len(CORPUS))]


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the blocking client was called")


def _refuse_rows_of(store: HybridStore, monkeypatch: pytest.MonkeyPatch, methods: tuple[str, ...]) -> None:
    """The blocking client refuses ``methods`` on the store's collection (its BM25 statistics stay the source's)."""
    for method in methods:
        original = getattr(store.client, method)

        def guarded(collection: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if collection == store.collection:
                raise AssertionError("the blocking client wrote the collection's rows")
            return _original(collection, *args, **kwargs)

        monkeypatch.setattr(store.client, method, guarded)


def _same_hits(got: list[Any], expected: list[Any]) -> None:
    assert [h.id for h in got] == [h.id for h in expected]
    assert [h.score for h in got] == pytest.approx([h.score for h in expected], abs=1e-5)


@pytest.fixture
def served(server_uri: str) -> Iterator[HybridStore]:
    with HybridStore(server_uri, "a_" + uuid.uuid4().hex[:10], dense=HashDense(), drop_existing=True) as store:
        store.add(CORPUS, metadatas=METADATAS, ids=IDS)
        yield store
        store.drop()


def _options(store: HybridStore, kind: dict[str, Any]) -> dict[str, Any]:
    if kind.get("reranker") == "cosine":
        from milvus_model_adapters.rerank import CosineReranker

        return {**kind, "reranker": CosineReranker(store.dense)}
    return kind


@pytest.mark.network
def test_async_searches_send_with_the_async_client_and_equal_the_sync_ones(
    served: HybridStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert served.engine.async_client and served.aclient is None  # outside a running loop there is none
    searches = [(q, _options(served, kind)) for kind in KINDS for q in QUERIES]
    expected = [served.search(q, 4, **opts) for q, opts in searches]
    expected_many = [served.search_many(QUERIES, 3, **_options(served, kind)) for kind in KINDS]
    monkeypatch.setattr(served._searcher, "run", _refuse)  # the thread path is gone

    async def at_once() -> tuple[list[Any], list[Any], Any]:
        client = served.aclient
        singles = await asyncio.gather(*(served.asearch(q, 4, **opts) for q, opts in searches))
        many = [await served.asearch_many(QUERIES, 3, **_options(served, kind)) for kind in KINDS]
        return singles, many, client

    singles, many, client = asyncio.run(at_once())
    assert type(client).__name__ == "AsyncMilvusClient"
    for got, want in zip(singles, expected, strict=True):
        _same_hits(got, want)
    for got_many, want_many in zip(many, expected_many, strict=True):
        for got, want in zip(got_many, want_many, strict=True):
            _same_hits(got, want)


@pytest.mark.network
def test_each_event_loop_gets_its_own_async_client(served: HybridStore) -> None:
    async def search() -> tuple[Any, list[str]]:
        return served.aclient, [h.id for h in await served.asearch("vector database", 3)]

    first, second = asyncio.run(search()), asyncio.run(search())
    assert first[0] is not second[0] and first[1] == second[1]


@pytest.mark.network
def test_async_writes_send_with_the_async_client_and_equal_the_sync_ones(
    server_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["w_" + uuid.uuid4().hex[:10] for _ in range(2)]
    with (
        HybridStore(server_uri, names[0], dense=HashDense(), drop_existing=True) as blocking,
        HybridStore(server_uri, names[1], dense=HashDense(), drop_existing=True) as native,
    ):
        try:
            _refuse_rows_of(native, monkeypatch, ("insert", "upsert", "delete"))
            assert blocking.add(CORPUS, metadatas=METADATAS) == asyncio.run(native.aadd(CORPUS, metadatas=METADATAS))
            blocking.add(CORPUS[:3], metadatas=[{"topic": "again"}] * 3, ids=IDS[:3])
            asyncio.run(native.aadd(CORPUS[:3], metadatas=[{"topic": "again"}] * 3, ids=IDS[:3]))
            assert native.count() == blocking.count() == len(CORPUS) + 3
            assert native.bm25_stats() == pytest.approx(blocking.bm25_stats())
            for q in QUERIES:
                _same_hits(native.search(q, 5), blocking.search(q, 5))

            gone = [d.id for d in blocking.documents(filter={"topic": "db"})][:2]
            assert blocking.delete(gone) == asyncio.run(native.adelete(gone)) == 2
            assert blocking.delete(filter={"topic": "again"}) == asyncio.run(native.adelete(filter={"topic": "again"}))
            assert native.count() == blocking.count() == len(CORPUS) - 2
            assert native.bm25_stats() == pytest.approx(blocking.bm25_stats())

            async def left() -> list[Any]:  # as LlamaIndex's own tests read the async client after a delete
                assert native.aclient is not None
                return list(await native.aclient.query(names[1], filter=f"id in {gone!r}", output_fields=["id"]))

            assert asyncio.run(left()) == []
        finally:
            monkeypatch.undo()
            blocking.drop()
            native.drop()


def test_a_lite_file_runs_the_async_methods_in_a_thread(tmp_path: Any) -> None:
    with HybridStore(str(tmp_path / "a.db"), dense=HashDense()) as store:
        assert not store.engine.async_client

        async def add_and_search() -> tuple[Any, list[str], list[str]]:
            ids = await store.aadd(CORPUS, metadatas=METADATAS, ids=IDS)
            return store.aclient, ids, [h.id for h in await store.asearch("vector database", 3)]

        client, ids, hit_ids = asyncio.run(add_and_search())
        assert client is None and ids == IDS
        assert hit_ids == [h.id for h in store.search("vector database", 3)]
        assert asyncio.run(store.adelete(ids[:2])) == 2
        assert store.count() == len(CORPUS) - 2


@pytest.mark.network
def test_langchain_async_methods_go_through_the_async_client(server_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("langchain_core")
    from milvus_model_adapters.langchain import MilvusHybridVectorStore

    store = HybridStore(server_uri, "l_" + uuid.uuid4().hex[:10], dense=HashDense(), drop_existing=True)
    vector_store = MilvusHybridVectorStore(store=store)
    try:
        _refuse_rows_of(store, monkeypatch, ("insert", "upsert", "delete", "search", "hybrid_search"))

        async def work() -> tuple[Any, list[str], list[str], list[str]]:
            ids = await vector_store.aadd_texts(CORPUS, metadatas=METADATAS, ids=IDS)
            found = [d.id for d in await vector_store.asimilarity_search("vector database", k=3)]
            await vector_store.adelete(ids[:2])
            after = [d.id for d in await vector_store.asimilarity_search("vector database", k=len(CORPUS))]
            return vector_store.aclient, ids, found, after

        client, ids, found, after = asyncio.run(work())
        assert client is not None and ids == IDS and len(found) == 3
        assert set(after) == set(IDS[2:])
    finally:
        monkeypatch.undo()
        store.drop()
        store.close()


@pytest.mark.network
def test_llama_index_async_methods_go_through_the_async_client(
    server_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("llama_index.core")
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import VectorStoreQuery

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    store = HybridStore(server_uri, "i_" + uuid.uuid4().hex[:10], dense=HashDense(), drop_existing=True)
    vector_store = MilvusHybridVectorStore(store=store)
    nodes = [
        TextNode(id_=i, text=t, metadata={"topic": m["topic"]}, embedding=HashDense().encode_documents([t])[0])
        for i, t, m in zip(IDS, CORPUS, METADATAS, strict=True)
    ]
    try:
        _refuse_rows_of(store, monkeypatch, ("insert", "upsert", "delete", "search", "hybrid_search"))

        async def work() -> tuple[Any, list[str], list[str]]:
            added = await vector_store.async_add(nodes)
            await vector_store.adelete_nodes(IDS[:2])
            query = VectorStoreQuery(query_str="vector database", similarity_top_k=len(CORPUS))
            result = await vector_store.aquery(query)
            return vector_store.aclient, added, list(result.ids or [])

        client, added, found = asyncio.run(work())
        assert client is not None and added == IDS
        assert set(found) == set(IDS[2:])
    finally:
        monkeypatch.undo()
        store.drop()
        store.close()
