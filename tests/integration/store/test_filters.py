"""Filters on real engines: in search, delete and documents; generated filters against the Python evaluation,
hostile values, limits, bad expressions."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milvus_model_adapters.errors import FilterError
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.store.filters import combine, compile_filter
from milvus_model_adapters.store.filters.parse import MAX_DEPTH, MAX_VALUES
from tests.support.filter_oracle import matches

HOSTILE = ['" or 1==1 or "', '\\" or true or \\"', "x' or '1'=='1", 'a"]) or (metadata["n', "\\", '"', "\t", "ü\u0000"]
STRINGS = ["a", "b", "A", "é", '"q"', "a b", "", "\\"]


class _Unit:
    """A small deterministic dense function: a distinct vector per text, no model needed."""

    dim = 8

    def encode_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(random.Random(t).uniform(0.1, 1.0) for _ in range(self.dim)) for t in texts]

    encode_queries = encode_documents


def _metadata(rnd: random.Random) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if rnd.random() < 0.8:
        meta["n"] = rnd.choice([rnd.randint(-3, 3), rnd.randint(-3, 3) + 0.5, None])
    if rnd.random() < 0.8:
        meta["s"] = rnd.choice(STRINGS)
    if rnd.random() < 0.7:
        meta["b"] = rnd.random() < 0.5
    if rnd.random() < 0.7:
        meta["tags"] = rnd.sample(["x", "y", "z"], rnd.randint(0, 3))
    if rnd.random() < 0.6:
        meta["p"] = {"q": rnd.randint(0, 2)} if rnd.random() < 0.8 else {}
    return meta


DOCS = {f"d{i:02d}": _metadata(random.Random(i)) for i in range(60)}


@pytest.fixture(scope="module", params=["lite", pytest.param("server", marks=pytest.mark.network)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HybridStore]:
    if request.param == "lite":
        store = HybridStore(str(tmp_path_factory.mktemp("filters") / "f.db"), dense=_Unit())
    else:
        name = "f_" + uuid.uuid4().hex[:10]
        store = HybridStore(request.getfixturevalue("server_uri"), name, dense=_Unit(), drop_existing=True)
    store.add([f"document {i}" for i in DOCS], metadatas=list(DOCS.values()), ids=list(DOCS))
    yield store
    if not store.is_local:
        store.drop()
    store.close()


numbers = st.one_of(st.integers(-4, 4), st.integers(-4, 4).map(lambda i: i + 0.5))
leaves = st.one_of(
    st.builds(lambda op, v: {"n": {op: v}}, st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]), numbers),
    st.builds(
        lambda op, v: {"n": {op: v}}, st.sampled_from(["$in", "$nin"]), st.lists(numbers, min_size=1, max_size=4)
    ),
    st.builds(lambda op, v: {"s": {op: v}}, st.sampled_from(["$eq", "$ne", "$gt", "$lte"]), st.sampled_from(STRINGS)),
    st.builds(
        lambda op, v: {"s": {op: v}}, st.sampled_from(["$in", "$nin"]), st.lists(st.sampled_from(STRINGS), min_size=1)
    ),
    st.builds(lambda op, v: {"b": {op: v}}, st.sampled_from(["$eq", "$ne"]), st.booleans()),
    st.builds(lambda v: {"b": v}, st.booleans()),
    st.builds(lambda op, v: {"p.q": {op: v}}, st.sampled_from(["$eq", "$ne", "$gt", "$in"]), st.integers(0, 2)).map(
        lambda f: {"p.q": {"$in": [f["p.q"]["$in"]]}} if "$in" in f["p.q"] else f
    ),
    st.builds(lambda v: {"s": {"$like": v}}, st.sampled_from(["a%", "%b", "_", "%", "a_b", "%q%", "A%", "é"])),
    st.builds(lambda v: {"tags": {"$contains": v}}, st.sampled_from(["x", "y", "z"])),
    st.builds(
        lambda op, v: {"tags": {op: v}},
        st.sampled_from(["$contains_any", "$contains_all"]),
        st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=2, unique=True),
    ),
    st.builds(lambda k, v: {k: {"$exists": v}}, st.sampled_from(["n", "s", "p.q"]), st.booleans()),
)
filters = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda fs: {"$and": fs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda fs: {"$or": fs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda f: {"$not": f}, inner),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters)
def test_generated_filters_match_the_python_evaluation(engine: HybridStore, flt: dict[str, Any]) -> None:
    expected = sorted(i for i, meta in DOCS.items() if matches(flt, meta))
    try:
        found = sorted(d.id for d in engine.documents(filter=flt))
    except FilterError as error:
        # Only Milvus Lite 2.5 refuses anything, and only what it cannot express: 'not' and 'exists'.
        assert not (engine.engine.negation and engine.engine.full_like) and "cannot evaluate" in str(error), str(error)
        return
    assert found == expected, compile_filter(flt, engine.engine)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters)
def test_search_applies_filters_as_documents_does(engine: HybridStore, flt: dict[str, Any]) -> None:
    try:
        expected = sorted(d.id for d in engine.documents(filter=flt))
    except FilterError:
        return
    hits = engine.search("document", len(DOCS), mode="sparse", filter=flt)  # exact on every generation
    assert sorted(h.id for h in hits) == expected


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_widen_on_real_milvus(filled_store, value: str) -> None:  # type: ignore[no-untyped-def]
    # Store a document whose metadata holds the hostile value: the filter must match it and only it.
    filled_store.add(["a document with a hostile tag"], metadatas=[{"topic": value}], ids=["hostile"])
    got = [d.id for d in filled_store.documents(filter={"topic": value})]
    assert got == ["hostile"]
    hits = filled_store.search("hostile tag", k=20, filter={"topic": value})
    assert [h.id for h in hits] == ["hostile"]
    assert list(filled_store.documents(filter={"topic": value + "x"})) == []
    assert "hostile" not in {d.id for d in filled_store.documents(filter={"topic": {"$in": [value + "x", "zz"]}})}


def test_large_in_lists_answer_without_harming_the_engine(engine: HybridStore) -> None:
    values = list(range(1000, 1000 + MAX_VALUES - 2)) + [1, -1]
    expected = sorted(i for i, m in DOCS.items() if matches({"n": {"$in": values}}, m))
    assert sorted(d.id for d in engine.documents(filter={"n": {"$in": values}})) == expected
    with pytest.raises(FilterError, match=f"at most {MAX_VALUES} values"):
        list(engine.documents(filter={"n": {"$in": list(range(MAX_VALUES + 1))}}))
    assert engine.count() == len(DOCS)  # the engine still answers


def test_integers_milvus_cannot_compare_exactly_are_refused(engine: HybridStore) -> None:
    engine.add(["edge"], metadatas=[{"big": 2**63 - 1}], ids=["edge"])
    try:
        assert [d.id for d in engine.documents(filter={"big": 2**63 - 1})] == ["edge"]
        for value in (2**63, 2**64, -(2**63), -(2**64)):
            with pytest.raises(FilterError, match="outside the range Milvus compares exactly"):
                list(engine.documents(filter={"big": value}))
    finally:
        engine.delete(["edge"])


def test_deep_nesting_is_refused_before_the_engine() -> None:
    flt: dict[str, Any] = {"a": 1}
    for _ in range(MAX_DEPTH):
        flt = {"$and": [flt]}
    compile_filter(flt)
    with pytest.raises(FilterError, match=f"more than {MAX_DEPTH} levels"):
        compile_filter({"$or": [flt]})
    deep: dict[str, Any] = {"a": 1}
    for _ in range(1000):
        deep = {"$and": [deep]}
    with pytest.raises(FilterError, match="levels deep"):  # not a RecursionError
        compile_filter(deep)


@pytest.mark.parametrize(
    ("flt", "match"),
    [
        ({"$foo": 1}, "unknown filter operator"),
        ({"a": {"$regex": "x"}}, "unknown filter operator"),
        ({'a"] or 1==1 or metadata["b': 1}, "invalid metadata key"),
        ({"a b": 1}, "invalid metadata key"),
        ({"a": float("nan")}, "finite"),
        ({"a": {"$in": "abc"}}, "list of values"),
        ({"a": {"$in": []}}, "non-empty list"),
        ({"a": [1, 2]}, "unsupported filter value"),
        ({"$and": []}, "non-empty list"),
        ({"a": {}}, "empty condition"),
        ({"a": object()}, "unsupported filter value"),
        ("a == 1", "must be a dict"),
        ({"a": "line\nbreak"}, "line breaks"),
        ({"a": {"$exists": "yes"}}, "true or false"),
    ],
)
def test_bad_filters(flt, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FilterError, match=match):
        compile_filter(flt)


def test_error_messages_do_not_embed_huge_values() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter({"a": {"$in": "x" * 250_000}})
    assert len(str(info.value)) < 500


def test_combine() -> None:
    assert combine("", None) == ""
    assert combine("a", "") == "a"
    assert combine("a", "b") == "(a) and (b)"


def test_filters_in_search_delete_and_documents(filled_store: HybridStore) -> None:
    hits = filled_store.search("milvus", k=20, filter={"topic": "other"})
    assert hits and all(h.metadata["topic"] == "other" for h in hits)
    assert {h.id for h in filled_store.search("milvus", k=20, filter={"n": {"$in": [0, 1]}})} <= {
        "doc0",
        "doc1",
    }
    raw = filled_store.search("milvus", k=20, expr='metadata["n"] >= 10')
    assert {h.id for h in raw} <= {"doc10", "doc11"}
    assert filled_store.delete(filter={"topic": "other"}) == 6
    assert filled_store.count() == 6
    assert filled_store.bm25_stats()["corpus_size"] == 6
    assert filled_store.delete(["doc0", "nope"]) == 1
    assert sorted(d.id for d in filled_store.documents()) == [f"doc{i}" for i in range(1, 6)]


def test_filter_on_missing_field_or_bad_expression(filled_store: HybridStore) -> None:
    assert filled_store.search("milvus", filter={"no_such_key": 1}) == []
    assert filled_store.search("milvus", expr="no_such_key == 1") == []  # a bare name is a metadata key
    with pytest.raises(FilterError, match="rejected"):
        filled_store.search("milvus", expr="text ==")
    with pytest.raises(FilterError):
        filled_store.search("milvus", filter={"$bad": 1})
