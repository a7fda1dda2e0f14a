"""Hybrid search of HybridStore beside the official Milvus integrations, in one run on one stack.

    python benchmarks/peers.py [--size 20000] [--queries 200] [--k 10]

Every system gets the same documents (the shared Cranfield/CISI texts, repeated), the same ids and the
same fixed random 384-d unit vectors, served from a table so that encoding is excluded; each holds its
own Milvus Lite file. Queries alternate between the systems (in a new random order for every query), so
the machine's noise hits all of them. Reported per system: search p50/p95 at ``k``, ingest rows/s (BM25
encoding included where the system encodes on the client), and overlap@k with our default top k.

Systems (those whose package is not installed in this venv are reported as "not measured"):

- ``HybridStore`` with its defaults (client fusion) and with ``fusion="server", ranker="rrf"``;
- ``langchain_milvus.Milvus`` hybrid with this package's BM25 sparse embeddings, and with
  ``BM25BuiltInFunction`` (their default ranker);
- LlamaIndex's ``MilvusVectorStore`` hybrid with ``BM25BuiltInFunction`` and with this package's BM25
  (its default RRF ranker);
- LangChain's ``EnsembleRetriever`` over our dense-only and BM25-only retrievers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import DIM, percentiles, repeated_corpus, shared_texts, table

os.environ.setdefault("HF_HUB_OFFLINE", "1")

Search = Callable[[str], list[str]]
"""A system's search: query text -> ids, best first."""


class FixedVectors:
    """The same unit vector for the same text, in every system: seeded by the text's checksum."""

    dim = DIM

    def __init__(self) -> None:
        self._known: dict[str, np.ndarray] = {}

    def vector(self, text: str) -> np.ndarray:
        found = self._known.get(text)
        if found is None:
            v = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(DIM).astype(np.float32)
            found = self._known[text] = v / np.linalg.norm(v)
        return found

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.vector(t) for t in texts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.encode_documents(texts)


def langchain_embeddings(vectors: FixedVectors) -> Any:
    from langchain_core.embeddings import Embeddings

    class Table(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return vectors.encode_documents(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return vectors.vector(text).tolist()

    return Table()


def ours(workdir: Path, texts: list[str], ids: list[str], vectors: FixedVectors, k: int) -> dict[str, Search]:
    from milvus_model_adapters.store import HybridStore

    store = HybridStore(str(workdir / "ours.db"), "bench", dense=vectors, drop_existing=True)
    store.add(texts, ids=ids, batch_size=2000)
    systems: dict[str, Search] = {
        "HybridStore (default)": lambda q: [h.id for h in store.search(q, k)],
        "HybridStore fusion=server rrf": lambda q: [h.id for h in store.search(q, k, fusion="server", ranker="rrf")],
    }
    try:
        from langchain_classic.retrievers import EnsembleRetriever

        from milvus_model_adapters.langchain import MilvusHybridRetriever
    except ImportError:
        return systems
    ensemble = EnsembleRetriever(
        retrievers=[MilvusHybridRetriever(store=store, k=k, mode=m) for m in ("dense", "sparse")], weights=[0.5, 0.5]
    )
    systems["EnsembleRetriever (ours dense + ours BM25)"] = lambda q: [d.id for d in ensemble.invoke(q)[:k]]
    return systems


def langchain_milvus_peer(
    workdir: Path, texts: list[str], ids: list[str], vectors: FixedVectors, k: int, builtin: bool
) -> dict[str, Search]:
    from langchain_milvus import BM25BuiltInFunction, Milvus

    from milvus_model_adapters.langchain import MilvusModelSparseEmbeddings

    name = "builtin" if builtin else "ours"
    connection = {"uri": str(workdir / f"lc_{name}.db")}
    dense = langchain_embeddings(vectors)
    if builtin:
        store = Milvus(
            dense,
            builtin_function=BM25BuiltInFunction(),
            vector_field=["dense", "sparse"],
            # Its default AUTOINDEX for the BM25 field is refused by Milvus Lite 2.5: the index Lite takes.
            index_params=[
                {"index_type": "AUTOINDEX", "metric_type": "L2"},
                {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "BM25"},
            ],
            # It would search that index with drop_ratio_build=0.2, which Milvus Lite 3 refuses.
            search_params=[{"metric_type": "L2", "params": {}}, {"metric_type": "BM25", "params": {}}],
            connection_args=connection,
            collection_name="bench",
            drop_old=True,
        )
    else:
        sparse = MilvusModelSparseEmbeddings.bm25(corpus=texts)
        store = Milvus(
            [dense, sparse],
            vector_field=["dense", "sparse"],
            # Its default sparse index drops 20% of the weights, which Milvus Lite 3 refuses (and sends the
            # ratio again with each search): the exact index, on every stack.
            index_params=[
                {"index_type": "AUTOINDEX", "metric_type": "L2"},
                {"index_type": "SPARSE_INVERTED_INDEX", "metric_type": "IP", "params": {"drop_ratio_build": 0.0}},
            ],
            search_params=[{"metric_type": "L2", "params": {}}, {"metric_type": "IP", "params": {}}],
            connection_args=connection,
            collection_name="bench",
            drop_old=True,
        )
    for start in range(0, len(texts), 2000):
        store.add_texts(texts[start : start + 2000], ids=ids[start : start + 2000])
    # Their default fusion, said explicitly: with a built-in function langchain-milvus 0.4 counts three
    # vector fields and sends three weights for two routes.
    ranker = {"ranker_type": "weighted", "ranker_params": {"weights": [1.0, 1.0]}}

    def search(q: str, **options: Any) -> list[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return [str(d.metadata.get("pk", d.id)) for d in store.similarity_search(q, k=k, **ranker, **options)]

    # Its hybrid search asks each route for fetch_k=4 candidates by default (at most 8 hits for k=10);
    # ours asks 20 (+5 for ties at the cut): the second row gives it the same candidates.
    return {"": search, ", fetch_k=20": lambda q: search(q, fetch_k=20)}


def llama_index_peer(
    workdir: Path, texts: list[str], ids: list[str], vectors: FixedVectors, k: int, builtin: bool
) -> dict[str, Search]:
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode
    from llama_index.vector_stores.milvus import MilvusVectorStore
    from llama_index.vector_stores.milvus.utils import BM25BuiltInFunction

    from milvus_model_adapters.llama_index import MilvusModelSparseEmbedding

    name = "builtin" if builtin else "ours"
    sparse_function = BM25BuiltInFunction() if builtin else MilvusModelSparseEmbedding.bm25(corpus=texts)
    store = MilvusVectorStore(
        uri=str(workdir / f"li_{name}.db"),
        collection_name="bench",
        dim=DIM,
        overwrite=True,
        enable_sparse=True,
        sparse_embedding_function=sparse_function,
        use_async_client=False,
    )
    nodes = [TextNode(text=t, id_=i, embedding=vectors.vector(t).tolist()) for t, i in zip(texts, ids, strict=True)]
    store.add(nodes)

    def search(q: str) -> list[str]:
        vector = vectors.vector(q).tolist()
        hybrid = VectorStoreQueryMode.HYBRID
        query = VectorStoreQuery(query_embedding=vector, query_str=q, similarity_top_k=k, mode=hybrid)
        return list(store.query(query).ids or [])

    return {"": search}


PEERS: dict[str, tuple[str, Callable[..., dict[str, Search]], bool]] = {
    "langchain-milvus + our BM25": ("langchain_milvus", langchain_milvus_peer, False),
    "langchain-milvus + BM25BuiltInFunction": ("langchain_milvus", langchain_milvus_peer, True),
    "LlamaIndex MilvusVectorStore + BM25BuiltInFunction": ("llama_index.vector_stores.milvus", llama_index_peer, True),
    "LlamaIndex MilvusVectorStore + our BM25": ("llama_index.vector_stores.milvus", llama_index_peer, False),
}


def installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def run(size: int, n_queries: int, k: int, workdir: Path) -> tuple[list[list[Any]], str]:
    texts = repeated_corpus(size)
    ids = [f"d{i}" for i in range(size)]
    vectors = FixedVectors()
    vectors.encode_documents(texts)  # the table is filled before any ingest is timed
    questions = [t.split(".")[0][:120] for t in shared_texts()[:n_queries]]
    systems: dict[str, Search] = {}
    ingest: dict[str, float] = {}
    start = time.perf_counter()
    systems.update(ours(workdir, texts, ids, vectors, k))
    ingest["HybridStore (default)"] = size / (time.perf_counter() - start)
    missing = []
    for name, (module, build, builtin) in PEERS.items():
        if not installed(module):
            missing.append(name)
            continue
        start = time.perf_counter()
        variants = build(workdir, texts, ids, vectors, k, builtin)
        ingest[name] = size / (time.perf_counter() - start)
        systems.update({name + suffix: search for suffix, search in variants.items()})
    for search in systems.values():  # warm up: first searches load indexes and posting lists
        for q in questions[:10]:
            search(q)
    names = list(systems)
    samples: dict[str, list[float]] = {n: [] for n in names}
    found: dict[str, list[list[str]]] = {n: [] for n in names}
    # A new random order for every query: each system runs as often first, and after each other one (a fixed
    # rotation would always run a system after the same neighbour, warm or cold after it).
    shuffle = np.random.default_rng(0)
    for q in questions:
        for name in [names[i] for i in shuffle.permutation(len(names))]:
            t0 = time.perf_counter()
            hits = systems[name](q)
            samples[name].append(time.perf_counter() - t0)
            found[name].append(hits)
    reference = "HybridStore (default)"
    ours_p50 = percentiles(samples[reference])[0]
    rows = []
    for name in names:
        p50, p95 = percentiles(samples[name])
        overlap = np.mean([len(set(a) & set(b)) / k for a, b in zip(found[name], found[reference], strict=True)])
        rows.append(
            [
                name,
                f"{p50:.1f}",
                f"{p95:.1f}",
                f"{ours_p50 / p50:.2f}",
                f"{ingest[name]:,.0f}" if name in ingest else "(same store)",
                f"{np.mean([len(h) for h in found[name]]):.1f}",
                f"{overlap:.2f}",
            ]
        )
    rows.extend([name, "not measured", "", "", "", "", ""] for name in missing)
    return rows, reference


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    from importlib.metadata import version

    modules = {
        "pymilvus": "pymilvus",
        "milvus-lite": "milvus_lite",
        "langchain-milvus": "langchain_milvus",
        "llama-index-vector-stores-milvus": "llama_index.vector_stores.milvus",
    }
    stack = ", ".join(f"{p} {version(p)}" for p, module in modules.items() if installed(module))
    workdir = Path(tempfile.mkdtemp(prefix="mma-peers-"))
    try:
        rows, reference = run(args.size, args.queries, args.k, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{stack}; {args.size:,} documents, {args.queries} queries, k={args.k}")
    print(
        table(
            [
                "system",
                "p50 ms",
                "p95 ms",
                "ours p50 / its p50",
                "ingest rows/s",
                "hits returned",
                f"overlap@{args.k} with {reference}",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
