from __future__ import annotations

import pytest

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store.search.fusion import RRF, RouteHit, Weighted, make_ranker, order


def hits(*ids: str, scores: list[float] | None = None) -> list[RouteHit]:
    scores = scores or [1.0 / (i + 1) for i in range(len(ids))]
    return [RouteHit(i, s, r + 1) for r, (i, s) in enumerate(zip(ids, scores, strict=True))]


def test_rrf_matches_formula() -> None:
    routes = {"dense": hits("a", "b"), "sparse": hits("b", "c")}
    fused = RRF(60).fuse(routes)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert order(fused) == ["b", "a", "c"]


def test_weighted_minmax_and_arctan() -> None:
    routes = {"dense": hits("a", "b", scores=[0.9, 0.1]), "sparse": hits("b", "a", scores=[12.0, 2.0])}
    mm = Weighted((0.5, 0.5)).fuse(routes, kinds={"dense": "ip", "sparse": "bm25"})
    assert mm == {"a": pytest.approx(0.5), "b": pytest.approx(0.5)}
    w = Weighted((0.9, 0.1)).fuse(routes, kinds={"dense": "ip", "sparse": "bm25"})
    assert order(w)[0] == "a"
    arc = Weighted((1.0, 0.0), normalization="arctan").fuse(routes, kinds={"dense": "ip", "sparse": "bm25"})
    assert arc["a"] > arc["b"]


def test_ties_are_deterministic() -> None:
    routes = {"dense": hits("x", "y"), "sparse": hits("y", "x")}
    fused = RRF().fuse(routes)
    assert fused["x"] == fused["y"]
    assert order(fused) == ["x", "y"]  # a tie: by id


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: Weighted((1.0,)).fuse({"a": [], "b": []}, kinds={"a": "ip", "b": "ip"}), InvalidInputError),
        (lambda: Weighted((0.0, 0.0)), InvalidInputError),
        (lambda: Weighted((-1.0, 1.0)), InvalidInputError),
        (lambda: Weighted("ab"), InvalidTypeError),  # type: ignore[arg-type]
        (lambda: Weighted((1, 1), normalization="z"), InvalidInputError),  # type: ignore[arg-type]
        (lambda: RRF(-1), InvalidInputError),
        (lambda: RRF(1.5), InvalidTypeError),  # type: ignore[arg-type]
        (lambda: make_ranker("borda"), InvalidInputError),
    ],
)
def test_bad_rankers(make, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        make()
