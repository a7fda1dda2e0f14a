"""langchain-milvus's official tests of typed fields and ``id`` metadata, their calls run on ours and on theirs.

Each test below repeats the calls of one test of langchain-milvus's own suite (``tests/test_milvus_base.py``:
``test_milvus_get_pks``, ``test_milvus_delete_entities``, ``test_milvus_upsert_entities`` and their async
twins, ``test_milvus_array_field``, ``test_milvus_enable_dynamic_field_with_partition_key``,
``test_milvus_disable_dynamic_field``) on ``MilvusHybridVectorStore`` and, where this stack installs it, on
``langchain_milvus.Milvus``, each on a Milvus Lite file of its own, and checks the answers they give.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from langchain_core.documents import Document  # noqa: E402
from pymilvus import DataType  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.langchain import MilvusHybridVectorStore, MilvusModelEmbeddings  # noqa: E402

TEXTS = ["foo", "bar", "baz"]  # langchain-milvus's fake_texts


def _stores(tmp_path: Path, dense_encoder: DenseEncoder) -> list[tuple[str, Any]]:
    """``(name, the vector store class's from_texts)`` for ours and, where installed, langchain-milvus's."""
    found: list[tuple[str, Any]] = [("ours", MilvusHybridVectorStore)]
    try:
        import langchain_milvus
    except ImportError:
        return found
    return [*found, ("langchain_milvus", langchain_milvus.Milvus)]


def _make(kind: Any, tmp_path: Path, name: str, dense_encoder: DenseEncoder, metadatas: Any, **options: Any) -> Any:
    embedding = MilvusModelEmbeddings(encoder=dense_encoder)
    arguments = {
        "connection_args": {"uri": str(tmp_path / f"{name}.db")},
        "collection_name": "c_" + uuid.uuid4().hex[:8],
        "drop_old": True,
        **options,
    }
    if kind is MilvusHybridVectorStore:
        arguments["search_mode"] = "dense"
    return kind.from_texts(TEXTS, embedding, metadatas=metadatas, **arguments)


@pytest.fixture
def stores(tmp_path: Path, dense_encoder: DenseEncoder) -> list[tuple[str, Any]]:
    """Each store with langchain-milvus's test data: ``metadatas=[{"id": i}]``."""
    metadatas = [{"id": i} for i in range(len(TEXTS))]
    return [
        (name, _make(kind, tmp_path, name, dense_encoder, metadatas)) for name, kind in _stores(tmp_path, dense_encoder)
    ]


def _contents(store: Any, expr: str) -> list[str]:
    return sorted(d.page_content for d in store.search_by_metadata(expr, limit=100))


def test_get_pks_reads_a_bare_id_as_the_metadata_key(stores: list[tuple[str, Any]]) -> None:
    for name, store in stores:
        assert len(store.get_pks("id in [1,2]")) == 2, name
        assert _contents(store, "id in [1,2]") == ["bar", "baz"], name
        assert len(asyncio.run(store.aget_pks("id in [1,2]"))) == 2, name


@pytest.mark.parametrize("asynchronous", [False, True])
def test_delete_entities_by_the_pks_of_an_id_expression(stores: list[tuple[str, Any]], asynchronous: bool) -> None:
    for name, store in stores:
        pks = store.get_pks("id in [1,2]")
        deleted = asyncio.run(store.adelete(pks)) if asynchronous else store.delete(pks)
        assert deleted is True, name
        assert store.get_pks("id in [1,2]") == [] and store.get_pks("id == 0") != [], name


@pytest.mark.parametrize("asynchronous", [False, True])
def test_upsert_entities_keeps_their_id_metadata(stores: list[tuple[str, Any]], asynchronous: bool) -> None:
    for name, store in stores:
        # The official test pairs get_pks("id in [1,2]")'s answer with the documents by position, which holds where
        # pks grow with each insert (auto_id); the pks of id 1 and of id 2 are asked one at a time here.
        pks = [*store.get_pks("id == 1"), *store.get_pks("id == 2")]
        documents = [
            Document(page_content="test_1", metadata={"id": 1}),
            Document(page_content="test_3", metadata={"id": 3}),
        ]
        if asynchronous:
            asyncio.run(store.aupsert(ids=pks, documents=documents))
        else:
            store.upsert(ids=pks, documents=documents)
        assert len(store.get_pks("id in [1,3]")) == 2, name
        assert "test_1" in _contents(store, "id in [1,3]") and "test_3" in _contents(store, "id in [1,3]"), name
        assert store.get_pks("id == 2") == [], name


def test_array_field_of_a_metadata_schema(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    schema = {"array_field": {"dtype": DataType.ARRAY, "element_type": DataType.INT64, "max_capacity": 50}}
    metadatas = [{"id": i, "array_field": [i, i + 1, i + 2]} for i in range(len(TEXTS))]
    for name, kind in _stores(tmp_path, dense_encoder):
        store = _make(kind, tmp_path, name, dense_encoder, metadatas, metadata_schema=schema)
        assert len(store.similarity_search("foo", k=10, expr="array_field[0] < 2")) == 2, name
        assert len(store.similarity_search("foo", k=10, expr="ARRAY_CONTAINS(array_field, 3)")) == 2, name
        if kind is MilvusHybridVectorStore:
            found = {d.page_content: d.metadata["array_field"] for d in store.similarity_search("foo", k=10)}
            assert found == {t: [i, i + 1, i + 2] for i, t in enumerate(TEXTS)}
            columns = store.store.fields
            assert ("array_field" in columns) == store.store.engine.array_columns  # else kept in the JSON field
            assert sorted(store.get_pks("array_field[0] < 2")) == sorted(store.get_pks("id in [0, 1]"))


def test_partition_key_field(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    metadatas = [{"id": i, "namespace": "a" if i % 2 else "b"} for i in range(len(TEXTS))]
    for name, kind in _stores(tmp_path, dense_encoder):
        store = _make(
            kind, tmp_path, name, dense_encoder, metadatas, enable_dynamic_field=True, partition_key_field="namespace"
        )
        assert len(store.similarity_search("foo", k=10)) == len(TEXTS), name
        if kind is MilvusHybridVectorStore:  # theirs refuses the filter on Milvus Lite 2.5 (its own test says so)
            found = store.similarity_search("foo", k=10, expr='namespace == "a"')
            assert [d.page_content for d in found] == ["bar"]
            column = store.store.fields["namespace"]
            assert column.type == "varchar" and not column.nullable
            assert column.partition_key == store.store.engine.partition_key_filters


def test_enable_dynamic_field_false_gives_a_column_per_key_of_the_first_batch(
    tmp_path: Path, dense_encoder: DenseEncoder
) -> None:
    metadatas = [{"year": 2000 + i, "source": f"s{i}"} for i in range(len(TEXTS))]
    store = _make(MilvusHybridVectorStore, tmp_path, "ours", dense_encoder, metadatas, enable_dynamic_field=False)
    assert {k: f.type for k, f in store.store.fields.items()} == {"year": "int64", "source": "varchar"}
    # langchain-milvus drops keys that have no column; here they stay in the JSON field.
    store.add_texts(["grault"], [{"year": 2010, "source": "s9", "id_new": 1}])
    (found,) = store.similarity_search("grault", k=1, expr="year == 2010")
    assert found.metadata == {"year": 2010, "source": "s9", "id_new": 1}
    assert store.get_pks("year in [2000, 2001] and id_new == 1") == []
    assert len(store.get_pks("year in [2000, 2001]")) == 2
