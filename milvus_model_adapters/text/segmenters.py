"""Word segmentation for Chinese, Japanese and Korean, whose words are not separated by spaces.

Each segmenter is an optional extra with its dictionary shipped as a package, so nothing is
downloaded:

=========  =================================================  =========================
language   segmenter                                          extra
=========  =================================================  =========================
Chinese    ``rjieba`` (jieba's dictionary, search mode)       ``milvus-model-adapters[zh]``
Japanese   ``fugashi`` (MeCab) with the ``unidic-lite``       ``milvus-model-adapters[ja]``
           dictionary
Korean     ``kiwipiepy`` with its packaged model              ``milvus-model-adapters[ko]``
=========  =================================================  =========================

A segmenter returns the words to count; the analyzer drops those without a letter or digit
(punctuation, whitespace). Chinese gives jieba's
search-mode words (a long word and its dictionary sub-words, so that "数据库" is found by "数据").
Japanese and Korean give the dictionary forms of content words: particles, endings, auxiliaries and
symbols are left out by their part-of-speech tags, so inflected forms of one word match.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Literal

from milvus_model_adapters._deps import require
from milvus_model_adapters.text.languages import Segmentation

Segmenter = Callable[[str], list[str]]
"""Text -> words."""

# UniDic parts of speech that carry no content: particles, auxiliary verbs, symbols, blanks (and,
# below, the dependent verbs such as いる and する of "しています").
_JA_SKIPPED = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白"})
# Kiwi tags kept: nouns (N*), verb and adjective stems (VV, VA), roots (XR), adverbs (MAG), foreign
# words, numbers and hanja (SL, SN, SH).
_KO_KEPT_PREFIXES = ("N", "VV", "VA", "XR", "MAG", "SL", "SN", "SH")

_lock = threading.Lock()
_segmenters: dict[str, Segmenter] = {}


def segmenter(kind: Segmentation | Literal["zh-jieba", "ja-wakati"]) -> Segmenter:
    """The segmenter of a language, loaded once per process.

    ``"zh-jieba"`` and ``"ja-wakati"`` are pymilvus-model's segmentations: jieba's default mode (by
    jieba itself) and MeCab's ``-Owakati`` output, every token kept (punctuation too).

    Raises:
        MissingDependencyError: If its extra is not installed (the message names the extra).
    """
    with _lock:
        if kind not in _segmenters:
            _segmenters[kind] = _LOADERS[kind]()
        return _segmenters[kind]


def _has_word_character(token: str) -> bool:
    return any(c.isalnum() for c in token)


def _chinese() -> Segmenter:
    require("rjieba", extra="zh", purpose="Chinese word segmentation")
    import rjieba

    def segment(text: str) -> list[str]:
        words: list[str] = rjieba.cut_for_search(text, True)
        return words

    return segment


def _mecab(*, wakati: bool) -> Any:
    """A MeCab tagger over the unidic-lite dictionary: fugashi's UniDic tagger, or plain ``-Owakati`` output."""
    require("fugashi", extra="ja", purpose="Japanese word segmentation")
    require("unidic_lite", extra="ja", purpose="Japanese word segmentation (its dictionary)")
    import fugashi
    import unidic_lite

    dictionary = f'-r "{unidic_lite.DICDIR}/mecabrc" -d "{unidic_lite.DICDIR}"'
    return fugashi.GenericTagger(f"-Owakati {dictionary}") if wakati else fugashi.Tagger(dictionary)


def _japanese() -> Segmenter:
    tagger = _mecab(wakati=False)
    lock = threading.Lock()  # a MeCab tagger is not safe to share between threads

    def segment(text: str) -> list[str]:
        with lock:
            words = [(w.surface, w.feature.pos1, w.feature.pos2, w.feature.orthBase) for w in tagger(text)]
        return [
            base or surface
            for surface, pos, sub, base in words
            if pos not in _JA_SKIPPED and sub != "非自立可能" and _has_word_character(surface)
        ]

    return segment


def _chinese_jieba() -> Segmenter:
    # jieba itself, as pymilvus-model: rjieba keeps Latin words such as "high-speed" and "e.g" whole.
    require("jieba", package="jieba", purpose="pymilvus-model's Chinese analysis")
    import jieba

    def segment(text: str) -> list[str]:
        words: list[str] = jieba.lcut(text)
        return words

    return segment


def _japanese_wakati() -> Segmenter:
    tagger = _mecab(wakati=True)
    lock = threading.Lock()

    def segment(text: str) -> list[str]:
        with lock:
            parsed: str = tagger.parse(text)
        return parsed.split()

    return segment


def _korean() -> Segmenter:
    require("kiwipiepy", extra="ko", purpose="Korean word segmentation")
    from kiwipiepy import Kiwi

    kiwi: Any = Kiwi()

    def segment(text: str) -> list[str]:
        return [t.form for t in kiwi.tokenize(text) if t.tag.startswith(_KO_KEPT_PREFIXES)]

    return segment


_LOADERS: dict[str, Callable[[], Segmenter]] = {
    "zh": _chinese,
    "ja": _japanese,
    "ko": _korean,
    "zh-jieba": _chinese_jieba,
    "ja-wakati": _japanese_wakati,
}
