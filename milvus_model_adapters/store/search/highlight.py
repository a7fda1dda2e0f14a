"""Highlights: the query terms each hit matched, as character spans of its stored text and a marked fragment.

A hit's text is cut into words (runs of letters and digits); each word is analysed alone, with the store's
analyzer, and a word whose terms hold a term of the query is a match: a stemmed term maps back to the word
it came from ("running" for the query "run"). A run of Chinese, Japanese or Korean characters has no spaces
to cut at: its segments that are query terms are matched where they stand in the run. The same on every
engine: Milvus Lite has no highlighter, and a Milvus server's ``LexicalHighlighter`` refuses hybrid search.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.errors import InvalidTypeError
from milvus_model_adapters.store.types import Highlights
from milvus_model_adapters.text.multilingual import MultilingualAnalyzer

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

Analyze = Callable[[Sequence[str]], list[list[str]]]
"""Terms of each of several texts (a store's document analysis)."""


@dataclass(frozen=True, slots=True)
class Highlight:
    """How hits are highlighted (``highlight=True`` is ``Highlight()``).

    Attributes:
        pre: Marker put before each match in the fragment.
        post: Marker put after it.
        fragment_size: Characters of text around the first match in the fragment.
    """

    pre: str = "<em>"
    post: str = "</em>"
    fragment_size: int = 160

    def __post_init__(self) -> None:
        if not isinstance(self.pre, str) or not isinstance(self.post, str):
            raise InvalidTypeError("Highlight pre and post must be strings")
        check_positive_int(self.fragment_size, what="fragment_size")


def as_highlight(value: Any) -> Highlight | None:
    """``highlight=`` as a ``Highlight``: ``True`` for the defaults, ``False`` / ``None`` for none."""
    if value is None or value is False:
        return None
    if value is True:
        return Highlight()
    if isinstance(value, Highlight):
        return value
    raise InvalidTypeError(f"highlight must be True, False or a Highlight, got {type(value).__name__}")


def query_terms(analyzer: Any, query: str) -> set[str]:
    """The terms of ``query`` as the store analyses queries (in every language of a multilingual analyzer)."""
    if isinstance(analyzer, MultilingualAnalyzer):
        return set(analyzer.analyze_queries([query])[0])
    return set(analyzer(query))


def word_analysis(analyzer: Any) -> Analyze:
    """How the words of a hit are analysed: by the analyzer, or by each language of a multilingual one."""
    if not isinstance(analyzer, MultilingualAnalyzer):
        return analyzer.analyze_many  # type: ignore[no-any-return]
    languages = list(analyzer.analyzers.values())

    def pooled(words: Sequence[str]) -> list[list[str]]:
        each = [language.analyze_many(words) for language in languages]
        return [[term for terms in per_word for term in terms] for per_word in zip(*each, strict=True)]

    return pooled


def analysed_once(analyze: Analyze, texts: Sequence[str]) -> Analyze:
    """``analyze`` over every distinct word of ``texts`` at once, then looked up: a word is analysed once."""
    words = sorted({w.group() for text in texts for w in _WORD.finditer(text)})
    terms_of = dict(zip(words, analyze(words), strict=True))
    return lambda batch: [terms_of[w] for w in batch]


def highlights(text: str, query_terms: set[str], analyze: Analyze, options: Highlight) -> Highlights:
    """The matches of ``query_terms`` in ``text``, each word analysed with ``analyze``."""
    words = list(_WORD.finditer(text))
    spans: list[tuple[int, int]] = []
    if words and query_terms:
        for word, terms in zip(words, analyze([w.group() for w in words]), strict=True):
            found = [t for t in terms if t in query_terms]
            if not found:
                continue
            if _CJK.search(word.group()) is None:
                spans.append(word.span())
            else:
                spans.extend(_within(word, found))
    merged = _merged(spans)
    matched = tuple(dict.fromkeys(text[s:e] for s, e in merged))
    return Highlights(tuple(merged), matched, _fragment(text, merged, options))


def _within(word: re.Match[str], terms: list[str]) -> list[tuple[int, int]]:
    """Where the segments ``terms`` stand in a run of CJK characters (case and width folded)."""
    run = unicodedata.normalize("NFKC", word.group()).lower()
    out = []
    for term in set(terms):
        start = run.find(term)
        while start >= 0 and len(run) == len(word.group()):
            out.append((word.start() + start, word.start() + start + len(term)))
            start = run.find(term, start + len(term))
    return out or [word.span()]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def _fragment(text: str, spans: list[tuple[int, int]], options: Highlight) -> str:
    """``fragment_size`` characters from a little before the first match, matches marked, cuts shown by ``…``."""
    size = options.fragment_size
    first = spans[0][0] if spans else 0
    start = max(0, min(first - size // 4, len(text) - size))
    end = min(len(text), start + size)
    pieces, at = [], start
    for s, e in spans:
        if s >= end or e <= start:
            continue
        s, e = max(s, start), min(e, end)
        pieces += [text[at:s], options.pre, text[s:e], options.post]
        at = e
    pieces.append(text[at:end])
    return ("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else "")
