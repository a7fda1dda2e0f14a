from __future__ import annotations

import pytest

from milvus_model_adapters.rerank import CosineReranker, JinaReranker
from milvus_model_adapters.store import RRF, SearchParams, Weighted
from milvus_model_adapters.store.search.mmr import mmr_select
from milvus_model_adapters.store.search.relevance import relevance_function


def test_mmr_with_lambda_one_is_similarity_order() -> None:
    candidates = [[0.0, 1.0], [1.0, 0.0], [0.7, 0.7]]
    assert mmr_select([1.0, 0.0], candidates, 3, lambda_mult=1.0) == [1, 2, 0]


def test_mmr_skips_a_near_duplicate_of_what_it_picked() -> None:
    candidates = [[1.0, 0.0], [0.99, 0.01], [0.6, 0.8]]  # the second repeats the first
    assert mmr_select([1.0, 0.0], candidates, 2, lambda_mult=0.3) == [0, 2]
    assert mmr_select([1.0, 0.0], candidates, 2, lambda_mult=1.0) == [0, 1]


def test_mmr_edge_cases() -> None:
    assert mmr_select([1.0], [], 3) == []
    assert mmr_select([1.0, 0.0], [[1.0, 0.0]], 5) == [0]
    assert mmr_select([1.0, 0.0], [[0.0, 0.0], [1.0, 0.0]], 1) == [1]  # a zero vector is never nearest


@pytest.mark.parametrize(
    ("params", "score", "expected"),
    [
        (SearchParams(mode="dense"), 1.0, 1.0),
        (SearchParams(mode="dense"), -1.0, 0.0),
        (SearchParams(mode="dense"), 0.5, 0.75),
        (SearchParams(mode="sparse"), 3.0, 0.75),
        (SearchParams(mode="sparse"), 0.0, 0.0),
        (SearchParams(ranker=RRF(60)), 2 / 61, 1.0),
        (SearchParams(ranker=RRF(60)), 1 / 61, 0.5),
        (SearchParams(ranker=Weighted((0.5, 0.5))), 0.5, 0.5),
        (SearchParams(ranker=Weighted((2.0, 2.0))), 4.0, 1.0),
        (SearchParams(reranker=CosineReranker()), 0.0, 0.5),
        (SearchParams(reranker=JinaReranker(api_key="unused")), 1.7, 1.0),
    ],
)
def test_relevance_is_in_zero_one_for_every_kind(params: SearchParams, score: float, expected: float) -> None:
    assert relevance_function(params)(score) == pytest.approx(expected)
