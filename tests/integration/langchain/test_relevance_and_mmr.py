"""The LangChain vector store's relevance scores and score thresholds, search by vector, MMR (sync and async), and
the search types of ``as_retriever``."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from milvus_model_adapters.errors import InvalidInputError  # noqa: E402
from milvus_model_adapters.langchain import MilvusHybridVectorStore  # noqa: E402
from tests.integration.langchain.encoder import shared_encoder  # noqa: E402
from tests.support.corpus import CORPUS  # noqa: E402


@pytest.fixture(scope="module")
def complete_store(tmp_path_factory: pytest.TempPathFactory) -> Generator[MilvusHybridVectorStore, None, None]:
    vs = MilvusHybridVectorStore(shared_encoder(), uri=str(tmp_path_factory.mktemp("vs") / "complete.db"))
    twins = ["Milvus Lite keeps vectors in a local file."] * 3
    vs.add_texts([*CORPUS, *twins], ids=[*(f"c{i}" for i in range(len(CORPUS))), "t1", "t2", "t3"])
    yield vs
    vs.store.close()


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "dense"},
        {"mode": "sparse"},
        {"ranker": "rrf"},
        {"ranker": "weighted"},
        {"fusion": "server", "ranker": "rrf"},
    ],
)
def test_relevance_scores_are_in_zero_one_in_every_mode(
    complete_store: MilvusHybridVectorStore, options: dict[str, Any]
) -> None:
    q = "where does Milvus Lite keep vectors?"
    found = complete_store.similarity_search_with_relevance_scores(q, k=6, **options)
    raw = complete_store.similarity_search_with_score(q, k=6, **options)
    assert [d.id for d, _ in found] == [d.id for d, _ in raw]
    relevance = [r for _, r in found]
    assert all(0.0 <= r <= 1.0 for r in relevance) and relevance == sorted(relevance, reverse=True)
    cut = relevance[2]
    kept = complete_store.similarity_search_with_relevance_scores(q, k=6, score_threshold=cut, **options)
    assert [d.id for d, _ in kept] == [d.id for d, r in found if r >= cut]


def test_relevance_of_dense_hits_is_half_of_one_plus_cosine(complete_store: MilvusHybridVectorStore) -> None:
    q = "vector database"
    [(doc, relevance)] = complete_store.similarity_search_with_relevance_scores(q, k=1, mode="dense")
    [(_, cosine)] = complete_store.similarity_search_with_score(q, k=1, mode="dense")
    assert relevance == pytest.approx((1 + cosine) / 2)
    assert complete_store._select_relevance_score_fn()(cosine) != relevance  # the store's default mode is hybrid


def test_search_by_vector_and_mmr(complete_store: MilvusHybridVectorStore) -> None:
    q = "where does Milvus Lite keep vectors?"
    vector = shared_encoder().encode_queries([q])[0].tolist()
    assert [d.id for d in complete_store.similarity_search_by_vector(vector, k=3)] == [
        d.id for d in complete_store.similarity_search(q, k=3, mode="dense")
    ]
    plain = [d.id for d in complete_store.similarity_search(q, k=3, mode="dense")]
    assert set(plain) == {"t1", "t2", "t3"}  # the three copies come first
    diverse = complete_store.max_marginal_relevance_search(q, k=3, fetch_k=10, lambda_mult=0.3, mode="dense")
    assert len({d.page_content for d in diverse}) == 3
    by_vector = complete_store.max_marginal_relevance_search_by_vector(vector, k=3, fetch_k=10, lambda_mult=0.3)
    assert [d.id for d in by_vector] == [d.id for d in diverse]
    assert (
        complete_store.max_marginal_relevance_search(q, k=3, fetch_k=10, lambda_mult=1.0, mode="dense")[0].id in plain
    )


async def test_async_mmr_and_by_vector_equal_sync(complete_store: MilvusHybridVectorStore) -> None:
    q = "jet engines"
    sync = complete_store.max_marginal_relevance_search(q, k=2, fetch_k=6)
    assert [d.id for d in await complete_store.amax_marginal_relevance_search(q, k=2, fetch_k=6)] == [
        d.id for d in sync
    ]
    vector = shared_encoder().encode_queries([q])[0].tolist()
    assert [d.id for d in await complete_store.asimilarity_search_by_vector(vector, k=2)] == [
        d.id for d in complete_store.similarity_search_by_vector(vector, k=2)
    ]


def test_as_retriever_honours_langchain_search_types(complete_store: MilvusHybridVectorStore) -> None:
    q = "where does Milvus Lite keep vectors?"
    mmr = complete_store.as_retriever(search_type="mmr", search_kwargs={"k": 3, "fetch_k": 10, "lambda_mult": 0.3})
    docs = mmr.invoke(q)
    assert [d.id for d in docs] == [d.id for d in complete_store.max_marginal_relevance_search(q, 3, 10, 0.3)]
    assert all("relevance" in d.metadata and "fused_score" in d.metadata for d in docs)  # route scores stay visible
    threshold = complete_store.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"score_threshold": 0.6, "k": 10, "mode": "dense"}
    )
    kept = threshold.invoke(q)
    assert kept and all(d.metadata["relevance"] >= 0.6 for d in kept)
    expected = [
        d.id for d, r in complete_store.similarity_search_with_relevance_scores(q, k=10, mode="dense") if r >= 0.6
    ]
    assert [d.id for d in kept] == expected
    with pytest.raises(InvalidInputError, match="needs search_kwargs\\['score_threshold'\\]"):
        complete_store.as_retriever(search_type="similarity_score_threshold")
    with pytest.raises(InvalidInputError, match="unknown search_type 'similarity_threshold'"):
        complete_store.as_retriever(search_type="similarity_threshold")
