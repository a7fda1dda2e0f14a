"""Each capability the engine model claims is what the engine itself does, asked with raw pymilvus calls.

Every probe runs on a Milvus Lite file and on the same generation served over gRPC (both stacks run it:
Milvus Lite 2.5 and 3). A capability the engine has must work and give the right answer; one it lacks must
fail or answer wrong, as the engine model says. The capabilities not probed here are proved where the store
compensates: ``nprobe`` (``test_knobs.py::test_nprobe_over_every_list_is_exact``), ``posting_walk`` and
``stable_scores`` (``test_indexes.py``, ``store/test_search.py``), ``consistency_levels`` and
``concurrent_searches`` (documented; no server that honours them installs here).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from pymilvus import AnnSearchRequest, DataType, RRFRanker

from milvus_model_adapters.store.connection import connect, disconnect
from milvus_model_adapters.store.engine import CAPABILITIES, Engine, detect


@pytest.fixture(params=["lite", pytest.param("server", marks=pytest.mark.network)])
def raw(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[tuple[Any, Engine]]:
    """A raw ``MilvusClient`` and the engine the model detects behind it."""
    uri = str(tmp_path / "probe.db") if request.param == "lite" else request.getfixturevalue("server_uri")
    client = connect(uri, token=None, db_name=None)
    try:
        yield client, detect(client, local=request.param == "lite")
    finally:
        for name in client.list_collections():
            if name.startswith("probe_"):
                client.drop_collection(name)
        disconnect(client, uri)


def _works(call: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return True, call()
    except Exception as error:  # the engine's refusal, whatever pymilvus makes of it
        return False, error


def _collection(client: Any, *, partition_key: bool = False) -> str:
    name = "probe_" + uuid.uuid4().hex[:10]
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=16)
    schema.add_field("metadata", DataType.JSON)
    schema.add_field("tenant", DataType.VARCHAR, max_length=16, is_partition_key=partition_key)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index("dense", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)
    rows = [
        {"id": "a", "metadata": {"k": "ab"}, "tenant": "x", "dense": [1.0, 0.0]},
        {"id": "b", "metadata": {"k": "a%b"}, "tenant": "y", "dense": [0.0, 1.0]},
        {"id": "c", "metadata": {"other": 1}, "tenant": "x", "dense": [0.6, 0.8]},
    ]
    client.insert(name, rows)
    client.flush(name)
    client.load_collection(name)
    return name


def _ids(client: Any, name: str, expr: str) -> list[str]:
    return sorted(row["id"] for row in client.query(name, filter=expr, output_fields=["id"]))


def test_every_capability_is_told_by_mma_doctor() -> None:
    assert [c.name for c in CAPABILITIES] == [f.name for f in fields(Engine)][1:]


def test_filter_capabilities_are_the_engines(raw: tuple[Any, Engine]) -> None:
    client, engine = raw
    name = _collection(client)
    works, answer = _works(lambda: _ids(client, name, 'metadata["k"] in ["ab", "zz"]'))
    assert (works and answer == ["a"]) == engine.native_in, answer
    # A document without the key is not selected by a negation (Milvus's null semantics): the store adds
    # an ``exists`` guard where the engine has one.
    works, answer = _works(
        lambda: (_ids(client, name, 'not (metadata["k"] == "ab")'), _ids(client, name, 'exists metadata["k"]'))
    )
    assert (works and answer == (["b"], ["a", "b"])) == engine.negation, answer
    works, answer = _works(
        lambda: (_ids(client, name, 'metadata["k"] like "a_"'), _ids(client, name, 'metadata["k"] like "%"'))
    )
    assert (works and answer == (["a"], ["a", "b"])) == engine.full_like, answer


def test_partition_key_filters_are_the_engines(raw: tuple[Any, Engine]) -> None:
    client, engine = raw
    works, answer = _works(lambda: _ids(client, _collection(client, partition_key=True), 'tenant == "x"'))
    assert (works and answer == ["a", "c"]) == engine.partition_key_filters, answer


def test_sparse_index_capabilities_are_the_engines(raw: tuple[Any, Engine]) -> None:
    client, engine = raw

    def sparse_collection(index_type: str, params: dict[str, Any]) -> str:
        name = "probe_" + uuid.uuid4().hex[:10]
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=16)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        index = client.prepare_index_params()
        index.add_index("sparse", index_type=index_type, metric_type="IP", params=params)
        client.create_collection(name, schema=schema, index_params=index)
        client.insert(name, [{"id": "a", "sparse": {1: 0.5, 7: 0.25}}])
        client.flush(name)
        client.load_collection(name)
        return name

    assert _works(lambda: sparse_collection("SPARSE_WAND", {}))[0] == engine.sparse_wand
    # Every engine takes drop_ratio_build; one that ignores it still finds a document by its smallest weight
    # (engines that drop weights do so when they build an index, not on a ten-row segment searched whole).
    name = sparse_collection("SPARSE_INVERTED_INDEX", {"drop_ratio_build": 0.5})
    if not engine.drop_ratio_build:
        assert [hit["id"] for hit in client.search(name, [{7: 1.0}], limit=1, anns_field="sparse")[0]] == ["a"]
    query = {"metric_type": "IP", "params": {"drop_ratio_search": 0.5}}
    searched = _works(
        lambda: client.search(name, [{1: 1.0, 7: 0.1}], limit=1, anns_field="sparse", search_params=query)
    )
    assert searched[0] == engine.drop_ratio_search, searched[1]


def _unit_vectors(count: int) -> np.ndarray:
    angles = np.linspace(0.0, np.pi / 2, count)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)


def test_range_search_ranges_the_whole_search_where_the_engine_says(raw: tuple[Any, Engine]) -> None:
    client, engine = raw
    name = "probe_" + uuid.uuid4().hex[:10]
    client.create_collection(name, dimension=2, metric_type="IP", consistency_level="Strong")
    vectors = _unit_vectors(200)
    client.insert(name, [{"id": i, "vector": v.tolist()} for i, v in enumerate(vectors)])
    client.flush(name)
    scores = vectors @ vectors[0]  # vector 0 is the query: scores fall with the index
    low, high = float(scores[60]), float(scores[50])  # ten hits, below fifty better ones
    hits = client.search(
        name,
        [vectors[0].tolist()],
        limit=2,
        search_params={"params": {"radius": low - 1e-4, "range_filter": high + 1e-4}},
    )[0]
    in_range = [hit["id"] for hit in hits]
    assert (len(in_range) == 2 and all(50 <= i <= 60 for i in in_range)) == engine.whole_range, in_range


def test_batched_hybrid_search_fuses_each_query_alone_where_the_engine_says(raw: tuple[Any, Engine]) -> None:
    client, engine = raw
    name = "probe_" + uuid.uuid4().hex[:10]
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=2)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index("dense", index_type="FLAT", metric_type="IP")
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)
    vectors = _unit_vectors(40)
    client.insert(name, [{"id": i, "dense": v.tolist(), "sparse": {i % 7 + 1: 1.0 + i}} for i, v in enumerate(vectors)])
    client.flush(name)
    client.load_collection(name)
    queries = [(vectors[0].tolist(), {1: 1.0}), (vectors[30].tolist(), {3: 1.0})]

    def fused(which: list[int]) -> list[list[tuple[int, float]]]:
        requests = [
            AnnSearchRequest([queries[i][0] for i in which], "dense", {"metric_type": "IP", "params": {}}, 10),
            AnnSearchRequest([queries[i][1] for i in which], "sparse", {"metric_type": "IP", "params": {}}, 10),
        ]
        answers = client.hybrid_search(name, requests, RRFRanker(60), limit=5)
        return [[(hit["id"], round(float(hit["distance"]), 6)) for hit in hits] for hits in answers]

    batched, alone = fused([0, 1])[1], fused([1])[0]
    assert (batched == alone) == engine.batched_hybrid_search, (batched, alone)


def _column_collection(client: Any, add: Callable[[Any], None], rows: list[dict[str, Any]]) -> str:
    name = "probe_" + uuid.uuid4().hex[:10]
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=16)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=2)
    add(schema)
    index = client.prepare_index_params()
    index.add_index("dense", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)
    client.insert(name, [{**row, "dense": [1.0, 0.0]} for row in rows])
    client.flush(name)
    client.load_collection(name)
    return name


def test_null_values_are_the_engines(raw: tuple[Any, Engine]) -> None:
    client, engine = raw

    def nullable(schema: Any) -> None:
        schema.add_field("year", DataType.INT64, nullable=True)

    works, answer = _works(
        lambda: _ids(
            client, _column_collection(client, nullable, [{"id": "a", "year": 1}, {"id": "b"}]), "year is null"
        )
    )
    assert (works and answer == ["b"]) == engine.null_values, answer


def test_field_descriptions_are_the_engines(raw: tuple[Any, Engine]) -> None:
    client, engine = raw

    def described(schema: Any) -> None:
        schema.add_field("year", DataType.INT64, description="mma:metadata")

    name = _column_collection(client, described, [{"id": "a", "year": 1}])
    found = {f["name"]: f.get("description") for f in client.describe_collection(name)["fields"]}
    assert (found["year"] == "mma:metadata") == engine.field_descriptions, found


def test_array_columns_are_the_engines(raw: tuple[Any, Engine]) -> None:
    client, engine = raw

    def tags(schema: Any) -> None:
        schema.add_field("tags", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=4, max_length=8)

    name = _column_collection(client, tags, [{"id": "a", "tags": ["x", "y"]}])
    found = client.query(name, filter='array_contains(tags, "x")', output_fields=["tags"])
    assert [list(r["tags"]) for r in found] == [["x", "y"]]  # rows with arrays read back everywhere
    # An answer with no row is what pymilvus cannot read from Milvus Lite 2.5 ("Unsupported data type: 0").
    works, answer = _works(lambda: client.query(name, filter='id == "none"', output_fields=["tags"]))
    assert (works and list(answer) == []) == engine.array_columns, answer
