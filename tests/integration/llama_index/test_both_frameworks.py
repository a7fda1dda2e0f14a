"""One collection through both frameworks: written through LangChain and read through LlamaIndex, and the other
way, with the same ids and scores."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("llama_index.core")

from llama_index.core import StorageContext, VectorStoreIndex  # noqa: E402
from llama_index.core.schema import TextNode  # noqa: E402

from milvus_model_adapters.llama_index import MilvusHybridRetriever, MilvusHybridVectorStore, add_nodes  # noqa: E402
from milvus_model_adapters.store import HybridStore  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


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


def test_one_collection_both_frameworks(store: HybridStore) -> None:
    from langchain_core.documents import Document as LCDocument

    from milvus_model_adapters.langchain import MilvusHybridVectorStore as LCVectorStore

    li = MilvusHybridVectorStore(store=store)
    index = VectorStoreIndex(
        [TextNode(id_=f"li{i}", text=t, metadata={"n": i}) for i, t in enumerate(CORPUS[:6])],
        storage_context=StorageContext.from_defaults(vector_store=li),
        embed_model=li.embed_model,
    )
    lc = LCVectorStore(store=store)
    lc.add_documents([LCDocument(page_content=t, metadata={"n": i}, id=f"lc{i}") for i, t in enumerate(CORPUS[6:])])
    query = "database for vectors and jet engines"
    for mode, options in (("hybrid", {"mode": "hybrid", "ranker": "rrf"}), ("default", {"mode": "dense"})):
        from_li = [
            (n.node.node_id, n.score)
            for n in index.as_retriever(vector_store_query_mode=mode, similarity_top_k=12).retrieve(query)
        ]
        from_lc = [(d.id, s) for d, s in lc.similarity_search_with_score(query, 12, **options)]
        assert [i for i, _ in from_li] == [i for i, _ in from_lc]
        np.testing.assert_allclose([s for _, s in from_li], [s for _, s in from_lc], atol=1e-5)
    assert {i for i, _ in from_li} == {f"li{i}" for i in range(6)} | {f"lc{i}" for i in range(6)}
    retrieved = lc.as_retriever(search_kwargs={"k": 1, "mode": "dense"}).invoke(CORPUS[2])
    assert retrieved[0].id == "li2" and retrieved[0].metadata["n"] == 2 and "dense_rank" in retrieved[0].metadata
    (node,) = li.get_nodes(["lc1"])
    assert node.get_content() == CORPUS[7] and node.metadata == {"n": 1}
