"""Overhead of the LangChain and LlamaIndex retrievers over the core store's search.

    python benchmarks/adapter_overhead.py [--docs 10000] [--queries 200]

Same store, same queries, the three paths alternating query by query; medians compared. Twice:
with query vectors served from a table (the search alone, see store_latency.py), and with the real
MiniLM encoding each query (what an application sees).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import filled_store, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    from milvus_model_adapters.langchain import MilvusHybridRetriever as LangChainRetriever
    from milvus_model_adapters.llama_index import MilvusHybridRetriever as LlamaIndexRetriever
    from milvus_model_adapters.store import HybridStore

    with filled_store(args.docs, args.queries) as (store, questions):
        from milvus_model_adapters.dense import DenseEncoder

        real = HybridStore(store.uri, "bench", dense=DenseEncoder.default(), client=store.client)
        rows = []
        for label, target in (("search only", store), ("with MiniLM query encoding", real)):
            lc = LangChainRetriever(store=target, k=10, fetch_k=50)
            li = LlamaIndexRetriever(target, k=10, fetch_k=50)
            paths = {
                "core HybridStore.search": lambda q, t=target: t.search(q, 10, fetch_k=50),
                "LangChain retriever.invoke": lambda q, r=lc: r.invoke(q),
                "LlamaIndex retriever.retrieve": lambda q, r=li: r.retrieve(q),
            }
            for q in questions[:10]:
                for fn in paths.values():
                    fn(q)
            times: dict[str, list[float]] = {name: [] for name in paths}
            for q in questions:
                for name, fn in paths.items():
                    start = time.perf_counter()
                    fn(q)
                    times[name].append(time.perf_counter() - start)
            core = statistics.median(times["core HybridStore.search"])
            rows += [
                [label, name, statistics.median(t) * 1000, statistics.median(t) / core] for name, t in times.items()
            ]
    print(table(["queries", f"path (hybrid, k=10, {args.docs} docs)", "p50 ms", "relative to core"], rows))


if __name__ == "__main__":
    main()
