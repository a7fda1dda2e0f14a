"""Overhead of the LangChain and LlamaIndex paths over the core store's search, and the cost of MMR.

    python benchmarks/adapter_overhead.py [--sizes 10000 100000] [--queries 200] [--encode]

Same store, same queries, the paths alternating query by query; medians compared. Query encoding is
excluded: query vectors are served from a table (see store_latency.py), and the core and
``VectorStoreIndex`` paths are handed the vector itself; ``--encode`` adds a round with the real MiniLM
encoding each query in every path (what an application sees). The paths, all hybrid with RRF, k=10 and 50
candidates per route: the core's ``HybridStore.search``, LangChain's retriever, LlamaIndex's retriever,
the LlamaIndex vector store's ``query`` alone (this package's translation, without LlamaIndex's retriever),
and ``VectorStoreIndex.as_retriever(vector_store_query_mode="hybrid")`` over that vector store.
The second table is MMR (50 candidates) against a dense search of 10, in the core and through the index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from _common import filled_store, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")

K, CANDIDATES = 10, 50


def alternate(paths: dict[str, Callable[[str], Any]], questions: list[str]) -> dict[str, float]:
    """Median seconds per query of each path, the paths taking turns on every query after a warm-up.

    The order rotates from query to query, so no path is always the first to see a query.
    """
    for q in questions[:10]:
        for fn in paths.values():
            fn(q)
    names = list(paths)
    times: dict[str, list[float]] = {name: [] for name in paths}
    for i, q in enumerate(questions):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            start = time.perf_counter()
            paths[name](q)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def search_paths(target: Any, given: dict[str, list[float]] | None) -> dict[str, Callable[[str], Any]]:
    """The hybrid search of ``target`` (a ``HybridStore``) through the core and every adapter.

    ``given``: query vectors by query, handed to the paths that take one (else every path encodes).
    """
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import QueryBundle

    from milvus_model_adapters.langchain import MilvusHybridRetriever as LangChainRetriever
    from milvus_model_adapters.llama_index import MilvusHybridRetriever as LlamaIndexRetriever
    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    options = {"k": K, "fetch_k": CANDIDATES, "ranker": "rrf"}
    lc = LangChainRetriever(store=target, **options)
    li = LlamaIndexRetriever(target, **options)
    vector_store = MilvusHybridVectorStore(store=target)
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=vector_store.embed_model)
    hybrid = index.as_retriever(
        vector_store_query_mode="hybrid", similarity_top_k=K, vector_store_kwargs={"fetch_k": CANDIDATES}
    )
    if not given:
        return {
            "core HybridStore.search": lambda q: target.search(q, **options),
            "LangChain retriever.invoke": lc.invoke,
            "LlamaIndex retriever.retrieve": li.retrieve,
            "LlamaIndex index.as_retriever(hybrid)": hybrid.retrieve,
        }
    from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

    def vector_store_query(q: str) -> Any:
        query = VectorStoreQuery(
            query_str=q, query_embedding=given[q], similarity_top_k=K, mode=VectorStoreQueryMode.HYBRID
        )
        return vector_store.query(query, fetch_k=CANDIDATES)

    return {
        "core HybridStore.search": lambda q: target.search(q, vector=given[q], **options),
        "LangChain retriever.invoke": lc.invoke,
        "LlamaIndex retriever.retrieve": li.retrieve,
        "LlamaIndex vector_store.query (the adapter alone)": vector_store_query,
        "LlamaIndex index.as_retriever(hybrid)": lambda q: hybrid.retrieve(QueryBundle(q, embedding=given[q])),
    }


def mmr_paths(target: Any, given: dict[str, list[float]]) -> dict[str, Callable[[str], Any]]:
    """Dense top 10 and MMR over 50 dense candidates, through the core and ``VectorStoreIndex``, from given vectors."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import QueryBundle

    from milvus_model_adapters.llama_index import MilvusHybridVectorStore

    vector_store = MilvusHybridVectorStore(store=target)
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=vector_store.embed_model)
    dense = index.as_retriever(similarity_top_k=K)
    mmr = index.as_retriever(
        vector_store_query_mode="mmr", similarity_top_k=K, vector_store_kwargs={"mmr_prefetch_k": CANDIDATES}
    )
    return {
        "core dense": lambda q: target.search_by_vector(given[q], K, mode="dense"),
        "core MMR": lambda q: target.mmr_search(given[q], K, candidates=CANDIDATES),
        "dense, k=10": lambda q: dense.retrieve(QueryBundle(q, embedding=given[q])),
        f"MMR, k=10 of {CANDIDATES}": lambda q: mmr.retrieve(QueryBundle(q, embedding=given[q])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--encode", action="store_true", help="also time with MiniLM encoding each query")
    args = parser.parse_args()

    from milvus_model_adapters.encoders.dense import DenseEncoder
    from milvus_model_adapters.store import HybridStore

    search_rows: list[list[Any]] = []
    mmr_rows: list[list[Any]] = []
    for size in args.sizes:
        with filled_store(size, args.queries) as (store, questions):
            given = {q: store.dense.encode_queries([q])[0].tolist() for q in questions}
            targets: list[tuple[str, Any, dict[str, list[float]] | None]] = [("encoding excluded", store, given)]
            if args.encode:
                real = HybridStore(store.uri, "bench", dense=DenseEncoder.default(), client=store.client)
                targets.append(("MiniLM encoding each query", real, None))
            for label, target, vectors in targets:
                medians = alternate(search_paths(target, vectors), questions)
                core = medians["core HybridStore.search"]
                search_rows += [[size, label, name, m * 1000, m / core] for name, m in medians.items()]
            medians = alternate(mmr_paths(store, given), questions)
            core_dense, core_mmr, dense, mmr = medians.values()
            mmr_rows.append([size, "core", core_dense * 1000, core_mmr * 1000, (core_mmr - core_dense) * 1000])
            mmr_rows.append([size, "VectorStoreIndex", dense * 1000, mmr * 1000, (mmr - dense) * 1000])
    headers = ["docs", "queries", "path (hybrid RRF, k=10, 50 per route)", "p50 ms", "relative to core"]
    print(table(headers, search_rows))
    print()
    print(table(["docs", "path", "dense k=10 p50 ms", f"MMR of {CANDIDATES} p50 ms", "MMR adds ms"], mmr_rows))


if __name__ == "__main__":
    main()
