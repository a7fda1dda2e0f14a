"""BM25 fit + encode_documents throughput: this package vs pymilvus-model vs bm25s, side by side.

    python benchmarks/bm25_throughput.py [--docs 52000] [--pymilvus-docs 5200]

Each method runs in its own process (so peak RSS is its own), on the shared Cranfield + CISI
corpora repeated to ``--docs`` documents. All three use the same analysis: lowercase, English
stopwords (NLTK's list), Snowball English stemmer. pymilvus-model runs through its own analyzer
classes (regex tokenizer, its lowercase, punctuation and NLTK Snowball stemming filters; the
stopword list is passed in, since its own filter downloads NLTK data) on a ``--pymilvus-docs``
subset, and its throughput is compared per document.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from _common import best_of, peak_rss_mb, repeated_corpus, table


def run_ours(texts: list[str]) -> float:
    from milvus_model_adapters.bm25.encoder import BM25Encoder

    def go() -> None:
        BM25Encoder().fit_transform(texts)

    return best_of(go)


def run_bm25s(texts: list[str]) -> float:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")

    def go() -> None:
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
        bm25s.BM25().index(tokens, show_progress=False)

    return best_of(go)


def pymilvus_analyzer():  # type: ignore[no-untyped-def]
    import re

    from pymilvus.model.sparse.bm25.tokenizers import (
        Analyzer,
        LowercaseFilter,
        PunctuationFilter,
        StemmingFilter,
        TextFilter,
    )

    from milvus_model_adapters.text.stopwords import ENGLISH

    class RegexTokenizer:
        pattern = re.compile(r"(?u)\b\w\w+\b")

        def tokenize(self, text: str) -> list[str]:
            return self.pattern.findall(text)

    class Stopwords(TextFilter):
        def apply(self, tokens: list[str]) -> list[str]:
            return [t for t in tokens if t not in ENGLISH]

    return Analyzer(
        "en", RegexTokenizer(), [], [LowercaseFilter(), PunctuationFilter(), Stopwords(), StemmingFilter("english")]
    )


def run_pymilvus(texts: list[str]) -> float:
    from pymilvus.model.sparse import BM25EmbeddingFunction

    analyzer = pymilvus_analyzer()

    def go() -> None:
        fn = BM25EmbeddingFunction(analyzer=analyzer)
        fn.fit(texts)
        fn.encode_documents(texts)

    return best_of(go, repeat=1)


def child(method: str, n: int) -> None:
    texts = repeated_corpus(n)
    seconds = {"ours": run_ours, "bm25s": run_bm25s, "pymilvus": run_pymilvus}[method](texts)
    print(
        json.dumps(
            {"method": method, "docs": n, "seconds": seconds, "docs_per_s": n / seconds, "peak_rss_mb": peak_rss_mb()}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=52_000)
    parser.add_argument("--pymilvus-docs", type=int, default=5_200)
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    results = {}
    for method, n in (("ours", args.docs), ("bm25s", args.docs), ("pymilvus", args.pymilvus_docs)):
        start = time.time()
        out = subprocess.run(
            [sys.executable, __file__, "--child", method, str(n)], capture_output=True, text=True, check=True
        )
        results[method] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {method}: done in {time.time() - start:.0f} s", file=sys.stderr)
    ours = results["ours"]["docs_per_s"]
    rows = [
        [name, r["docs"], r["seconds"], r["docs_per_s"], ours / r["docs_per_s"], r["peak_rss_mb"]]
        for name, r in (
            ("milvus-model-adapters BM25Encoder", results["ours"]),
            ("bm25s tokenize + index", results["bm25s"]),
            ("pymilvus-model BM25EmbeddingFunction", results["pymilvus"]),
        )
    ]
    print(
        table(
            [
                "method (fit + encode documents)",
                "docs",
                "seconds (best of 3)",
                "docs/s",
                "ours is x faster",
                "peak RSS MiB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
