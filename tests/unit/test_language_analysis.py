"""Analysis in every supported language: names and codes, stopwords, Unicode words, CJK segmentation (no Milvus)."""

from __future__ import annotations

import importlib.util
import unicodedata

import numpy as np
import pytest
import scipy.sparse as sp
import Stemmer
from hypothesis import given
from hypothesis import strategies as st

from milvus_model_adapters import BM25Encoder
from milvus_model_adapters.errors import InvalidInputError, MissingDependencyError
from milvus_model_adapters.text import segmenters as segmenters_module
from milvus_model_adapters.text.analyzer import Analyzer
from milvus_model_adapters.text.languages import LANGUAGES, language_of
from milvus_model_adapters.text.multilingual import MultilingualAnalyzer, analyzer_from_config
from tests.support.bilingual import CHINESE, CHINESE_QUERIES, ENGLISH_QUERIES, GERMAN_QUERIES, LANGUAGE_OF, TEXTS

SNOWBALL = sorted(name for name, lang in LANGUAGES.items() if lang.stemmer is not None)


def test_every_pystemmer_language_is_supported() -> None:
    variants = {"porter", "dutch_porter"}  # other stemmers of English and Dutch
    assert set(Stemmer.algorithms()) - variants == set(SNOWBALL)


@pytest.mark.parametrize("name", SNOWBALL)
def test_snowball_language_by_code_and_name(name: str) -> None:
    lang = LANGUAGES[name]
    by_code, by_name = Analyzer(lang.code), Analyzer(name.upper())
    assert by_code.config() == by_name.config() == Analyzer.from_config(by_name.config()).config()
    assert by_code.language == name
    stop = by_code.stopwords
    assert len(stop) >= 20, f"{name} has only {len(stop)} stopwords"
    # The stopwords that are single words: a text of them has no terms.
    single = sorted(w for w in stop if by_code.words([w]) == [[w]])[:20]
    assert single and by_code(" ".join(single)) == []
    # Content words are stemmed by the language's Snowball stemmer.
    words = [w for w in by_code.words(["Information retrieval systems"])[0] if w not in stop]
    assert by_code.analyze_many(["Information retrieval systems"])[0] == Stemmer.Stemmer(name).stemWords(words)


def test_unknown_language_lists_the_supported_ones() -> None:
    with pytest.raises(InvalidInputError, match=r"unknown language 'xx'; supported: .*de \(german\).*zh \(chinese\)"):
        Analyzer("xx")
    assert Analyzer("porter")("running") == ["run"]  # a bare PyStemmer algorithm still works


def test_german_stopwords_umlauts_and_inflection() -> None:
    assert Analyzer("german")("Die Häuser wurden gebaut und die Fahrräder") == ["haus", "wurd", "gebaut", "fahrrad"]
    assert Analyzer("de")("das Haus") == Analyzer("de")("den Häusern")


def test_unicode_words_keep_their_combining_marks() -> None:
    hindi = "हिन्दी भाषा"
    assert Analyzer("hi", stem=False, stopwords=[]).words([hindi]) == [["हिन्दी", "भाषा"]]
    tamil = "தமிழ் மொழி"
    assert Analyzer("ta", stem=False, stopwords=[]).words([tamil]) == [["தமிழ்", "மொழி"]]
    composed = "café résumé"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    fr = Analyzer("fr")
    assert fr(decomposed) == fr(composed) == ["caf", "résum"]


def test_apostrophes_and_hyphenated_compounds() -> None:
    assert Analyzer("fr")("L'avion d'Air France") == ["avion", "air", "franc"]
    assert Analyzer("it")("dell'acqua") == ["acqua"]
    de = Analyzer("de")
    assert de("E-Mail-Adresse") == ["mail", "adress"]
    assert set(de("Adressen")) <= set(de("Die E-Mail-Adresse des Kunden"))


def test_serbian_stopwords_in_both_scripts() -> None:
    sr = Analyzer("sr")
    assert sr("Ово је кућа") == sr("ovo je kuća") == ["kuć"]


@pytest.mark.parametrize("code", ["zh", "ja", "ko"])
def test_missing_segmenter_names_the_extra(code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = {"zh": "rjieba", "ja": "fugashi", "ko": "kiwipiepy"}[code]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))
    monkeypatch.setattr(segmenters_module, "_segmenters", {})
    with pytest.raises(MissingDependencyError, match=rf"milvus-model-adapters\[{code}\]"):
        Analyzer(code)


def test_chinese_words_equal_jieba_search_mode() -> None:
    import jieba

    zh = Analyzer("zh", stopwords=[], lowercase=False)
    sentences = [
        *CHINESE.values(),
        "我爱北京天安门 Milvus 向量数据库",
        "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
        "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    ]
    for text in sentences:
        expected = [w for w in jieba.lcut_for_search(text) if any(c.isalnum() for c in w)]
        assert zh(text) == expected


def test_chinese_splits_a_run_that_the_default_analyzer_keeps_whole() -> None:
    text = "我爱北京天安门 Milvus 向量数据库"
    assert Analyzer()(text) == ["我爱北京天安门", "milvus", "向量数据库"]
    terms = Analyzer("zh")(text)
    assert {"北京", "天安门", "milvus", "向量", "数据库"} <= set(terms)
    assert "我" not in terms  # a stopword


def test_japanese_dictionary_forms_and_no_particles() -> None:
    ja = Analyzer("ja")
    assert ja("東京大学で自然言語処理を研究しています。") == ["東京", "大学", "自然", "言語", "処理", "研究"]
    assert ja("駅まで走った") == ja("駅まで走ります") == ["駅", "走る"]


def test_korean_stems_without_particles_or_endings() -> None:
    ko = Analyzer("ko")
    assert ko("벡터 데이터베이스는 검색을 지원합니다.") == ["벡터", "데이터", "베이스", "검색", "지원"]
    assert ko("검색이") == ko("검색을") == ["검색"]


def _top(encoder: BM25Encoder, documents: sp.csr_array, ids: list[str], query: str) -> str | None:
    scores = (documents @ encoder.encode_queries([query]).T).toarray().ravel()
    return ids[int(np.argmax(scores))] if scores.max() > 0 else None


def test_bilingual_collection_needs_each_language_analyzer() -> None:
    ids = list(TEXTS)
    texts = [TEXTS[i] for i in ids]
    languages = [LANGUAGE_OF[i] for i in ids]
    english_only = BM25Encoder(Analyzer())
    english_vectors = english_only.fit_transform(texts)
    for query, answer in {**GERMAN_QUERIES, **CHINESE_QUERIES}.items():
        assert _top(english_only, english_vectors, ids, query) != answer, query
    given = BM25Encoder(MultilingualAnalyzer(["de", "en", "zh"]))
    detected = BM25Encoder(MultilingualAnalyzer(["de", "en", "zh"], default="auto"))
    for encoder, vectors in (
        (given, given.fit_transform(texts, languages=languages)),
        (detected, detected.fit_transform(texts)),
    ):
        for query, answer in {**GERMAN_QUERIES, **CHINESE_QUERIES, **ENGLISH_QUERIES}.items():
            assert _top(encoder, vectors, ids, query) == answer, query


def test_multilingual_documents_use_their_language_and_queries_pool() -> None:
    analyzer = MultilingualAnalyzer(["en", "de"], default="de")
    assert analyzer.analyze_documents(["The houses", "Die Häuser"], ["en", None]) == [["hous"], ["haus"]]
    assert analyzer("Die Häuser") == ["haus"]  # the default language
    assert analyzer.analyze_queries(["Häuser"]) == [["häuser", "haus"]]
    assert analyzer.document_languages([{"language": "german"}, {}, None]) == ["german", None, None]
    with pytest.raises(InvalidInputError, match="'fr' is not one of the store's languages"):
        analyzer.document_languages([{"language": "fr"}])
    with pytest.raises(InvalidInputError, match="given twice"):
        MultilingualAnalyzer(["de", "german"])


def test_multilingual_detection_picks_the_query_language() -> None:
    analyzer = MultilingualAnalyzer(["en", "de", "zh"], default="auto")
    assert analyzer.analyze_queries(["Die Fahrräder in der Stadt"]) == [Analyzer("de")("Die Fahrräder in der Stadt")]
    assert analyzer.analyze_queries(["向量数据库"]) == [Analyzer("zh")("向量数据库")]
    assert analyzer.analyze_documents(["Bicycles in the city"]) == [Analyzer("en")("Bicycles in the city")]


def test_multilingual_config_round_trip() -> None:
    analyzer = MultilingualAnalyzer(["en", Analyzer("de", stopwords=["die"])], default="auto", metadata_key="lang")
    again = analyzer_from_config(analyzer.config())
    assert isinstance(again, MultilingualAnalyzer)
    assert again.config() == analyzer.config()
    assert again.analyzers["german"].stopwords == frozenset({"die"})


def test_language_names_and_codes() -> None:
    assert language_of("DE").name == language_of("german").name == "german"
    assert language_of("nb").name == "norwegian"
    assert language_of("jp").name == "japanese"  # pymilvus-model's code


def _term_counts(encoder: BM25Encoder, vectors: sp.csr_array) -> list[dict[str, float]]:
    vocabulary = list(encoder.vocabulary)
    return [
        {vocabulary[j]: round(float(v), 5) for j, v in zip(vectors[[i]].indices, vectors[[i]].data, strict=True)}
        for i in range(vectors.shape[0])
    ]


UNICODE_TEXTS = [
    "„Häuser“ und (Häuser)… haus–garten a–b x—yy «Straße» ÄPFEL Äpfel",
    "cafe\u0301 café CAFÉ İstanbul naïve l'été—déjà vu",
    "Die Fahrräder\u00a0stehen\u2003draußen: ½ Stück, ² Grad, µm",
    "plain ascii text, with punctuation! and numbers 42",
]


@given(
    st.lists(st.text(alphabet="aäAÄoöß xyz-–„“.…\u0301\u00a0é", max_size=30).filter(str.strip), min_size=1, max_size=8)
)
def test_batch_analysis_of_unicode_text_equals_the_per_text_analysis(texts: list[str]) -> None:
    analyzer = Analyzer("german")
    fast = BM25Encoder(Analyzer("german"))
    per_text = BM25Encoder(lambda text: analyzer(text))  # the generic path: one regular expression per text
    corpus = [*UNICODE_TEXTS, *texts]
    assert _term_counts(fast, fast.fit_transform(corpus)) == _term_counts(per_text, per_text.fit_transform(corpus))


def test_framework_sparse_embeddings_take_a_language() -> None:
    from milvus_model_adapters.langchain import MilvusModelSparseEmbeddings
    from milvus_model_adapters.llama_index import MilvusModelSparseEmbedding

    corpus = list(TEXTS.values())
    for wrapper in (
        MilvusModelSparseEmbeddings.bm25(corpus, language="de"),
        MilvusModelSparseEmbedding.bm25(corpus, language="de"),
    ):
        encoder = wrapper.encoder.function
        assert encoder.analyzer.config() == Analyzer("de").config()
    with pytest.raises(InvalidInputError, match="language or analyzer"):
        MilvusModelSparseEmbeddings.bm25(corpus, language="de", analyzer=Analyzer())


def test_bad_multilingual_input_is_one_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="non-empty list"):
        MultilingualAnalyzer([])
    with pytest.raises(InvalidInputError, match="non-empty list"):
        MultilingualAnalyzer("de")  # type: ignore[arg-type]
    analyzer = MultilingualAnalyzer(["en", "de"])
    with pytest.raises(InvalidInputError, match="must be a string, got int"):
        analyzer.document_languages([{"language": 7}])
    with pytest.raises(InvalidInputError, match="got 1 languages for 2 texts"):
        analyzer.analyze_documents(["a house", "ein Haus"], ["en"])
    encoder = BM25Encoder(MultilingualAnalyzer(["en", "de"]))
    with pytest.raises(InvalidInputError, match="got 1 languages for 2 texts"):
        encoder.fit(["a house", "ein Haus"], languages=["en"])
    assert not encoder.is_fitted
    with pytest.raises(InvalidInputError, match="default language 'french' is not one of"):
        MultilingualAnalyzer(["en", "de"], default="fr")
