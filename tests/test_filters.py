from __future__ import annotations

import pytest

from milvus_model_adapters.errors import FilterError
from milvus_model_adapters.store.filters import combine, compile_filter

HOSTILE = [
    '" or 1==1 or "',
    '\\" or true or \\"',
    "x' or '1'=='1",
    'a"]) or (metadata["n',
    "\\",
    '"',
    "\t",
    "ü\u0000",
    "é\u2028",
]


@pytest.mark.parametrize(
    ("flt", "expr"),
    [
        ({"a": "x"}, 'metadata["a"] == "x"'),
        ({"a": 1, "b": True}, '(metadata["a"] == 1 and metadata["b"] == true)'),
        ({"n": {"$gte": 2, "$lt": 5.5}}, '(metadata["n"] >= 2 and metadata["n"] < 5.5)'),
        ({"t": {"$in": ["a", "b"]}}, '(metadata["t"] == "a" or metadata["t"] == "b")'),
        ({"t": {"$nin": [1]}}, 'not (metadata["t"] == 1)'),
        ({"$or": [{"a": 1}, {"b": 2}]}, '(metadata["a"] == 1 or metadata["b"] == 2)'),
        ({"$not": {"a": 1}}, 'not (metadata["a"] == 1)'),
        ({"p.q": {"$ne": "z"}}, 'metadata["p"]["q"] != "z"'),
        ({"a": {"$exists": True}}, 'exists metadata["a"]'),
        ({"s": 'say "hi"\\'}, 'metadata["s"] == "say \\"hi\\"\\\\"'),
    ],
)
def test_compile(flt, expr) -> None:  # type: ignore[no-untyped-def]
    assert compile_filter(flt) == expr


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
    ],
)
def test_bad_filters(flt, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FilterError, match=match):
        compile_filter(flt)


def test_combine() -> None:
    assert combine("", None) == ""
    assert combine("a", "") == "a"
    assert combine("a", "b") == "(a) and (b)"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_widen_on_real_milvus(filled_store, value: str) -> None:  # type: ignore[no-untyped-def]
    # Store a document whose metadata holds the hostile value: the filter must match it and only it.
    filled_store.add(["a document with a hostile tag"], metadatas=[{"topic": value}], ids=["hostile"])
    got = [d.id for d in filled_store.documents(filter={"topic": value})]
    assert got == ["hostile"]
    hits = filled_store.search("hostile tag", k=20, filter={"topic": value})
    assert [h.id for h in hits] == ["hostile"]
    assert list(filled_store.documents(filter={"topic": value + "x"})) == []
