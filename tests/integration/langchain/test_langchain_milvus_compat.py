"""Code written for ``langchain_milvus.Milvus`` runs on MilvusHybridVectorStore: its names, its raw expressions,
and LangChain's self-querying retriever, on a Milvus Lite file and a served engine."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="LangChain adapters need the 'langchain' extra")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.language_models.fake import FakeListLLM  # noqa: E402
from langchain_core.structured_query import (  # noqa: E402
    Comparator,
    Comparison,
    Operation,
    Operator,
    StructuredQuery,
)
from pymilvus import DataType, MilvusClient  # noqa: E402

from milvus_model_adapters.encoders.dense import DenseEncoder  # noqa: E402
from milvus_model_adapters.errors import DimensionMismatchError, FilterError, InvalidInputError  # noqa: E402
from milvus_model_adapters.langchain import MilvusHybridVectorStore, MilvusModelEmbeddings  # noqa: E402
from milvus_model_adapters.langchain.milvus_compat import NOT_OFFERED, store_arguments  # noqa: E402
from milvus_model_adapters.langchain.self_query import MilvusHybridTranslator  # noqa: E402
from tests.support.filter_oracle import matches  # noqa: E402

SONGS = [
    ("Through the Night", {"SingerName": "IU", "year": 2017, "genre": "ballad", "tags": ["slow", "night"]}),
    ("Palette", {"SingerName": "IU", "year": 2017, "genre": "pop", "tags": ["bright"]}),
    ("Celebrity", {"SingerName": "IU", "year": 2021, "genre": "pop", "tags": ["bright", "dance"]}),
    ("Spring Day", {"SingerName": "BTS", "year": 2017, "genre": "ballad", "tags": ["slow"]}),
    ("Dynamite", {"SingerName": "BTS", "year": 2020, "genre": "disco", "tags": ["dance"]}),
    ("Starlight", {"SingerName": "Muse", "year": 2006, "genre": "rock"}),
    ("Starman", {"SingerName": "Bowie", "year": 1972, "genre": "rock", "tags": []}),
]
IDS = [f"song{i}" for i in range(len(SONGS))]


@pytest.fixture(
    params=["lite", "lite-typed", pytest.param("server", marks=pytest.mark.network)],
)
def songs(
    request: pytest.FixtureRequest, tmp_path: Any, dense_encoder: DenseEncoder
) -> Iterator[MilvusHybridVectorStore]:
    """The songs in a store opened with langchain_milvus.Milvus's arguments (``-typed``: with a metadata_schema)."""
    uri = str(tmp_path / "songs.db") if request.param != "server" else request.getfixturevalue("server_uri")
    typed = {"SingerName": {"dtype": DataType.VARCHAR, "max_length": 64}, "year": {"dtype": DataType.INT64}}
    vector_store = MilvusHybridVectorStore(
        embedding_function=MilvusModelEmbeddings(encoder=dense_encoder),
        collection_name="t_" + uuid.uuid4().hex[:12],
        connection_args={"uri": uri},
        drop_old=True,
        **({"metadata_schema": typed} if request.param.endswith("typed") else {}),
    )
    vector_store.add_texts([t for t, _ in SONGS], [m for _, m in SONGS], ids=IDS)
    yield vector_store
    if not vector_store.store.is_local:
        vector_store.store.drop()
    vector_store.store.close()


def test_the_names_of_langchain_milvus(songs: MilvusHybridVectorStore) -> None:
    assert isinstance(songs.client, MilvusClient) and songs.collection_name == songs.store.collection
    assert songs.collection_name.startswith("t_") and songs.store.count() == len(SONGS)


# A raw expression as langchain_milvus.Milvus's users write it, and the same selection as a filter dictionary.
EXPRESSIONS: list[tuple[str, dict[str, Any]]] = [
    ("SingerName == 'IU'", {"SingerName": "IU"}),
    ('SingerName == "IU" and year > 2017', {"SingerName": "IU", "year": {"$gt": 2017}}),
    ("year >= 2017 or genre == 'rock'", {"$or": [{"year": {"$gte": 2017}}, {"genre": "rock"}]}),
    ("SingerName != 'IU' and year < 2020", {"SingerName": {"$ne": "IU"}, "year": {"$lt": 2020}}),
    ("genre like 'ba%'", {"genre": {"$like": "ba%"}}),
    ('json_contains(tags, "slow")', {"tags": {"$contains": "slow"}}),
    ("year == 2017 and pk != 'song0'", {"year": 2017}),
]


@pytest.mark.parametrize(("expr", "equivalent"), EXPRESSIONS)
def test_bare_names_in_a_raw_expression_are_metadata_keys(
    songs: MilvusHybridVectorStore, expr: str, equivalent: dict[str, Any]
) -> None:
    expected = {i for i, (_, meta) in zip(IDS, SONGS, strict=True) if matches(equivalent, meta)}
    if "pk !=" in expr:
        expected.discard("song0")  # pk is the document id, as in langchain_milvus
    assert set(songs.get_pks(expr)) == expected
    assert {d.id for d in songs.search_by_metadata(expr, limit=100)} == expected
    hits = songs.similarity_search("a song", k=len(SONGS), expr=expr, mode="dense")
    assert {d.id for d in hits} == expected


def test_search_by_metadata_takes_fields_and_a_limit(songs: MilvusHybridVectorStore) -> None:
    found = songs.search_by_metadata("SingerName == 'IU'", fields=["year"], limit=2)
    assert len(found) == 2 and all(set(d.metadata) == {"year"} for d in found)
    assert all(d.page_content in {t for t, m in SONGS if m["SingerName"] == "IU"} for d in found)
    again = asyncio.run(songs.asearch_by_metadata("SingerName == 'BTS'"))
    assert {d.id for d in again} == {"song3", "song4"}


def test_add_embeddings_upsert_and_delete_as_langchain_milvus_does(songs: MilvusHybridVectorStore) -> None:
    if songs.store.fields and not songs.store.engine.null_values:
        pytest.skip("documents here lack 'year', a typed column, and Milvus Lite 2.5 has no nulls")
    embeddings = songs.embeddings
    assert embeddings is not None
    vectors = embeddings.embed_documents(["Blueming", "Love wins all"])
    ids = songs.add_embeddings(["Blueming", "Love wins all"], vectors, [{"SingerName": "IU", "year": 2019}] * 2)
    assert len(ids) == 2 and songs.store.count() == len(SONGS) + 2
    assert [d.page_content for d in songs.get_by_ids([ids[0]])] == ["Blueming"]
    asyncio.run(songs.aadd_embeddings(["Eight"], embeddings.embed_documents(["Eight"]), ids=["eight"]))
    with pytest.raises(DimensionMismatchError):
        songs.add_embeddings(["short"], [[0.1, 0.2]])
    with pytest.raises(InvalidInputError, match="timeout"):
        songs.add_embeddings(["x"], embeddings.embed_documents(["x"]), timeout=5.0)

    songs.upsert(["song0"], [Document(page_content="Through the Night (live)", metadata={"SingerName": "IU"})])
    assert songs.get_by_ids(["song0"])[0].page_content == "Through the Night (live)"
    asyncio.run(songs.aupsert(["eight"], [Document(page_content="Eight (remix)", metadata={})]))
    assert songs.get_by_ids(["eight"])[0].page_content == "Eight (remix)"
    with pytest.raises(InvalidInputError, match="2 documents and 1 distinct ids"):
        songs.upsert(["a", "a"], [Document(page_content="x"), Document(page_content="y")])

    before = songs.store.count()
    assert songs.delete(expr="SingerName == 'BTS'") and songs.store.count() == before - 2
    assert songs.delete(ids=["song5", "nope"]) and songs.store.count() == before - 3
    with pytest.raises(InvalidInputError, match="not timeout"):
        songs.delete(ids=["song6"], timeout="1")


@pytest.mark.parametrize("name", sorted(NOT_OFFERED))
def test_options_this_store_does_not_take_are_refused_with_its_way(name: str, tmp_path: Any) -> None:
    db = tmp_path / "never.db"
    with pytest.raises(InvalidInputError, match=re.escape(f"no option '{name}': {NOT_OFFERED[name]}")):
        MilvusHybridVectorStore(connection_args={"uri": str(db)}, **{name: "x"})
    assert not db.exists()  # refused before anything was opened


def test_connection_args_are_read_as_langchain_milvus_reads_them() -> None:
    _, options = store_arguments(None, {"connection_args": {"uri": "http://h:1", "user": "u", "password": "p"}})
    assert options == {"uri": "http://h:1", "token": "u:p"}
    _, options = store_arguments(None, {"connection_args": {"uri": "http://h:1", "token": "t", "db_name": "d"}})
    assert options == {"uri": "http://h:1", "token": "t", "db_name": "d"}
    for bad, message in [
        ({"connection_args": {"host": "h", "port": 1}}, "uri='http://host:port'"),
        ({"connection_args": {"uri": "a", "token": "t", "user": "u"}}, "not both"),
        ({"connection_args": {"uri": "a"}, "uri": "b"}, "both as an argument"),
        ({"collection_name": "a", "collection": "b"}, "not both"),
        ({"no_such_option": 1}, "unknown option"),
    ]:
        with pytest.raises(InvalidInputError, match=message):
            store_arguments(None, bad)


# ---------------------------------------------------------------------- self-query
def _leaf(comparator: Comparator, attribute: str, value: Any) -> Comparison:
    return Comparison(comparator=comparator, attribute=attribute, value=value)


TRANSLATED: list[tuple[Any, dict[str, Any]]] = [
    (_leaf(Comparator.EQ, "genre", "pop"), {"genre": {"$eq": "pop"}}),
    (_leaf(Comparator.NE, "genre", "pop"), {"genre": {"$ne": "pop"}}),
    (_leaf(Comparator.GT, "year", 2017), {"year": {"$gt": 2017}}),
    (_leaf(Comparator.GTE, "year", 2017), {"year": {"$gte": 2017}}),
    (_leaf(Comparator.LT, "year", 2017), {"year": {"$lt": 2017}}),
    (_leaf(Comparator.LTE, "year", 2017), {"year": {"$lte": 2017}}),
    (_leaf(Comparator.IN, "SingerName", ["IU", "Muse"]), {"SingerName": {"$in": ["IU", "Muse"]}}),
    (_leaf(Comparator.NIN, "SingerName", ["IU", "Muse"]), {"SingerName": {"$nin": ["IU", "Muse"]}}),
    (_leaf(Comparator.CONTAIN, "tags", "dance"), {"tags": {"$contains": "dance"}}),
    (_leaf(Comparator.LIKE, "genre", "%o%"), {"genre": {"$like": "%o%"}}),
    (
        Operation(
            operator=Operator.AND,
            arguments=[_leaf(Comparator.EQ, "genre", "pop"), _leaf(Comparator.GT, "year", 2017)],
        ),
        {"$and": [{"genre": {"$eq": "pop"}}, {"year": {"$gt": 2017}}]},
    ),
    (
        Operation(
            operator=Operator.OR,
            arguments=[_leaf(Comparator.EQ, "genre", "rock"), _leaf(Comparator.LT, "year", 2010)],
        ),
        {"$or": [{"genre": {"$eq": "rock"}}, {"year": {"$lt": 2010}}]},
    ),
    (
        Operation(operator=Operator.NOT, arguments=[_leaf(Comparator.EQ, "genre", "pop")]),
        {"$not": {"genre": {"$eq": "pop"}}},
    ),
]


@pytest.mark.parametrize(("structured", "expected"), TRANSLATED)
def test_every_comparator_and_operator_selects_what_python_selects(
    songs: MilvusHybridVectorStore, structured: Any, expected: dict[str, Any]
) -> None:
    query, options = MilvusHybridTranslator().visit_structured_query(StructuredQuery(query="song", filter=structured))
    assert (query, options) == ("song", {"filter": expected})
    wanted = {i for i, (_, meta) in zip(IDS, SONGS, strict=True) if matches(expected, meta)}
    try:
        found = {d.id for d in songs.similarity_search(query, k=len(SONGS), **options)}
    except FilterError as error:  # negations on Milvus Lite 2.5, with the reason
        assert not songs.store.engine.negation and "cannot evaluate" in str(error)
        return
    assert found == wanted


def _llm(query: str, filter_text: str) -> FakeListLLM:
    """An LLM stand-in that answers the query constructor with a fixed structured query."""
    answer = json.dumps({"query": query, "filter": filter_text})
    return FakeListLLM(responses=[f"```json\n{answer}\n```"] * 4)


FIELDS = [
    {"name": "SingerName", "description": "who sings the song", "type": "string"},
    {"name": "year", "description": "the year the song came out", "type": "integer"},
    {"name": "genre", "description": "the song's genre", "type": "string"},
    {"name": "tags", "description": "words that describe the song", "type": "list[string]"},
]


def test_self_query_retriever_with_the_translator(songs: MilvusHybridVectorStore) -> None:
    from langchain_classic.retrievers.self_query.base import SelfQueryRetriever

    retriever = SelfQueryRetriever.from_llm(
        _llm("night", 'and(eq("SingerName", "IU"), lt("year", 2020))'),
        songs,
        "Song titles",
        FIELDS,
        structured_query_translator=MilvusHybridTranslator(),
    )
    docs = retriever.invoke("IU songs from before 2020 about the night")
    assert {d.id for d in docs} <= {"song0", "song1"} and docs[0].id == "song0"


def test_the_one_call_self_query_retriever(songs: MilvusHybridVectorStore) -> None:
    retriever = songs.as_self_query_retriever(
        _llm("dance", 'and(contain("tags", "dance"), ne("SingerName", "BTS"))'), "Song titles", FIELDS
    )
    assert [d.id for d in retriever.invoke("dance songs not by BTS")] == ["song2"]
    docs = asyncio.run(retriever.ainvoke("dance songs not by BTS"))
    assert [d.id for d in docs] == ["song2"]
