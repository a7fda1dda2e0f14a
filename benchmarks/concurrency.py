"""Many users at once: concurrent async hybrid searches on a served engine, ours beside the official integrations.

    python benchmarks/concurrency.py [--size 5000] [--queries 200] [--k 10] [--levels 1 8 32 128] [--rounds 2]

One served database (the installed Milvus Lite, served on loopback as ``mma serve`` serves it) holds one
collection per system, each with the same documents, ids and fixed random 384-d vectors (encoding excluded).
At each level of concurrency, every system answers the same queries through its async API with that many in
flight; the systems take turns in a new random order each round, and each keeps its best round. Reported:
queries/s, p50 / p95 latency, and for ours whether every answer equals the serial one.

Systems (those whose package is not installed are reported as "not measured"):

- ours, ``HybridStore.asearch`` (concurrent searches share Milvus calls) and the same search one thread per
  call (``asyncio.to_thread(store.search, ...)``, as before), with the default fusion (weighted, client) and RRF;
- ours through LangChain, ``MilvusHybridVectorStore.asimilarity_search``;
- ``langchain_milvus.Milvus.asimilarity_search``, hybrid with ``BM25BuiltInFunction``, RRF;
- LlamaIndex's ``MilvusVectorStore.aquery`` (``use_async_client=True``), hybrid with ``BM25BuiltInFunction``, RRF.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _common import DIM, percentiles, repeated_corpus, table
from peers import FixedVectors, installed, langchain_embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")

Search = Callable[[str], Awaitable[list[str]]]
"""A system's async search: query text -> ids, best first."""


def ours(uri: str, texts: list[str], ids: list[str], vectors: FixedVectors, k: int) -> tuple[Any, dict[str, Search]]:
    from milvus_model_adapters.langchain import MilvusHybridVectorStore
    from milvus_model_adapters.store import HybridStore

    store = HybridStore(uri, "ours", dense=vectors, drop_existing=True)
    store.add(texts, ids=ids, batch_size=2000)
    langchain = MilvusHybridVectorStore(store=store)

    async def threaded(q: str, **options: Any) -> list[str]:
        return [h.id for h in await asyncio.to_thread(store.search, q, k, **options)]

    async def coalesced(q: str, **options: Any) -> list[str]:
        return [h.id for h in await store.asearch(q, k, **options)]

    async def through_langchain(q: str) -> list[str]:
        return [str(d.id) for d in await langchain.asimilarity_search(q, k=k)]

    systems: dict[str, Search] = {
        "ours asearch (default: weighted, client fusion)": coalesced,
        "ours asearch, RRF (client fusion)": lambda q: coalesced(q, ranker="rrf"),
        "ours, a thread per search (default)": threaded,
        "ours, a thread per search, RRF": lambda q: threaded(q, ranker="rrf"),
        "ours through LangChain asimilarity_search (default)": through_langchain,
    }
    return store, systems


def langchain_milvus_peer(uri: str, texts: list[str], ids: list[str], vectors: FixedVectors, k: int) -> Search:
    from langchain_milvus import BM25BuiltInFunction, Milvus

    store = Milvus(
        langchain_embeddings(vectors),
        builtin_function=BM25BuiltInFunction(),
        vector_field=["dense", "sparse"],
        index_params=[
            {"index_type": "FLAT", "metric_type": "IP"},
            {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "BM25"},
        ],
        search_params=[{"metric_type": "IP", "params": {}}, {"metric_type": "BM25", "params": {}}],
        connection_args={"uri": uri},
        collection_name="langchain_milvus",
        drop_old=True,
    )
    for start in range(0, len(texts), 2000):
        store.add_texts(texts[start : start + 2000], ids=ids[start : start + 2000])

    async def search(q: str) -> list[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            found = await store.asimilarity_search(q, k=k, fetch_k=2 * k, ranker_type="rrf", ranker_params={"k": 60})
        return [str(d.metadata.get("pk", d.id)) for d in found]

    return search


async def llama_index_peer(uri: str, texts: list[str], ids: list[str], vectors: FixedVectors, k: int) -> Search:
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode
    from llama_index.vector_stores.milvus import MilvusVectorStore
    from llama_index.vector_stores.milvus.utils import BM25BuiltInFunction

    store = MilvusVectorStore(
        uri=uri,
        collection_name="llama_index",
        dim=DIM,
        overwrite=True,
        similarity_metric="IP",
        index_config={"index_type": "FLAT", "metric_type": "IP"},
        enable_sparse=True,
        sparse_embedding_function=BM25BuiltInFunction(),
        use_async_client=True,
    )
    nodes = [TextNode(text=t, id_=i, embedding=vectors.vector(t).tolist()) for t, i in zip(texts, ids, strict=True)]
    for start in range(0, len(nodes), 2000):
        await store.async_add(nodes[start : start + 2000])

    async def search(q: str) -> list[str]:
        query = VectorStoreQuery(
            query_embedding=vectors.vector(q).tolist(),
            query_str=q,
            similarity_top_k=k,
            mode=VectorStoreQueryMode.HYBRID,
        )
        return list((await store.aquery(query)).ids or [])

    return search


async def under_load(
    search: Search, queries: list[str], level: int
) -> tuple[float, list[float], list[list[str] | None]]:
    """Queries/s, each query's latency (s) and answers, with ``level`` searches in flight."""
    gate = asyncio.Semaphore(level)
    latencies: list[float] = [0.0] * len(queries)

    async def one(i: int, q: str) -> list[str] | None:
        async with gate:
            started = time.perf_counter()
            try:
                found: list[str] | None = await search(q)
            except Exception as error:  # reported in the table, not hidden
                print(f"  a search failed: {type(error).__name__}: {str(error)[:160]}")
                found = None
            latencies[i] = time.perf_counter() - started
            return found

    started = time.perf_counter()
    answers = await asyncio.gather(*(one(i, q) for i, q in enumerate(queries)))
    return len(queries) / (time.perf_counter() - started), latencies, list(answers)


async def run(args: argparse.Namespace, uri: str) -> list[list[Any]]:
    texts = repeated_corpus(args.size)
    ids = [f"doc{i}" for i in range(len(texts))]
    vectors = FixedVectors()
    rng = random.Random(7)
    queries = [" ".join(rng.sample(texts[rng.randrange(len(texts))].split(), 6)) for _ in range(args.queries)]
    store, systems = ours(uri, texts, ids, vectors, args.k)
    serial = {
        name: [[h.id for h in store.search(q, args.k, **opts)] for q in queries]
        for name, opts in (("default", {}), ("rrf", {"ranker": "rrf"}))
    }
    expected = {name: serial["rrf" if "RRF" in name else "default"] for name in systems}
    missing = []
    if installed("langchain_milvus"):
        systems["langchain-milvus asimilarity_search (BM25BuiltInFunction, RRF)"] = langchain_milvus_peer(
            uri, texts, ids, vectors, args.k
        )
    else:
        missing.append("langchain-milvus asimilarity_search (BM25BuiltInFunction, RRF)")
    if installed("llama_index.vector_stores.milvus"):
        systems[
            "LlamaIndex MilvusVectorStore aquery (async client, BM25BuiltInFunction, RRF)"
        ] = await llama_index_peer(uri, texts, ids, vectors, args.k)
    else:
        missing.append("LlamaIndex MilvusVectorStore aquery (async client, BM25BuiltInFunction, RRF)")
    for search in systems.values():  # warm each system's connection and caches
        await under_load(search, queries[:10], 4)
    rows: list[list[Any]] = []
    for level in args.levels:
        best: dict[str, tuple[float, list[float]]] = {}
        equal: dict[str, bool] = {}
        failed: dict[str, int] = dict.fromkeys(systems, 0)
        for _ in range(args.rounds):
            order = list(systems)
            rng.shuffle(order)
            for name in order:
                qps, latencies, answers = await under_load(systems[name], queries, level)
                failed[name] += sum(answer is None for answer in answers)
                if name in expected:
                    equal[name] = equal.get(name, True) and answers == expected[name]
                if name not in best or qps > best[name][0]:
                    best[name] = (qps, latencies)
        reference = best["ours asearch (default: weighted, client fusion)"][0]
        for name in systems:
            qps, latencies = best[name]
            p50, p95 = percentiles(latencies)
            same = ("yes" if equal[name] else "NO") if name in equal else ""
            cells = [f"{qps:,.0f}", f"{p50:.1f}", f"{p95:.1f}", f"{reference / qps:.2f}", same, failed[name]]
            rows.append([level, name, *cells])
        rows += [[level, name, "not measured", "", "", "", "", ""] for name in missing]
    store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    from importlib.metadata import version

    from milvus_model_adapters.tools import lite_server

    with tempfile.TemporaryDirectory() as workdir:
        server, uri = lite_server.start(Path(workdir) / "served.db")
        try:
            rows = asyncio.run(run(args, uri))
        finally:
            lite_server.stop(server)
    print(
        f"served Milvus Lite {version('milvus-lite')}, pymilvus {version('pymilvus')}; {args.size} documents, "
        f"{args.queries} queries per level and round, k={args.k}, best of {args.rounds} rounds\n"
    )
    headers = [
        "in flight",
        "system",
        "queries/s",
        "p50 ms",
        "p95 ms",
        "ours asearch q/s / its q/s",
        "= serial",
        "failed",
    ]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
