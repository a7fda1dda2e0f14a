"""Result assembly without Milvus: candidate counts, fusion into hits, server order, rerank stage."""

from __future__ import annotations

import pytest

from milvus_model_adapters import SearchParams
from milvus_model_adapters.rerank.base import RerankHit
from milvus_model_adapters.store.search import assembly
from milvus_model_adapters.store.search.fusion import RRF, Weighted


def raw(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"id": i, "distance": d, "entity": {"text": f"text {i}", "metadata": {"n": i}}} for i, d in pairs]


def reranker(query: str, documents: list[str], top_k: int) -> list[object]:
    return []


@pytest.mark.parametrize(
    ("options", "depth", "keep", "pool"),
    [
        ({"k": 5}, 20, 5, 0),
        ({"k": 5, "mode": "dense"}, 5, 5, 0),
        ({"k": 5, "fetch_k": 50}, 50, 5, 0),
        ({"k": 5, "reranker": reranker}, 20, 20, 20),
        ({"k": 5, "reranker": reranker, "rerank_k": 40}, 40, 40, 40),
        ({"k": 5, "mode": "sparse", "reranker": reranker, "rerank_k": 3}, 5, 5, 3),
        ({"k": 16384}, 16384, 16384, 0),
    ],
)
def test_candidate_counts(options: dict[str, object], depth: int, keep: int, pool: int) -> None:
    assert assembly.candidate_counts(SearchParams.create(**options)) == assembly.CandidateCounts(depth, keep, pool)  # type: ignore[arg-type]


def test_route_hits_ranks_scores_and_rows() -> None:
    rows: assembly.Rows = {}
    routes = assembly.route_hits([raw(("a", -3.0), ("b", -1.0))], rows, score=abs)
    assert [(h.id, h.score, h.rank) for h in routes[0]] == [("a", 3.0, 1), ("b", 1.0, 2)]
    assert rows["b"]["text"] == "text b"


def test_route_hits_rank_ties_by_id_and_cut_at_the_limit() -> None:
    rows: assembly.Rows = {}
    [route] = assembly.route_hits([raw(("d", 0.5), ("c", 0.9), ("b", 0.5), ("a", 0.5))], rows, limit=3)
    assert [(h.id, h.rank) for h in route] == [("c", 1), ("a", 2), ("b", 3)]
    assert set(rows) == {"a", "b", "c"}


def test_build_hits_hybrid_keeps_every_route_score() -> None:
    rows: assembly.Rows = {}
    dense = assembly.route_hits([raw(("a", 0.9), ("b", 0.5))], rows)[0]
    sparse = assembly.route_hits([raw(("b", 7.0), ("c", 2.0))], rows)[0]
    kinds = {"dense": "ip", "sparse": "ip"}
    hits = assembly.build_hits("hybrid", RRF(60), {"dense": dense, "sparse": sparse}, rows, 2, kinds)
    assert [h.id for h in hits] == ["b", "a"]
    b = hits[0]
    assert (b.dense_rank, b.sparse_rank, b.dense_score, b.sparse_score) == (2, 1, 0.5, 7.0)
    assert b.score == b.fused_score == pytest.approx(1 / 62 + 1 / 61)
    assert b.text == "text b" and b.metadata == {"n": "b"}
    only = assembly.build_hits("sparse", RRF(60), {"sparse": sparse}, rows, 5, kinds)
    assert [(h.id, h.score, h.fused_score) for h in only] == [("b", 7.0, None), ("c", 2.0, None)]


def test_ties_go_to_the_smaller_id_in_client_and_server_order() -> None:
    rows: assembly.Rows = {}
    dense = assembly.route_hits([raw(("QX-7732", 0.8), ("QX-7731", 0.7))], rows)[0]
    sparse = assembly.route_hits([raw(("QX-7731", 5.0), ("QX-7732", 4.0))], rows)[0]
    kinds = {"dense": "ip", "sparse": "ip"}
    for ranker in (RRF(60), Weighted((0.5, 0.5))):
        hits = assembly.build_hits("hybrid", ranker, {"dense": dense, "sparse": sparse}, rows, 2, kinds)
        assert [h.id for h in hits] == ["QX-7731", "QX-7732"]
    server = assembly.server_hits([raw(("QX-7732", 0.5), ("QX-7731", 0.5), ("QX-1", 0.9))], 2)
    assert [h.id for h in server[0]] == ["QX-1", "QX-7731"]


def test_reranked_keeps_route_scores_and_the_rest_in_order() -> None:
    rows: assembly.Rows = {}
    dense = assembly.route_hits([raw(("a", 0.9), ("b", 0.5), ("c", 0.1))], rows)[0]
    hits = assembly.build_hits("dense", RRF(60), {"dense": dense}, rows, 3, {"dense": "ip"})
    out = assembly.reranked(hits[:2], [RerankHit(1, 0.99, "text b"), RerankHit(0, 0.1, "text a")]) + hits[2:]
    assert [(h.id, h.score, h.rerank_score, h.dense_rank) for h in out] == [
        ("b", 0.99, 0.99, 2),
        ("a", 0.1, 0.1, 1),
        ("c", 0.1, None, 3),
    ]
