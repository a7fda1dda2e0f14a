"""BM25 statistics that grow: queries between adds, one analysis per fit, an IDF that never vanishes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.errors import ParamsFileError
from milvus_model_adapters.text.analyzer import Analyzer

BOILER = [
    "Descale the kettle every month to remove limescale.",
    "The boiler needs a yearly service by an engineer.",
    "Bleed the radiators when the top stays cold.",
]
NEW = "The QX-7731 pressure valve of the boiler must be replaced every spring."


def add(encoder: BM25Encoder, texts: list[str]) -> None:
    encoder.update(encoder.analyze(texts, grow=True))


def test_adding_after_a_query_with_unknown_words() -> None:
    encoder = BM25Encoder(idf="lucene")
    add(encoder, BOILER)
    assert encoder.encode_queries(["how often should the pressure valve of a boiler be replaced?"]).nnz >= 1
    add(encoder, [NEW])  # raised KeyError: words remembered as unknown were forgotten mid-batch
    for word in ("pressure", "valve", "replaced", "QX", "7731", "spring"):
        query = encoder.encode_queries([word])
        assert query.nnz == 1, word
        doc = encoder.encode_documents([NEW])
        assert float((doc @ query.T).toarray()[0, 0]) > 0, word


words = st.sampled_from(
    ["boiler", "boilers", "valve", "valves", "spring", "kettle", "scale", "limescale", "the", "of", "qx", "7731"]
)
sentences = st.lists(words, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(sentences, min_size=1, max_size=3)), min_size=1, max_size=8))
def test_interleaved_queries_and_adds_keep_every_document_findable_by_its_words(
    steps: list[tuple[bool, list[str]]],
) -> None:
    encoder = BM25Encoder(idf="lucene")
    analyzer = Analyzer()
    added: list[str] = []
    for is_add, texts in steps:
        if is_add:
            add(encoder, texts)
            added.extend(texts)
        elif encoder.is_fitted:
            encoder.encode_queries(texts)
    if not added:
        return
    documents = encoder.encode_documents(added)
    for i, text in enumerate(added):
        for word in analyzer.words([text])[0]:
            if not analyzer(word):
                continue  # a stopword: it finds nothing, by design
            score = (documents[[i]] @ encoder.encode_queries([word]).T).toarray()[0, 0]
            assert score > 0, (text, word)


def test_fit_then_encode_documents_analyses_the_corpus_once(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = BOILER * 3
    reference = BM25Encoder().fit_transform(corpus).toarray()
    encoder = BM25Encoder()
    calls: list[int] = []
    original = encoder.analyze

    def counting(texts: list[str], *, grow: bool = False, languages: object = None) -> object:
        calls.append(len(texts))
        return original(texts, grow=grow, languages=languages)

    monkeypatch.setattr(encoder, "analyze", counting)
    encoder.fit(corpus)
    np.testing.assert_allclose(encoder.encode_documents(corpus).toarray(), reference, rtol=1e-6)
    assert calls == [len(corpus)]
    encoder.encode_documents(corpus)  # kept for one call only
    assert calls == [len(corpus), len(corpus)]
    encoder.fit(corpus)
    encoder.encode_documents(corpus[:2])  # other texts are analysed
    assert calls[-1] == 2


def test_lucene_idf_matches_every_word_of_a_tiny_collection() -> None:
    docs = ["Milvus Lite keeps vectors in a local file.", "BM25 ranks by term frequency."]
    okapi, lucene = BM25Encoder().fit(docs), BM25Encoder(idf="lucene").fit(docs)
    assert okapi.encode_queries(["term frequency"]).nnz == 0  # log(1) = 0: pymilvus-model's formula
    query = lucene.encode_queries(["term frequency"])
    scores = (lucene.encode_documents(docs) @ query.T).toarray()[:, 0]
    assert scores[1] > 0 and scores[0] == 0
    n, df = 2, 1
    assert lucene.idf()[lucene.vocabulary["term"]] == pytest.approx(np.log(1 + (n - df + 0.5) / (df + 0.5)))


def test_idf_formula_survives_a_file(tmp_path: Path) -> None:
    encoder = BM25Encoder(idf="lucene").fit(BOILER)
    encoder.save(tmp_path / "p.json")
    again = BM25Encoder.load(tmp_path / "p.json")
    assert again.idf_formula == "lucene"
    np.testing.assert_allclose(again.idf(), encoder.idf())


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"df": [-1, 1, 1, 1]}, "inconsistent"),
        ({"df": [9, 1, 1, 1]}, "exceeds corpus_size"),
        ({"df": [1, 1]}, "one count per word"),
        ({"df": ["x", 1, 1, 1]}, "whole numbers"),
        ({"corpus_size": 2.5}, "non-numeric"),
        ({"avgdl": -1}, "finite and >= 0"),
        ({"idf": "bm42"}, "unknown idf formula"),
        ({"total_length": float("inf")}, "total_length must be finite"),
    ],
)
def test_inconsistent_params_files_are_refused(tmp_path: Path, change: dict[str, object], match: str) -> None:
    params = BM25Encoder().fit(["wing lift", "engine thrust", "wing engine"]).to_params()
    assert len(params["idf_word"]) == 4
    params.update(change)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(params))
    with pytest.raises(ParamsFileError, match=match):
        BM25Encoder.load(path)


def test_deeply_nested_params_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ParamsFileError):
        BM25Encoder.load(path)
