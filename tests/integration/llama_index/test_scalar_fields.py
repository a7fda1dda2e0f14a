"""LlamaIndex's ``scalar_field_names`` / ``scalar_field_types``: typed columns for node metadata keys, the same calls
on LlamaIndex's official ``MilvusVectorStore`` (where the stack installs it) and on ours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llama_index.core", reason="LlamaIndex adapters need the 'llama-index' extra")

from llama_index.core.schema import TextNode  # noqa: E402
from llama_index.core.vector_stores.types import (  # noqa: E402
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from pymilvus import DataType  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import InvalidInputError  # noqa: E402
from milvus_model_adapters.llama_index import MilvusHybridVectorStore  # noqa: E402
from tests.support.side_by_side import IDS, METADATAS, QUERIES, TEXTS  # noqa: E402

SCALARS: dict[str, Any] = {
    "scalar_field_names": ["year", "SingerName"],
    "scalar_field_types": [DataType.INT64, DataType.VARCHAR],
}


def _nodes(vectors: list[list[float]]) -> list[TextNode]:
    return [
        TextNode(text=text, id_=IDS[i], metadata=dict(meta), embedding=vector)
        for i, (text, meta, vector) in enumerate(zip(TEXTS, METADATAS, vectors, strict=True))
    ]


def _filters(*filters: MetadataFilter, condition: FilterCondition = FilterCondition.AND) -> MetadataFilters:
    return MetadataFilters(filters=list(filters), condition=condition)


FILTERS = [
    None,
    _filters(MetadataFilter(key="year", value=[2017, 2020], operator=FilterOperator.IN)),
    _filters(MetadataFilter(key="SingerName", value=["IU", "Muse"], operator=FilterOperator.IN)),
    _filters(
        MetadataFilter(key="year", value=2010, operator=FilterOperator.GT),
        MetadataFilter(key="SingerName", value="IU", operator=FilterOperator.NE),
    ),
    _filters(
        MetadataFilter(key="year", value=2006, operator=FilterOperator.LTE),
        MetadataFilter(key="SingerName", value="BTS", operator=FilterOperator.EQ),
        condition=FilterCondition.OR,
    ),
]


def test_scalar_fields_answer_as_llama_indexs_milvus_store(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    vectors = dense_encoder.encode_documents(TEXTS).tolist()
    ours = MilvusHybridVectorStore(
        uri=str(tmp_path / "ours.db"), embed_model=dense_encoder, drop_existing=True, **SCALARS
    )
    assert {k: f.type for k, f in ours.store.fields.items()} == {"year": "int64", "SingerName": "varchar"}
    assert ours.add(_nodes(vectors)) == IDS
    stores = [ours]
    try:
        from llama_index.vector_stores.milvus import MilvusVectorStore
    except ImportError:  # stack A: LlamaIndex's Milvus store needs pymilvus < 3
        MilvusVectorStore = None
    if MilvusVectorStore is not None:
        theirs = MilvusVectorStore(
            uri=str(tmp_path / "theirs.db"), dim=dense_encoder.dim, overwrite=True, use_async_client=False, **SCALARS
        )
        assert theirs.add(_nodes(vectors)) == IDS
        stores.append(theirs)
    for query in QUERIES:
        vector = dense_encoder.encode_query(query).tolist()
        for filters in FILTERS:
            request = VectorStoreQuery(query_embedding=vector, similarity_top_k=4, filters=filters)
            answers = [store.query(request) for store in stores]
            expected = [i for i, m in zip(IDS, METADATAS, strict=True) if _python(filters, m)]
            assert set(answers[0].ids or []) <= set(expected) and len(answers[0].ids or []) == min(4, len(expected))
            for other in answers[1:]:
                assert answers[0].ids == other.ids
                assert answers[0].similarities == pytest.approx(other.similarities, abs=1e-5)
    node = ours.get_nodes(["song3"])[0]
    assert node.metadata == METADATAS[3]  # read back whole, the columns included


def _python(filters: MetadataFilters | None, meta: dict[str, Any]) -> bool:
    if filters is None:
        return True
    results = []
    for f in filters.filters:
        assert isinstance(f, MetadataFilter)
        value = meta.get(f.key)
        if f.operator == FilterOperator.IN:
            results.append(value in f.value)  # type: ignore[operator]
        elif f.operator == FilterOperator.GT:
            results.append(value is not None and value > f.value)
        elif f.operator == FilterOperator.LTE:
            results.append(value is not None and value <= f.value)
        elif f.operator == FilterOperator.NE:
            results.append(value != f.value)
        else:
            results.append(value == f.value)
    return all(results) if filters.condition == FilterCondition.AND else any(results)


def test_bad_scalar_fields_are_refused(tmp_path: Path, dense_encoder: DenseEncoder) -> None:
    for bad, match in [
        ({"scalar_field_names": ["a"], "scalar_field_types": []}, "same length"),
        ({"scalar_field_names": ["a"], "scalar_field_types": [DataType.FLOAT_VECTOR]}, "cannot be a metadata column"),
        ({"scalar_field_names": ["a"], "scalar_field_types": [DataType.ARRAY]}, "element_type"),
    ]:
        with pytest.raises(InvalidInputError, match=match):
            MilvusHybridVectorStore(uri=str(tmp_path / "bad.db"), embed_model=dense_encoder, **bad)
