"""Typed metadata fields on real engines: columns written and read back, checked before anything is written,
kept in the collection, and filters (typed and JSON keys mixed) held to the Python evaluation."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from milvus_model_adapters.errors import FilterError, InvalidInputError, InvalidTypeError, SchemaMismatchError
from milvus_model_adapters.store import HybridStore, MetadataField, infer_fields
from milvus_model_adapters.store.filters import compile_filter
from tests.support.filter_oracle import matches

SOURCES = ["a", "b", "A", "é", '"q"', "a b", ""]
FIELDS: dict[str, Any] = {"year": "int64", "price": "double", "source": "varchar", "flag": "bool"}


class _Unit:
    """A small deterministic dense function: a distinct vector per text, no model needed."""

    dim = 8

    def encode_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(random.Random(t).uniform(0.1, 1.0) for _ in range(self.dim)) for t in texts]

    encode_queries = encode_documents


def _metadata(rnd: random.Random, *, nulls: bool) -> dict[str, Any]:
    """Typed keys (missing now and then where the engine has nulls) and JSON keys."""
    meta: dict[str, Any] = {}
    typed = {
        "year": rnd.randint(-3, 3),
        "price": rnd.choice([rnd.randint(-3, 3), rnd.randint(-3, 3) + 0.5]),
        "source": rnd.choice(SOURCES),
        "flag": rnd.random() < 0.5,
        "tags": rnd.sample(["x", "y", "z"], rnd.randint(0, 3)),
    }
    for key, value in typed.items():
        if not nulls or rnd.random() < 0.8:
            meta[key] = value
    if rnd.random() < 0.8:
        meta["n"] = rnd.randint(-3, 3)
    if rnd.random() < 0.8:
        meta["s"] = rnd.choice(SOURCES)
    return meta


def _open(uri: str, name: str, *, arrays: bool, **options: Any) -> HybridStore:
    fields = {**FIELDS, "tags": "array<varchar>"} if arrays else FIELDS
    return HybridStore(uri, name, dense=_Unit(), fields=fields, **options)


@pytest.fixture(scope="module", params=["lite", pytest.param("server", marks=pytest.mark.network)])
def typed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HybridStore]:
    """A store with typed columns (and ``tags`` an array column where the engine reads them back), 60 documents."""
    if request.param == "lite":
        uri, name, options = str(tmp_path_factory.mktemp("typed") / "t.db"), "typed", {}
    else:
        uri, name = request.getfixturevalue("server_uri"), "t_" + uuid.uuid4().hex[:10]
        options = {"drop_existing": True}
    try:
        store = _open(uri, name, arrays=True, **options)
    except InvalidInputError as error:  # Milvus Lite 2.5: list metadata stays in the JSON field
        assert "array column" in str(error)
        store = _open(uri, name, arrays=False, **options)
    docs = {f"d{i:02d}": _metadata(random.Random(i), nulls=store.engine.null_values) for i in range(60)}
    store.add([f"document {i}" for i in docs], metadatas=list(docs.values()), ids=list(docs))
    store.docs = docs  # type: ignore[attr-defined]
    yield store
    if not store.is_local:
        store.drop()
    store.close()


def test_documents_read_back_as_one_metadata_dict(typed: HybridStore) -> None:
    docs: dict[str, dict[str, Any]] = typed.docs  # type: ignore[attr-defined]
    stored = {d.id: d.metadata for d in typed.documents()}
    for doc_id, meta in docs.items():
        expected = {k: float(v) if k == "price" else v for k, v in meta.items()}
        assert stored[doc_id] == expected
    hit = typed.search("document 3", 1, mode="sparse", filter={"year": docs["d03"].get("year", 0)})[0]
    assert hit.metadata == {d.id: d.metadata for d in typed.get([hit.id])}[hit.id]
    assert set(typed.fields) >= set(FIELDS)


numbers = st.one_of(st.integers(-4, 4), st.integers(-4, 4).map(lambda i: i + 0.5))
_ORDER = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]
leaves = st.one_of(
    st.builds(lambda k, op, v: {k: {op: v}}, st.sampled_from(["year", "price", "n"]), st.sampled_from(_ORDER), numbers),
    st.builds(
        lambda k, op, v: {k: {op: v}},
        st.sampled_from(["year", "price", "n"]),
        st.sampled_from(["$in", "$nin"]),
        st.lists(numbers, min_size=1, max_size=4),
    ),
    st.builds(
        lambda k, op, v: {k: {op: v}},
        st.sampled_from(["source", "s"]),
        st.sampled_from(["$eq", "$ne", "$gt", "$lte"]),
        st.sampled_from(SOURCES),
    ),
    st.builds(
        lambda k, op, v: {k: {op: v}},
        st.sampled_from(["source", "s"]),
        st.sampled_from(["$in", "$nin"]),
        st.lists(st.sampled_from(SOURCES), min_size=1),
    ),
    st.builds(lambda op, v: {"flag": {op: v}}, st.sampled_from(["$eq", "$ne"]), st.booleans()),
    st.builds(lambda v: {"source": {"$like": v}}, st.sampled_from(["a%", "%b", "%q%", "A%", "é"])),
    st.builds(lambda v: {"tags": {"$contains": v}}, st.sampled_from(["x", "y", "z"])),
    st.builds(
        lambda op, v: {"tags": {op: v}},
        st.sampled_from(["$contains_any", "$contains_all"]),
        st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=2, unique=True),
    ),
    st.builds(lambda k, v: {k: {"$exists": v}}, st.sampled_from(["year", "source", "n"]), st.booleans()),
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


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters)
def test_generated_filters_on_typed_and_json_keys_match_the_python_evaluation(
    typed: HybridStore, flt: dict[str, Any]
) -> None:
    docs: dict[str, dict[str, Any]] = typed.docs  # type: ignore[attr-defined]
    expected = sorted(i for i, meta in docs.items() if matches(flt, meta))
    try:
        found = sorted(d.id for d in typed.documents(filter=flt))
    except FilterError as error:
        # Only Milvus Lite 2.5 refuses anything, and only what it cannot express: 'not' and 'exists'.
        assert not typed.engine.negation and "cannot evaluate" in str(error), str(error)
        return
    assert found == expected, compile_filter(flt, typed.engine, typed.fields)
    if len(expected) <= 20:
        hits = typed.search("document", 60, mode="sparse", filter=flt)
        assert sorted(h.id for h in hits) == expected


def test_in_on_a_typed_key_works_on_every_engine(typed: HybridStore) -> None:
    docs: dict[str, dict[str, Any]] = typed.docs  # type: ignore[attr-defined]
    expected = sorted(i for i, m in docs.items() if m.get("year") in (1, 2) or m.get("source") in ("a", "b"))
    flt = {"$or": [{"year": {"$in": [1, 2]}}, {"source": {"$in": ["a", "b"]}}]}
    assert "in [" in compile_filter(flt, typed.engine, typed.fields)
    assert sorted(typed.ids(filter=flt)) == expected
    assert sorted(typed.ids(expr='year in [1, 2] or source in ["a", "b"]')) == expected


@pytest.mark.parametrize(
    ("expr", "equivalent"),
    [
        ("year > 1 and n <= 0", {"year": {"$gt": 1}, "n": {"$lte": 0}}),
        ('metadata["year"] == 2 or s == "a"', {"$or": [{"year": 2}, {"s": "a"}]}),
        ("n in [1, 2] and flag == true", {"n": {"$in": [1, 2]}, "flag": True}),
        ('source like "a%" and price >= 0.5', {"source": {"$like": "a%"}, "price": {"$gte": 0.5}}),
    ],
)
def test_raw_expressions_name_columns_and_json_keys_bare(
    typed: HybridStore, expr: str, equivalent: dict[str, Any]
) -> None:
    docs: dict[str, dict[str, Any]] = typed.docs  # type: ignore[attr-defined]
    expected = sorted(i for i, meta in docs.items() if matches(equivalent, meta))
    assert sorted(typed.ids(expr=expr)) == expected
    assert sorted(h.id for h in typed.search("document", 60, mode="sparse", expr=expr)) == expected


@pytest.mark.parametrize(
    ("flt", "match"),
    [
        ({"year": "2000"}, "typed int64 column: compare it with integers"),
        ({"flag": 1}, "true or false"),
        ({"source": {"$gt": 3}}, "compare it with strings"),
        ({"year": {"$contains": 1}}, "not a list"),
        ({"year.month": 1}, "no nested key"),
        ({"year": {"$like": "1%"}}, "varchar column"),
    ],
)
def test_filters_that_do_not_fit_a_column_are_refused(typed: HybridStore, flt: dict[str, Any], match: str) -> None:
    with pytest.raises(FilterError, match=match):
        typed.ids(filter=flt)


def test_bad_values_are_refused_before_anything_is_written(typed: HybridStore) -> None:
    before = typed.count()
    good = {"year": 1, "price": 1.0, "source": "a", "flag": True}
    cases = [
        ({**good, "year": "1999"}, InvalidTypeError, r"metadatas\[1\]\['year'\].*must be an integer"),
        ({**good, "year": True}, InvalidTypeError, "must be an integer"),
        ({**good, "price": "cheap"}, InvalidTypeError, "must be a finite number"),
        ({**good, "source": "x" * 513}, InvalidInputError, "513 bytes; the column holds at most 512"),
        ({**good, "flag": "yes"}, InvalidTypeError, "true or false"),
        ({**good, "year": 2**63}, InvalidTypeError, "beyond the 64-bit integers"),
    ]
    for meta, error, match in cases:
        with pytest.raises(error, match=match):
            typed.add(["fine", "bad"], [good, meta])
    if not typed.engine.null_values:
        with pytest.raises(InvalidInputError, match="cannot be null"):
            typed.add(["fine", "bad"], [good, {"year": 1}])
    assert typed.count() == before


def test_a_reopened_store_knows_its_columns(tmp_path: Any) -> None:
    path = str(tmp_path / "r.db")
    declared = {"year": "int64", "source": MetadataField("varchar", max_length=16)}
    with HybridStore(path, "r", dense=_Unit(), fields=declared) as store:
        store.add(["one", "two"], [{"year": 1, "source": "a", "x": 1}, {"year": 2, "source": "b", "x": 2}])
    with HybridStore(path, "r", dense=_Unit()) as store:
        assert dict(store.fields)["source"].max_length == 16 and store.fields["year"].type == "int64"
        assert sorted(d.metadata["year"] for d in store.documents(filter={"year": {"$in": [1, 2]}})) == [1, 2]
        with pytest.raises(InvalidInputError, match="at most 16"):
            store.add(["three"], [{"year": 3, "source": "s" * 17}])
    with pytest.raises(SchemaMismatchError, match="'year' is an int64 column there, a double column in fields="):
        HybridStore(path, "r", dense=_Unit(), fields={"year": "double", "source": "varchar"})
    with pytest.raises(SchemaMismatchError, match="other metadata fields"):
        HybridStore(path, "json_only_first", dense=_Unit()).close()
        HybridStore(path, "json_only_first", dense=_Unit(), fields={"year": "int64"})


def test_a_json_only_collection_keeps_working_with_fields_of_none(tmp_path: Any) -> None:
    path = str(tmp_path / "j.db")
    with HybridStore(path, "j", dense=_Unit()) as store:
        store.add(["one"], [{"year": 1}], ids=["1"])
    with HybridStore(path, "j", dense=_Unit()) as store:
        assert not store.fields and store.get(["1"])[0].metadata == {"year": 1}
        assert store.ids(filter={"year": 1}) == ["1"]


def test_bad_declarations_are_refused_before_the_collection_is_made(tmp_path: Any) -> None:
    path = str(tmp_path / "d.db")
    for fields, error, match in [
        ({"year": "integer"}, InvalidInputError, "unknown field type"),
        ({"id": "varchar"}, InvalidInputError, "one of the store's own fields"),
        ({"a b": "int64"}, InvalidInputError, "cannot name a column"),
        ({"year": 5}, InvalidTypeError, "type name or a MetadataField"),
        ({"y": {"type": "int64"}}, InvalidTypeError, "type name or a MetadataField"),
    ]:
        with pytest.raises(error, match=match):
            HybridStore(path, "d", dense=_Unit(), fields=fields)
    with pytest.raises(InvalidInputError, match="varchar or int64"):
        MetadataField("double", partition_key=True)
    with pytest.raises(InvalidInputError, match="max_length must be 1 to 65535"):
        MetadataField("varchar", max_length=0)
    with HybridStore(path, "probe", dense=_Unit()) as store:
        assert not store.client.has_collection("d")


def test_fields_are_inferred_from_a_first_batch() -> None:
    inferred = infer_fields(
        [
            {"year": 2000, "price": 1, "title": "a", "ok": True, "tags": ["x"], "nested": {"a": 1}, "mixed": 1},
            {"year": 2001, "price": 2.5, "title": "b", "ok": False, "tags": ["y", "z"], "mixed": "one", "none": None},
        ],
        reserved=("id", "text"),
    )
    assert {k: f.type for k, f in inferred.items()} == {
        "year": "int64",
        "price": "double",
        "title": "varchar",
        "ok": "bool",
        "tags": "array<varchar>",
    }


def test_inferred_fields_of_a_batch_where_a_key_is_sometimes_missing(tmp_path: Any) -> None:
    batch = [{"year": 2024, "source": "a.md"}, {"year": 2019}]
    with HybridStore(str(tmp_path / "i.db"), dense=_Unit(), fields=infer_fields(batch)) as store:
        store.add(["First.", "Second."], metadatas=batch, ids=["1", "2"])
        # Without nulls (Milvus Lite 2.5), a key some document lacks stays in the JSON field.
        expected = {"year": "int64", "source": "varchar"} if store.engine.null_values else {"year": "int64"}
        assert {k: f.type for k, f in store.fields.items()} == expected
        assert store.ids(filter={"source": {"$in": ["a.md"]}}) == ["1"]
        assert [d.metadata for d in store.get(["1", "2"])] == batch
