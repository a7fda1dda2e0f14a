"""Stores in other languages and in several at once, on a Milvus Lite file and a served engine."""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest

from milvus_model_adapters import BM25Encoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import BuiltinBM25, ClientBM25, HybridStore
from milvus_model_adapters.store.lite_files import lite_generation
from milvus_model_adapters.text.analyzer import Analyzer
from milvus_model_adapters.text.languages import milvus_analyzer_params
from milvus_model_adapters.text.multilingual import MultilingualAnalyzer
from tests.support.bilingual import (
    CHINESE,
    CHINESE_QUERIES,
    ENGLISH_QUERIES,
    GERMAN,
    GERMAN_QUERIES,
    LANGUAGE_OF,
    TEXTS,
)
from tests.support.fixed_dense import HashDense

QUERIES = {**GERMAN_QUERIES, **CHINESE_QUERIES, **ENGLISH_QUERIES}


@pytest.fixture(params=["lite", pytest.param("server", marks=pytest.mark.network)])
def place(request: pytest.FixtureRequest, tmp_path: Any) -> tuple[str, str]:
    """Where a store lives: a Milvus Lite file, or a collection on a Milvus server on 127.0.0.1."""
    if request.param == "lite":
        return str(tmp_path / "languages.db"), "documents"
    return request.getfixturevalue("server_uri"), "t_" + uuid.uuid4().hex[:12]


def _open(place: tuple[str, str], analyzer: Any = None, **kwargs: Any) -> HybridStore:
    uri, name = place
    sparse = ClientBM25(analyzer) if analyzer is not None else "bm25"
    return HybridStore(uri, name, dense=HashDense(), sparse=sparse, **kwargs)


def _bm25_top(store: HybridStore, query: str) -> str | None:
    hits = store.search(query, 3, mode="sparse")
    return hits[0].id if hits else None


def test_mixed_language_store_reopens_with_its_analyzer(place: tuple[str, str]) -> None:
    ids = list(TEXTS)
    metadatas = [{"language": LANGUAGE_OF[i]} for i in ids]
    analyzer = MultilingualAnalyzer(["de", "en", "zh"])
    half = len(ids) // 2
    with _open(place, analyzer, drop_existing=True) as store:
        store.add([TEXTS[i] for i in ids[:half]], metadatas[:half], ids[:half])
    # Reopened with no analyzer: the stored settings analyse the new documents and the queries.
    with _open(place) as store:
        assert store.sparse.encoder.analyzer.config() == analyzer.config()
        store.add([TEXTS[i] for i in ids[half:]], metadatas[half:], ids[half:])
        for query, answer in QUERIES.items():
            assert _bm25_top(store, query) == answer, query
        # A German query finds German documents, an English one English documents.
        assert LANGUAGE_OF[_bm25_top(store, "Häuser aus Holz") or ""] == "de"
        assert LANGUAGE_OF[_bm25_top(store, "houses made of wood") or ""] == "en"
        # The store's statistics equal a fit of the same documents in their languages.
        reference = BM25Encoder(MultilingualAnalyzer(["de", "en", "zh"])).fit(
            [TEXTS[i] for i in ids], languages=[LANGUAGE_OF[i] for i in ids]
        )
        stats = store.bm25_stats()
        assert stats["corpus_size"] == reference.corpus_size
        assert stats["avgdl"] == pytest.approx(reference.avgdl, rel=1e-9)


def test_bm25_scores_equal_an_independent_evaluation(place: tuple[str, str]) -> None:
    ids = list(TEXTS)
    texts = [TEXTS[i] for i in ids]
    languages = [LANGUAGE_OF[i] for i in ids]
    analyzer = MultilingualAnalyzer(["de", "en", "zh"])
    with _open(place, analyzer, drop_existing=True) as store:
        store.add(texts, [{"language": lang} for lang in languages], ids)
        reference = BM25Encoder(MultilingualAnalyzer(["de", "en", "zh"]), idf="lucene")
        documents = reference.fit_transform(texts, languages=languages)
        for query in QUERIES:
            expected = (documents @ reference.encode_queries([query]).T).toarray().ravel()
            hits = store.search(query, len(ids), mode="sparse")
            got = {h.id: h.score for h in hits}
            want = {i: float(s) for i, s in zip(ids, expected, strict=True) if s > 0}
            assert got.keys() == want.keys(), query
            np.testing.assert_allclose([got[i] for i in want], list(want.values()), rtol=1e-4)


def test_deleting_and_replacing_documents_keeps_statistics_per_language(place: tuple[str, str]) -> None:
    ids = list(TEXTS)
    with _open(place, MultilingualAnalyzer(["de", "en", "zh"]), drop_existing=True) as store:
        store.add([TEXTS[i] for i in ids], [{"language": LANGUAGE_OF[i]} for i in ids], ids)
        store.delete(["de-fahrrad", "zh-vector"])
        # The same text re-added as English is analysed in English now.
        store.add([TEXTS["de-hund"]], [{"language": "en"}], ["de-hund"])
        kept = [i for i in ids if i not in {"de-fahrrad", "zh-vector"}]
        languages = ["en" if i == "de-hund" else LANGUAGE_OF[i] for i in kept]
        reference = BM25Encoder(MultilingualAnalyzer(["de", "en", "zh"])).fit(
            [TEXTS[i] for i in kept], languages=languages
        )
        stats = store.bm25_stats()
        assert stats["corpus_size"] == reference.corpus_size == len(kept)
        assert stats["avgdl"] == pytest.approx(reference.avgdl, rel=1e-9)
        store.recount_bm25()  # counted again from the stored texts and their metadata
        assert store.bm25_stats()["avgdl"] == pytest.approx(reference.avgdl, rel=1e-9)


def test_language_identification_without_metadata(place: tuple[str, str]) -> None:
    ids = list(TEXTS)
    with _open(place, MultilingualAnalyzer(["de", "en", "zh"], default="auto"), drop_existing=True) as store:
        store.add([TEXTS[i] for i in ids], ids=ids)
        for query, answer in QUERIES.items():
            assert _bm25_top(store, query) == answer, query


def test_a_language_the_store_lacks_is_refused_before_anything_is_written(place: tuple[str, str]) -> None:
    with _open(place, MultilingualAnalyzer(["de", "en"]), drop_existing=True) as store:
        store.add(["Ein Haus"], [{"language": "de"}], ["a"])
        with pytest.raises(InvalidInputError, match="'zh' is not one of the store's languages"):
            store.add(["Ein Hund", "狗"], [{"language": "de"}, {"language": "zh"}], ["b", "c"], batch_size=1)
        with pytest.raises(InvalidInputError, match="unknown language 'klingon'"):
            store.add(["Ein Hund"], [{"language": "klingon"}], ["b"])
        assert store.count() == 1
        assert store.bm25_stats()["corpus_size"] == 1


def test_chinese_store(place: tuple[str, str]) -> None:
    ids = list(CHINESE)
    with _open(place, Analyzer("zh"), drop_existing=True) as store:
        store.add([CHINESE[i] for i in ids], ids=ids)
    with _open(place) as store:
        for query, answer in CHINESE_QUERIES.items():
            assert _bm25_top(store, query) == answer, query


def test_builtin_bm25_in_german_and_chinese(place: tuple[str, str]) -> None:
    """Milvus's own BM25 with the parameters of milvus_analyzer_params, against this package's analysis.

    Milvus Lite 2.5 stems with Snowball as the client does, so every query finds its answer.
    Milvus Lite 3 applies the stopwords but has no stemmer: the uninflected queries still work,
    the inflected ones do not (README, "Languages").
    """
    uri, name = place
    stems = lite_generation() < 3

    def builtin(collection: str, language: str) -> HybridStore:
        params = milvus_analyzer_params(language)
        return HybridStore(uri, collection, dense=HashDense(), sparse=BuiltinBM25(params), drop_existing=True)

    with builtin(name, "de") as store:
        store.add(list(GERMAN.values()), ids=list(GERMAN))
        assert _bm25_top(store, "Fahrrad") == "de-fahrrad"
        assert _bm25_top(store, "der Hund und die Katze") == "de-hund"  # stopwords dropped on every engine
        assert store.search("die und der", 3, mode="sparse") == []
        assert (_bm25_top(store, "Fahrräder") == "de-fahrrad") is stems
    with builtin(name + "_zh", "zh") as store:
        store.add(list(CHINESE.values()), ids=list(CHINESE))
        for query, answer in CHINESE_QUERIES.items():
            assert _bm25_top(store, query) == answer, query


def test_builtin_bm25_refuses_a_client_analyzer_and_unsegmented_languages(db_path: str) -> None:
    with pytest.raises(InvalidInputError, match="analyzer is for client-side BM25"):
        HybridStore(db_path, dense=HashDense(), sparse="builtin", analyzer=Analyzer("de"))
    with pytest.raises(InvalidInputError, match="Milvus Lite has no Japanese tokenizer"):
        milvus_analyzer_params("ja")


def test_what_milvus_lite_cannot_do_for_languages(place: tuple[str, str]) -> None:
    """The engine facts behind README's advice to use MultilingualAnalyzer for mixed collections.

    Neither Milvus Lite generation runs ``run_analyzer``, and neither analyses by language in a
    collection with ``multi_analyzer_params``: the German analyzer named for the query does not
    stem "Fahrräder" to the "Fahrrad" of a German document.
    """
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    uri, name = place
    client = MilvusClient(uri)
    try:
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("language", DataType.VARCHAR, max_length=16)
        analyzers = {"de": milvus_analyzer_params("de"), "en": milvus_analyzer_params("en")}
        schema.add_field(
            "text",
            DataType.VARCHAR,
            max_length=1000,
            enable_analyzer=True,
            multi_analyzer_params={
                "analyzers": {**analyzers, "default": {"tokenizer": "standard"}},
                "by_field": "language",
            },
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]
            )
        )
        index = client.prepare_index_params()
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        client.drop_collection(name)
        client.create_collection(name, schema=schema, index_params=index)
        client.insert(name, [{"id": "de", "language": "de", "text": "Das Fahrrad steht hier"}])
        client.flush(name)
        params = {"metric_type": "BM25", "analyzer_name": "de"}
        found = client.search(name, ["Fahrrad"], anns_field="sparse", limit=3, search_params=params)[0]
        assert [hit["id"] for hit in found] == ["de"]
        assert list(client.search(name, ["Fahrräder"], anns_field="sparse", limit=3, search_params=params)[0]) == []
        with pytest.raises(Exception, match="(?i)unimplemented"):
            client.run_analyzer(["Die Fahrräder"], analyzer_params=milvus_analyzer_params("de"))
    finally:
        client.drop_collection(name)
        client.close()
