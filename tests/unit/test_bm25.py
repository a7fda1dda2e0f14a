from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.bm25.terms import AnalyzedBatch
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, NotFittedError, ParamsFileError
from milvus_model_adapters.text.analyzer import Analyzer
from tests.support.corpus import CORPUS
from tests.support.datasets import dataset


def load_texts(name: str) -> tuple[list[str], list[str]]:
    path = dataset(name)
    docs = [json.loads(line) for line in (path / "corpus.jsonl").open()]
    queries = [json.loads(line)["text"] for line in (path / "queries.jsonl").open()]
    return [(d.get("title", "") + " " + d["text"]).strip() or "(empty)" for d in docs], queries


def test_analyzer_offline_english() -> None:
    an = Analyzer()
    assert an("The engines were running quickly!") == ["engin", "run", "quick"]
    assert an("a I") == []  # stopwords and one-letter tokens
    assert an("Café naïve résumé") == ["café", "naïv", "résumé"]  # non-ASCII path


def test_analyzer_ascii_fast_path_equals_regex_path() -> None:
    an = Analyzer()
    texts = ["Hello, world! x_y 3.14 don't", "UPPER lower MiXeD", "tabs\tand\nnewlines  a b cc"]
    fast = an.analyze_many(texts)
    slow = [[t for t in (an.term(w) for w in ws) if t is not None] for ws in an.words(texts)]
    assert fast == slow


def test_analyzer_other_language_and_config_roundtrip() -> None:
    de = Analyzer("german", stopwords=["der", "die", "das"])
    assert de("Die Häuser der Stadt") == ["haus", "stadt"]
    assert Analyzer.from_config(de.config()).config() == de.config()
    with pytest.raises(InvalidInputError, match="unknown language 'klingon'; supported: ar"):
        Analyzer("klingon")


def test_fit_encode_scores_are_bm25() -> None:
    bm = BM25Encoder().fit(CORPUS)
    docs = bm.encode_documents(CORPUS)
    q = bm.encode_queries(["vector database"])
    scores = (q @ docs.T).toarray()[0]
    assert int(np.argmax(scores)) == 0
    assert (scores >= 0).all()


def test_parity_with_pymilvus_on_cranfield() -> None:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    texts, queries = load_texts("cranfield")
    analyzer = Analyzer()
    ours = BM25Encoder(analyzer).fit(texts)
    ref = BM25EmbeddingFunction(analyzer=analyzer)
    ref.fit(texts)
    queries = [*queries, "zzzzqx unknownword"]
    s_ours = (
        ours.encode_queries(queries).astype(np.float64) @ ours.encode_documents(texts).astype(np.float64).T
    ).toarray()
    s_ref = (
        ref.encode_queries(queries).astype(np.float64) @ ref.encode_documents(texts).astype(np.float64).T
    ).toarray()
    assert np.abs(s_ours - s_ref).max() < 1e-5
    assert s_ours.max() > 10


def test_save_load_compatible_with_pymilvus(tmp_path: Path) -> None:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    analyzer = Analyzer()
    ours = BM25Encoder(analyzer).fit(CORPUS)
    ours.save(tmp_path / "ours.json")
    ref = BM25EmbeddingFunction(analyzer=analyzer)
    ref.load(str(tmp_path / "ours.json"))
    q = ["rank fusion of lists"]
    np.testing.assert_allclose(ref.encode_queries(q).toarray(), ours.encode_queries(q).toarray(), atol=1e-6)
    np.testing.assert_allclose(
        ref.encode_documents(CORPUS).toarray(), ours.encode_documents(CORPUS).toarray(), atol=1e-6
    )

    ref2 = BM25EmbeddingFunction(analyzer=analyzer)
    ref2.fit(CORPUS)
    ref2.save(str(tmp_path / "ref.json"))
    loaded = BM25Encoder.load(tmp_path / "ref.json", analyzer=analyzer)
    assert not loaded.can_update
    np.testing.assert_allclose(loaded.encode_queries(q).toarray(), ref2.encode_queries(q).toarray(), atol=1e-6)
    with pytest.raises(InvalidInputError, match="cannot be updated"):
        loaded.update(loaded.analyze(["new doc"], grow=True))


def test_roundtrip_keeps_analyzer_and_frequencies(tmp_path: Path) -> None:
    bm = BM25Encoder(Analyzer(stopwords=[]), k1=1.2, b=0.5).fit(CORPUS)
    bm.save(tmp_path / "p.json")
    again = BM25Encoder.load(tmp_path / "p.json")
    assert again.can_update and again.k1 == 1.2 and again.b == 0.5
    assert again.analyzer.config() == bm.analyzer.config()  # type: ignore[attr-defined]
    assert (again.document_frequencies == bm.document_frequencies).all()


def test_from_pymilvus_instance() -> None:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    ref = BM25EmbeddingFunction(analyzer=Analyzer())
    ref.fit(CORPUS)
    ours = BM25Encoder.from_pymilvus(ref)
    np.testing.assert_allclose(
        ours.encode_queries(["hybrid search"]).toarray(),
        ref.encode_queries(["hybrid search"]).toarray(),
        atol=1e-6,
    )
    with pytest.raises(NotFittedError):
        BM25Encoder.from_pymilvus(BM25EmbeddingFunction(analyzer=Analyzer()))


def test_incremental_update_equals_full_fit() -> None:
    half = len(CORPUS) // 2
    inc = BM25Encoder()
    inc.fit(CORPUS[:half])
    inc.update(inc.analyze(CORPUS[half:], grow=True))
    full = BM25Encoder().fit(CORPUS)
    assert inc.corpus_size == full.corpus_size and inc.avgdl == pytest.approx(full.avgdl)
    q = ["turing research in artificial intelligence"]
    np.testing.assert_allclose(
        (inc.encode_queries(q) @ inc.encode_documents(CORPUS).T).toarray(),
        (full.encode_queries(q) @ full.encode_documents(CORPUS).T).toarray(),
        atol=1e-5,
    )
    inc.update(inc.analyze(CORPUS[half:]), remove=True)
    assert inc.corpus_size == half
    with pytest.raises(InvalidInputError, match="negative"):
        inc.update(inc.analyze(CORPUS[half:]), remove=True)


def test_unknown_words_query_is_empty_row() -> None:
    bm = BM25Encoder().fit(CORPUS)
    q = bm.encode_queries(["qwertyuiop asdfgh", "vector"])
    assert q.shape[0] == 2 and q[[0]].nnz == 0 and q[[1]].nnz == 1


def test_sparse_output_is_csr_float32() -> None:
    bm = BM25Encoder().fit(CORPUS)
    out = bm.encode_documents(CORPUS[:3])
    assert isinstance(out, sp.csr_array) and out.dtype == np.float32 and out.shape == (3, bm.dim)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda bm: bm.encode_queries(["x"]), NotFittedError, "not fitted"),
        (lambda bm: bm.encode_documents(["x"]), NotFittedError, "not fitted"),
        (lambda bm: bm.fit([]), InvalidInputError, "empty list"),
        (lambda bm: bm.fit([""]), InvalidInputError, "empty"),
        (lambda bm: bm.fit(None), InvalidTypeError, "None"),
        (lambda bm: bm.fit(["ok", 3]), InvalidTypeError, "corpus\\[1\\]"),
        (lambda bm: bm.fit("text"), InvalidTypeError, "single string"),
    ],
)
def test_bad_input(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call(BM25Encoder())


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "not found"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"corpus_size": 1}', "missing field"),
        (
            '{"corpus_size": 1, "avgdl": 1, "idf_word": ["a"], "idf_value": [], "k1": 1, "b": 1, "epsilon": 1}',
            "same length",
        ),
        (
            '{"corpus_size": "x", "avgdl": 1, "idf_word": [], "idf_value": [], "k1": 1, "b": 1, "epsilon": 1}',
            "non-numeric",
        ),
    ],
)
def test_malformed_params_file(tmp_path: Path, content: str | None, match: str) -> None:
    path = tmp_path / "bm25.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ParamsFileError, match=match):
        BM25Encoder.load(path)


def test_invalid_parameters() -> None:
    with pytest.raises(InvalidInputError):
        BM25Encoder(b=2)
    with pytest.raises(InvalidTypeError):
        BM25Encoder(analyzer="english")  # type: ignore[arg-type]


def test_analyzed_pairs_count_each_known_term_of_each_text() -> None:
    """``pairs`` against a Counter per text: unknown terms (-1) count towards the length only."""
    texts = [[3, 1, 3, -1, 0], [], [-1, -1], [7, 7, 7], [2, 0, 2, 0]]
    batch = AnalyzedBatch(
        np.array([t for text in texts for t in text], dtype=np.int64), np.array(list(map(len, texts)))
    )
    rows, cols, tf = batch.pairs()
    expected = [(i, term, n) for i, text in enumerate(texts) for term, n in sorted(Counter(text).items()) if term >= 0]
    assert list(zip(rows.tolist(), cols.tolist(), tf.tolist(), strict=True)) == expected
