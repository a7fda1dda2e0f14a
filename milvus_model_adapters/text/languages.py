"""The languages BM25 analyses: names, ISO 639-1 codes, stemmers, segmenters and stopword lists.

Every Snowball stemmer of PyStemmer is a language here, and so are Chinese, Japanese and Korean,
which are split into words by a segmenter (see ``segmenters``). A language
is named by its ISO 639-1 code or its English name: ``"de"`` and ``"german"`` are the same.

Stopword lists, all read from installed files (nothing is downloaded):

- English: the NLTK list, shipped in ``stopwords``.
- The ``stop-words`` package (BSD-3-Clause) where it has the language; these lists are close to the
  Snowball project's and drop function words only.
- The ``stopwordsiso`` package (MIT) for Armenian, Basque, Esperanto, Estonian, Irish, Lithuanian
  and Sesotho, which ``stop-words`` lacks.
- Nepali, Serbian (Cyrillic and Latin), Tamil and Yiddish: short lists of function words shipped in
  ``data/stopwords.json``, under this package's licence (Apache-2.0).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.text.stopwords import ENGLISH

StopwordSource = Literal["nltk", "stop-words", "stopwordsiso", "bundled"]
Segmentation = Literal["zh", "ja", "ko"]


@dataclass(frozen=True)
class Language:
    """One language the analyzer knows."""

    name: str
    """English name, lower case: the Snowball stemmer's name where there is one."""
    code: str
    """ISO 639-1 code."""
    stopword_source: StopwordSource
    """Where its stopwords come from (see the module documentation)."""
    segmentation: Segmentation | None = None
    """For Chinese, Japanese and Korean: the segmenter that splits text into words (no stemming)."""

    @property
    def stemmer(self) -> str | None:
        """The Snowball stemmer's name, or ``None`` for a segmented language."""
        return None if self.segmentation else self.name

    def stopwords(self) -> frozenset[str]:
        """The language's stopwords, lower case and in Unicode NFC form."""
        return _stopwords(self.name)


_TABLE: tuple[Language, ...] = (
    Language("arabic", "ar", "stop-words"),
    Language("armenian", "hy", "stopwordsiso"),
    Language("basque", "eu", "stopwordsiso"),
    Language("catalan", "ca", "stop-words"),
    Language("czech", "cs", "stop-words"),
    Language("danish", "da", "stop-words"),
    Language("dutch", "nl", "stop-words"),
    Language("english", "en", "nltk"),
    Language("esperanto", "eo", "stopwordsiso"),
    Language("estonian", "et", "stopwordsiso"),
    Language("finnish", "fi", "stop-words"),
    Language("french", "fr", "stop-words"),
    Language("german", "de", "stop-words"),
    Language("greek", "el", "stop-words"),
    Language("hindi", "hi", "stop-words"),
    Language("hungarian", "hu", "stop-words"),
    Language("indonesian", "id", "stop-words"),
    Language("irish", "ga", "stopwordsiso"),
    Language("italian", "it", "stop-words"),
    Language("lithuanian", "lt", "stopwordsiso"),
    Language("nepali", "ne", "bundled"),
    Language("norwegian", "no", "stop-words"),
    Language("persian", "fa", "stop-words"),
    Language("polish", "pl", "stop-words"),
    Language("portuguese", "pt", "stop-words"),
    Language("romanian", "ro", "stop-words"),
    Language("russian", "ru", "stop-words"),
    Language("serbian", "sr", "bundled"),
    Language("sesotho", "st", "stopwordsiso"),
    Language("spanish", "es", "stop-words"),
    Language("swedish", "sv", "stop-words"),
    Language("tamil", "ta", "bundled"),
    Language("turkish", "tr", "stop-words"),
    Language("yiddish", "yi", "bundled"),
    Language("chinese", "zh", "stop-words", "zh"),
    Language("japanese", "ja", "stop-words", "ja"),
    Language("korean", "ko", "stop-words", "ko"),
)

LANGUAGES: dict[str, Language] = {language.name: language for language in _TABLE}
"""Every language, by English name."""

_ALIASES: dict[str, str] = {
    **{language.code: language.name for language in _TABLE},
    # Other names in use: Norwegian Bokmål, pymilvus-model's "sp"/"jp"/"kr", Milvus's "cn".
    "nb": "norwegian",
    "sp": "spanish",
    "jp": "japanese",
    "kr": "korean",
    "cn": "chinese",
}


def language_of(name_or_code: str) -> Language:
    """The language named by an ISO 639-1 code or an English name (any case).

    Raises:
        InvalidTypeError: If ``name_or_code`` is not a string.
        InvalidInputError: If no language has that name or code.
    """
    if not isinstance(name_or_code, str):
        raise InvalidTypeError(f"language must be a string, got {type(name_or_code).__name__}")
    key = name_or_code.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in LANGUAGES:
        names = ", ".join(f"{lang.code} ({lang.name})" for lang in _TABLE)
        raise InvalidInputError(f"unknown language {name_or_code!r}; supported: {names}")
    return LANGUAGES[key]


def normalize(word: str) -> str:
    """Lower case and Unicode NFC, the form stopword lists and analysed words are compared in."""
    word = word.lower()
    return word if word.isascii() else unicodedata.normalize("NFC", word)


@cache
def _stopwords(name: str) -> frozenset[str]:
    lang = LANGUAGES[name]
    words: list[str]
    if lang.stopword_source == "nltk":
        return ENGLISH
    if lang.stopword_source == "stop-words":
        from stop_words import get_stop_words

        words = get_stop_words(lang.name)
    elif lang.stopword_source == "stopwordsiso":
        import stopwordsiso

        words = list(stopwordsiso.stopwords(lang.code))
    else:
        data = resources.files("milvus_model_adapters").joinpath("data", "stopwords.json").read_text("utf-8")
        words = json.loads(data)["languages"][lang.name]
    return frozenset(normalize(w) for w in words if w.strip())


MILVUS_STEMMERS = frozenset(
    (
        "arabic", "danish", "dutch", "english", "finnish", "french", "german", "greek", "hungarian", "italian",
        "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish", "tamil", "turkish",
    )
)  # fmt: skip
"""The languages of the ``stemmer`` filter of Milvus's analyzer."""


def milvus_analyzer_params(name_or_code: str) -> dict[str, Any]:
    """Milvus analyzer parameters for ``sparse="builtin"`` close to this package's analysis of a language.

    The standard tokenizer, lower case, the language's stopwords and Milvus's Snowball stemmer
    where Milvus has one (``MILVUS_STEMMERS``); jieba for Chinese. Milvus Lite 3 applies the
    stopwords but no stemmer (README, "Languages").

    Raises:
        InvalidInputError: For an unknown language, or Japanese and Korean, which Milvus Lite cannot segment.
    """
    lang = language_of(name_or_code)
    stop = {"type": "stop", "stop_words": sorted(lang.stopwords())}
    if lang.segmentation == "zh":
        return {"tokenizer": "jieba", "filter": [stop]}
    if lang.segmentation is not None:
        raise InvalidInputError(
            f"Milvus Lite has no {lang.name.capitalize()} tokenizer; use client-side BM25: "
            f'sparse="bm25", analyzer=Analyzer("{lang.code}")'
        )
    filters: list[Any] = ["lowercase", stop]
    if lang.name in MILVUS_STEMMERS:
        filters.append({"type": "stemmer", "language": lang.name})
    return {"tokenizer": "standard", "filter": filters}
