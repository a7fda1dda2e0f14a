"""Tenants on a real engine: no call of one tenant ever reaches another's rows, checked against a Python model."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from milvus_model_adapters import InvalidInputError, SchemaMismatchError, TenantRequiredError
from milvus_model_adapters.errors import FilterError
from milvus_model_adapters.rerank import CosineReranker
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.store.documents import content_id
from milvus_model_adapters.tools.transfer import export_collection
from tests.support.fixed_dense import HashDense

ROOT = Path(__file__).resolve().parents[3]
TENANTS = ["acme", "globex", 'x" or id != "']  # the last one reads like an expression breaking out of its quotes
WORDS = ["wing", "lift", "drag", "boiler", "valve", "kettle", "flow", "heat"]
IDS = [f"d{i}" for i in range(6)]


@pytest.fixture(params=["lite", pytest.param("server", marks=pytest.mark.network)])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Where tenant stores are opened: a folder for Milvus Lite files, or a served engine (uri, collection prefix)."""
    if request.param == "lite":
        yield str(tmp_path), ""
    else:
        yield request.getfixturevalue("server_uri"), "t_" + uuid.uuid4().hex[:8]


def _open(place: tuple[str, str], name: str) -> HybridStore:
    where, prefix = place
    if prefix:
        return HybridStore(where, f"{prefix}_{name}", dense=HashDense(), tenant_field="tenant", drop_existing=True)
    return HybridStore(f"{where}/{name}.db", dense=HashDense(), tenant_field="tenant")


def _close(store: HybridStore) -> None:
    if not store.is_local:
        store.drop()
    store.close()


def test_a_tenant_store_needs_a_tenant_for_every_read_and_write(place: tuple[str, str]) -> None:
    store = _open(place, "needs")
    try:
        store.for_tenant("acme").add(["wing lift"], ids=["a1"])
        for call in (
            lambda: store.add(["boiler"]),
            lambda: store.search("wing"),
            lambda: store.search_many(["wing"]),
            lambda: store.mmr_search("wing", 1),
            lambda: store.search_by_vector([0.5] * 8),
            lambda: store.get(["a1"]),
            lambda: store.count(),
            lambda: list(store.documents()),
            lambda: store.ids(),
            lambda: store.delete(["a1"]),
            lambda: store.clear(),
        ):
            with pytest.raises(TenantRequiredError, match="store.for_tenant"):
                call()
        assert store.for_tenant("acme").count() == 1 and store.bm25_stats()["corpus_size"] == 1
        assert [h.id for h in store.search("wing", tenant="acme")] == ["a1"]
        with pytest.raises(InvalidInputError, match="cannot name another tenant"):
            store.for_tenant("acme").search("wing", tenant="globex")
        for bad in ("", "tab\there", "x" * 256):
            with pytest.raises(InvalidInputError, match="invalid tenant"):
                store.for_tenant(bad)
        field = next(f for f in store.client.describe_collection(store.collection)["fields"] if f["name"] == "tenant")
        # A partition key where the engine filters on one; Milvus Lite 2.5 refuses every filter on a partition key.
        assert bool(field.get("is_partition_key")) == store.engine.partition_key_filters
        if not store.engine.partition_key_filters:  # a scalar index there instead
            assert store.client.describe_index(store.collection, "tenant")["index_type"] == "INVERTED"
    finally:
        _close(store)


def test_opening_a_tenant_collection_without_its_field_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "kept.db")
    with HybridStore(db, dense=HashDense(), tenant_field="tenant") as store:
        store.for_tenant("acme").add(["wing"])
    with pytest.raises(SchemaMismatchError, match="tenant_field='tenant'"):
        HybridStore(db, dense=HashDense())
    with pytest.raises(SchemaMismatchError, match="keeps no tenants"):
        HybridStore(db, "other", dense=HashDense()).close()
        HybridStore(db, "other", dense=HashDense(), tenant_field="tenant")
    with (
        pytest.raises(InvalidInputError, match="keeps no tenants"),
        HybridStore(db, "other", dense=HashDense()) as plain,
    ):
        plain.for_tenant("acme")
    with pytest.raises(InvalidInputError, match="cannot name a field"):
        HybridStore(db, "third", dense=HashDense(), tenant_field="text")


def test_a_raw_expression_cannot_leave_its_parentheses(place: tuple[str, str]) -> None:
    store = _open(place, "expr")
    try:
        store.for_tenant("globex").add(["wing lift"], ids=["g1"])
        acme = store.for_tenant("acme")
        acme.add(["wing drag"], ids=["a1"])
        for expr in ('id != "") or (id != ""', 'id != "" or (id != ""'):
            with pytest.raises(FilterError, match="parenthesis"):
                acme.search("wing", 5, expr=expr)
        assert [h.id for h in acme.search("wing", 5, expr='id != "" or id != ""')] == ["a1"]
    finally:
        _close(store)


OPERATION = st.tuples(
    st.sampled_from(["add", "add", "add", "delete", "get", "search", "mmr", "group", "filter", "export", "rerank"]),
    st.integers(0, len(TENANTS) - 1),
    st.lists(st.integers(0, len(WORDS) - 1), min_size=1, max_size=4),
    st.sampled_from([*IDS, None]),
)


@settings(
    max_examples=6,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # a failing case is printed as drawn: shrinking one takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(OPERATION, min_size=8, max_size=30))
def test_random_operations_of_three_tenants_stay_apart(place: tuple[str, str], operations: list[Any]) -> None:
    """Every search mode, filter, id guess, get, delete, MMR, grouping, rerank and export against a model."""
    store = _open(place, "prop_" + uuid.uuid4().hex[:6])
    model: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {t: {} for t in TENANTS}
    try:
        for step, (kind, who, words, doc_id) in enumerate(operations):
            tenant, view = TENANTS[who], store.for_tenant(TENANTS[who])
            mine = model[tenant]
            text = " ".join(WORDS[w] for w in words)
            if kind == "add":
                metadata = {"n": step, "source": f"s{step % 3}"}
                owner = next((t for t, rows in model.items() if doc_id in rows), tenant)
                if owner != tenant:  # another tenant's id: refused, nothing written
                    with pytest.raises(InvalidInputError, match="another tenant's"):
                        view.add([text], metadatas=[metadata], ids=[doc_id])
                else:
                    [written] = view.add([text], metadatas=[metadata], ids=[doc_id])
                    assert written == (doc_id or content_id(text, metadata, namespace=tenant))
                    mine[written] = (text, metadata)
            elif kind == "delete":
                assert view.delete([doc_id or "none"]) == int((doc_id or "none") in mine)
                mine.pop(doc_id or "none", None)
            elif kind == "get":
                asked = [*IDS, *(i for rows in model.values() for i in rows)]
                assert [d.id for d in view.get(asked)] == [i for i in asked if i in mine]
            elif kind == "search":
                for mode in ("dense", "sparse", "hybrid"):
                    hits = view.search(text, 50, mode=mode)
                    assert {h.id for h in hits} <= set(mine)
                assert {h.id for h in view.search(text, 50, mode="dense")} == set(mine)  # all of them, no other
                assert {h.id for h in view.search(text, 50, ranker="rrf", fusion="server")} <= set(mine)
            elif kind == "mmr":
                assert {h.id for h in view.mmr_search(text, 3, candidates=10)} <= set(mine)
            elif kind == "group":
                hits = view.search(text, 3, group_by="source")
                assert {h.id for h in hits} <= set(mine)
                assert len({h.metadata["source"] for h in hits}) == len(hits)
            elif kind == "filter":
                found = {h.id for h in view.search(text, 50, mode="dense", filter={"n": {"$gte": step // 2}})}
                assert found == {i for i, (_, m) in mine.items() if m["n"] >= step // 2}
            elif kind == "rerank":
                reranked = view.search(text, 5, reranker=CosineReranker(store.dense))
                assert {h.id for h in reranked} <= set(mine)
            else:
                out = io.StringIO()
                assert export_collection(view, out) == len(mine)
                assert {json.loads(line)["id"] for line in out.getvalue().splitlines()[1:]} == set(mine)
            assert view.count() == len(mine) and set(view.ids()) == set(mine)
        assert store.bm25_stats()["corpus_size"] == sum(len(rows) for rows in model.values())  # BM25 counts all
    finally:
        _close(store)


WRITER = """
import sys
sys.path.insert(0, {root!r})
from tests.support.fixed_dense import HashDense
from milvus_model_adapters.store import HybridStore
tenant, uri, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with HybridStore(uri, name, dense=HashDense(), tenant_field="tenant") as store:
    view = store.for_tenant(tenant)
    for i in range(0, count, 4):
        view.add([f"{{tenant}} wing lift drag {{j}}" for j in range(i, i + 4)], ids=[f"{{tenant}}-{{j}}" for j in range(i, i + 4)])
        for hit in view.search("wing lift drag", 50):
            assert hit.id.startswith(tenant + "-"), hit.id
"""


@pytest.mark.network
def test_three_processes_writing_three_tenants_at_once_see_only_their_own(server_uri: str) -> None:
    name = "mt_" + uuid.uuid4().hex[:8]
    HybridStore(server_uri, name, dense=HashDense(), tenant_field="tenant").close()
    per_tenant, tenants = 24, ["acme", "globex", "initech"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER.format(root=str(ROOT)), tenant, server_uri, name, str(per_tenant)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tenant in tenants
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    store = HybridStore(server_uri, name, dense=HashDense(), tenant_field="tenant")
    try:
        for tenant in tenants:
            view = store.for_tenant(tenant)
            expected = {f"{tenant}-{j}" for j in range(per_tenant)}
            assert view.count() == per_tenant and set(view.ids()) == expected
            for mode in ("dense", "sparse", "hybrid"):
                assert {h.id for h in view.search(f"{tenant} wing", 100, mode=mode)} <= expected
        assert store.bm25_stats()["corpus_size"] == per_tenant * len(tenants)
    finally:
        store.drop()
        store.close()


def test_both_frameworks_take_a_tenant(tmp_path: Path) -> None:
    """LangChain's and LlamaIndex's vector stores over one tenant store: a view each, or ``tenant`` per search."""
    pytest.importorskip("langchain_core")
    pytest.importorskip("llama_index.core")
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import VectorStoreQuery

    from milvus_model_adapters.langchain import MilvusHybridVectorStore as LangChainStore
    from milvus_model_adapters.llama_index import MilvusHybridVectorStore as LlamaIndexStore

    store = HybridStore(str(tmp_path / "both.db"), dense=HashDense(), tenant_field="tenant")
    try:
        acme = LangChainStore(store=store, tenant="acme")
        acme.add_texts(["wing lift", "wing drag"], ids=["a1", "a2"])
        globex = LlamaIndexStore(store, tenant="globex")
        globex.add([TextNode(id_="g1", text="wing valve")])
        assert {d.id for d in acme.similarity_search("wing", k=5)} == {"a1", "a2"}
        assert {d.id for d in acme.as_retriever(search_kwargs={"k": 5}).invoke("wing valve")} == {"a1", "a2"}
        result = globex.query(VectorStoreQuery(query_str="wing", similarity_top_k=5, mode="sparse"))
        assert result.ids == ["g1"]
        shared = LangChainStore(store=store)  # no tenant: each search names one
        assert {d.id for d in shared.similarity_search("wing", k=5, tenant="globex")} == {"g1"}
        with pytest.raises(TenantRequiredError):
            shared.similarity_search("wing", k=5)
        everyone = LlamaIndexStore(store)
        found = everyone.query(VectorStoreQuery(query_str="wing", similarity_top_k=5, mode="sparse"), tenant="acme")
        assert set(found.ids or []) == {"a1", "a2"}
        with pytest.raises(TenantRequiredError):
            everyone.query(VectorStoreQuery(query_str="wing", similarity_top_k=5, mode="sparse"))
        globex.clear()
        assert store.for_tenant("globex").count() == 0 and store.for_tenant("acme").count() == 2
    finally:
        store.close()
