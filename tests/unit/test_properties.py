"""Property tests: filters can't be widened, BM25 and fusion behave as their formulas say."""

from __future__ import annotations

import math
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.store.engine import LITE_2_5, LITE_3, SERVER
from milvus_model_adapters.store.filters import compile_filter
from milvus_model_adapters.store.filters.literals import literal
from milvus_model_adapters.store.search.fusion import RRF, RouteHit, Weighted, order

text_values = st.text(alphabet=st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)), max_size=40)


def unquote(expr: str) -> str:
    """Parse the single string literal of ``metadata["k"] == "..."`` the way Milvus's lexer does."""
    m = re.fullmatch(r'metadata\["k"\] == "((?:[^"\\]|\\.)*)"', expr, flags=re.S)
    assert m, f"the expression changed shape: {expr!r}"
    return re.sub(r"\\(.)", r"\1", m.group(1), flags=re.S)


@given(text_values)
def test_string_values_never_change_expression_structure(value: str) -> None:
    expr = compile_filter({"k": value})
    assert unquote(expr) == value  # one literal, which reads back as the value itself


LITERAL = r'"((?:[^"\\]|\\.)*)"'


def literals(expr: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", i, flags=re.S) for i in re.findall(LITERAL, expr, flags=re.S)]


@given(st.lists(text_values, min_size=1, max_size=5))
def test_in_lists_stay_one_list_or_one_disjunction(values: list[str]) -> None:
    native = "metadata[V] in [" + ", ".join(["V"] * len(values)) + "]"
    for dialect in (SERVER, LITE_2_5):
        expr = compile_filter({"k": {"$in": values}}, dialect)
        # Removing the string literals leaves exactly the skeleton: no value adds structure.
        assert re.sub(LITERAL, "V", expr, flags=re.S) == native
        assert literals(expr) == ["k", *values]
    expr = compile_filter({"k": {"$in": values}}, LITE_3)
    assert re.sub(LITERAL, "V", expr, flags=re.S) == "(" + " or ".join(["metadata[V] == V"] * len(values)) + ")"
    assert literals(expr)[1::2] == values


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans()))
def test_numbers_are_plain_literals(value: object) -> None:
    out = literal(value)
    assert re.fullmatch(r"-?[0-9.e+\-]+|true|false|inf", out), out


words = st.sampled_from(["wing", "lift", "drag", "engine", "thrust", "flow", "shock", "wave", "heat", "plate"])
docs = st.lists(st.lists(words, min_size=1, max_size=12).map(" ".join), min_size=2, max_size=15)


@settings(max_examples=40, deadline=None)
@given(docs, st.lists(words, min_size=1, max_size=4).map(" ".join), st.randoms())
def test_bm25_properties(corpus: list[str], query: str, rnd) -> None:  # type: ignore[no-untyped-def]
    bm = BM25Encoder().fit(corpus)
    scores = (bm.encode_queries([query]) @ bm.encode_documents(corpus).T).toarray()[0]
    assert (scores >= 0).all()
    # Invariant to document order.
    shuffled = corpus[:]
    rnd.shuffle(shuffled)
    bm2 = BM25Encoder().fit(shuffled)
    s2 = (bm2.encode_queries([query]) @ bm2.encode_documents(corpus).T).toarray()[0]
    np.testing.assert_allclose(scores, s2, rtol=1e-5, atol=1e-6)
    # Parity with the reference formula (pymilvus-model's rank_bm25 variant).
    toks = [bm.analyzer(d) for d in corpus]
    n, avgdl = len(corpus), sum(map(len, toks)) / len(corpus)
    df: dict[str, int] = {}
    for t in toks:
        for w in set(t):
            df[w] = df.get(w, 0) + 1
    idf = {w: math.log(n - f + 0.5) - math.log(f + 0.5) for w, f in df.items()}
    eps = max(0.25 * sum(idf.values()) / len(idf), 0.0)
    idf = {w: (v if v >= 0 else eps) for w, v in idf.items()}
    for d, t in enumerate(toks):
        ref = 0.0
        for w in bm.analyzer(query):
            if w in idf:
                tf = t.count(w)
                ref += idf[w] * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * len(t) / avgdl))
        assert math.isclose(scores[d], ref, rel_tol=1e-4, abs_tol=1e-4)


ids = st.lists(st.sampled_from(list("abcdefghij")), min_size=1, max_size=10, unique=True)


def route(names: list[str], scores: list[float] | None = None) -> list[RouteHit]:
    scores = scores or [1.0 / (i + 1) for i in range(len(names))]
    return [RouteHit(n, s, i + 1) for i, (n, s) in enumerate(zip(names, scores, strict=True))]


@given(ids, ids, st.integers(min_value=0, max_value=100))
def test_rrf_monotone_and_deterministic(a: list[str], b: list[str], k: int) -> None:
    routes = {"dense": route(a), "sparse": route(b)}
    fused = RRF(k).fuse(routes)
    # A document ranked at least as well in every route never scores lower.
    for x in fused:
        for y in fused:
            rx = [r.rank for h in routes.values() for r in h if r.id == x]
            ry = [r.rank for h in routes.values() for r in h if r.id == y]
            if len(rx) >= len(ry) and all(p <= q for p, q in zip(sorted(rx), sorted(ry), strict=False)):
                assert fused[x] >= fused[y] - 1e-12
    assert order(fused) == order(dict(reversed(list(fused.items()))))


@given(
    st.lists(st.floats(min_value=-1, max_value=1), min_size=2, max_size=8, unique=True),
    st.floats(min_value=0.01, max_value=1.0),
)
def test_weighted_is_monotone_in_a_route_score(scores: list[float], w: float) -> None:
    names = [f"d{i}" for i in range(len(scores))]
    ordered = sorted(zip(scores, names, strict=True), reverse=True)
    dense = route([n for _, n in ordered], [s for s, _ in ordered])
    fused = Weighted((w, 0.0)).fuse({"dense": dense, "sparse": []}, kinds={"dense": "ip", "sparse": "bm25"})
    # A better route score never fuses lower; equal fused scores (ties) are ordered by id.
    names_by_route = [n for _, n in ordered]
    assert all(fused[a] >= fused[b] for a, b in zip(names_by_route, names_by_route[1:], strict=False))
    assert order(fused) == sorted(names_by_route, key=lambda n: (-fused[n], n))
