"""Analysis beyond English: the default analyzer against pymilvus-model's, German, Chinese, a mixed collection.

    python benchmarks/languages.py [--mixed-docs 50000]

Four tables, each side by side in one run:

1. English analysis on Cranfield and CISI: this package's ``Analyzer`` against ``PymilvusAnalyzer``
   (pymilvus-model's tokens): analysis speed, and BM25 nDCG@10 with the store's Lucene IDF.
2. German against English on the same volume (the shared corpora ten times): German words are not
   at hand offline, so the German text is the same corpus with ae/oe/ue/ss written ä/ö/ü/ß and
   German quotation marks around "the": non-ASCII text through the German stemmer and stopwords.
3. Chinese segmentation cost per MB: text drawn from jieba's dictionary by word frequency.
4. A mixed collection (English, the German-style text, Chinese; a third each) through
   ``MultilingualAnalyzer`` with the languages given: fit + encode against bm25s indexing the same tokens.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import DATASETS, best_of, shared_texts, table

from milvus_model_adapters import BM25Encoder
from milvus_model_adapters.text.analyzer import Analyzer
from milvus_model_adapters.text.multilingual import MultilingualAnalyzer
from milvus_model_adapters.text.pymilvus_analysis import PymilvusAnalyzer
from milvus_model_adapters.tools.evaluation import evaluate_run, load_beir


def german_style(texts: list[str]) -> list[str]:
    return [
        t.replace("ae", "ä").replace("oe", "ö").replace("ue", "ü").replace("ss", "ß").replace(" the ", " „the“ ")
        for t in texts
    ]


def chinese_texts(n: int, words_per_text: int = 80, seed: int = 7) -> list[str]:
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    words, weights = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            word, freq, *_ = line.split()
            words.append(word)
            weights.append(int(freq))
    rng = random.Random(seed)
    drawn = rng.choices(words, weights=weights, k=n * words_per_text)
    sentences = []
    for i in range(n):
        part = drawn[i * words_per_text : (i + 1) * words_per_text]
        sentences.append("，".join("".join(part[j : j + 8]) for j in range(0, len(part), 8)) + "。")
    return sentences


def ndcg(analyzer_factory: Callable[[], Any], name: str) -> float:
    data = load_beir(DATASETS / name)
    ids, texts, _ = data.documents()
    encoder = BM25Encoder(analyzer_factory(), idf="lucene")
    documents = encoder.fit_transform(texts)
    queries = data.judged_queries()
    scores = (documents @ encoder.encode_queries(list(queries.values())).T).toarray()
    run = {}
    for column, qid in enumerate(queries):
        top = np.argsort(-scores[:, column], kind="stable")[:100]
        run[qid] = [ids[i] for i in top if scores[i, column] > 0]
    return evaluate_run(run, data.qrels)["ndcg@10"]


def analysis_choice() -> None:
    rows = []
    for name in ("cranfield", "cisi"):
        texts = load_beir(DATASETS / name).documents()[1]
        for label, factory in (("Analyzer() (default)", Analyzer), ('PymilvusAnalyzer("en")', PymilvusAnalyzer)):
            seconds = best_of(lambda f=factory, t=texts: f().analyze_many(t))  # a new analyzer: no cached words
            rows.append([name, label, len(texts) / seconds, ndcg(factory, name)])
    print(table(["corpus", "analysis", "docs/s analysed", "BM25 nDCG@10"], rows))


def german_against_english() -> None:
    english = shared_texts() * 10
    german = german_style(english)
    mb = sum(len(t.encode("utf-8")) for t in german) / 1e6
    times = {"english": [], "german": []}
    for _ in range(3):  # alternating, best of three each
        for label, language, texts in (("english", "english", english), ("german", "german", german)):
            start = time.perf_counter()
            BM25Encoder(Analyzer(language)).fit_transform(texts)
            times[label].append(time.perf_counter() - start)
    en, de = min(times["english"]), min(times["german"])
    print(
        table(
            ["BM25 fit + encode", "docs", "MB", "seconds (best of 3)", "x English"],
            [
                ["English, Analyzer()", len(english), mb, en, 1.0],
                ['German-style text, Analyzer("de")', len(german), mb, de, de / en],
            ],
        )
    )


def chinese_cost() -> None:
    import jieba
    import rjieba

    texts = chinese_texts(4000)
    mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    jieba.initialize()
    rows = []
    for label, fn in (
        ('Analyzer("zh") (rjieba search mode, stopwords)', lambda: Analyzer("zh").analyze_many(texts)),
        ("rjieba.cut_for_search alone", lambda: [rjieba.cut_for_search(t, True) for t in texts]),
        ("jieba.lcut_for_search alone", lambda: [jieba.lcut_for_search(t) for t in texts]),
    ):
        seconds = best_of(fn)
        rows.append([label, mb, seconds, seconds / mb])
    print(table(["Chinese segmentation", "MB", "seconds (best of 3)", "seconds per MB"], rows))


def mixed(n: int) -> None:
    import bm25s

    third = n // 3
    english = shared_texts()
    en = [english[i % len(english)] for i in range(third)]
    de = german_style(en)
    zh = chinese_texts(n - 2 * third, words_per_text=40)
    texts = en + de + zh
    languages = ["en"] * len(en) + ["de"] * len(de) + ["zh"] * len(zh)
    analyzer = MultilingualAnalyzer(["en", "de", "zh"])

    def ours() -> None:
        BM25Encoder(MultilingualAnalyzer(["en", "de", "zh"])).fit_transform(texts, languages=languages)

    tokens = analyzer.analyze_documents(texts, languages)

    def theirs() -> None:
        bm25s.BM25().index(tokens, show_progress=False)

    analysis = best_of(lambda: MultilingualAnalyzer(["en", "de", "zh"]).analyze_documents(texts, languages))
    o, t = best_of(ours), best_of(theirs)
    print(
        table(
            ["mixed de/en/zh collection", "docs", "seconds (best of 3)", "docs/s"],
            [
                ["BM25Encoder(MultilingualAnalyzer) fit + encode, analysis included", len(texts), o, len(texts) / o],
                ["  of which: analysis alone", len(texts), analysis, len(texts) / analysis],
                ["bm25s index of the same tokens (analysis not included)", len(texts), t, len(texts) / t],
            ],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mixed-docs", type=int, default=50_000)
    args = parser.parse_args()
    analysis_choice()
    print()
    german_against_english()
    print()
    chinese_cost()
    print()
    mixed(args.mixed_docs)


if __name__ == "__main__":
    main()
