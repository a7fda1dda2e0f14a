"""Text analysis for BM25: tokenizer, lowercasing, stopwords and a Snowball stemmer, all offline.

The default ``Analyzer`` is English and needs no NLTK data: its stopwords ship with the package
and its stemmer is the Snowball stemmer compiled in PyStemmer. Every other Snowball language and
Chinese, Japanese and Korean are one argument away (``Analyzer("de")``, ``Analyzer("zh")``; see
``languages``). Any callable ``str -> list[str]`` can be used instead,
see ``BM25Encoder``.

Words are runs of Unicode letters, digits and combining marks (so Hindi, Tamil or decomposed
accents stay whole) of two characters or more, in Unicode NFC form. Apostrophes and hyphens split
words: French "l'avion" gives "avion" and "e-mail" gives "mail", so hyphenated compounds are found
by their parts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import regex

from milvus_model_adapters._deps import require
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.text.languages import Language, language_of, normalize
from milvus_model_adapters.text.segmenters import Segmenter, segmenter

TextAnalyzer = Callable[[str], list[str]]
"""Any function that turns a text into the list of terms BM25 counts."""

DEFAULT_TOKEN_PATTERN = r"(?u)\b\w\w+\b"
"""Words of two or more letters or digits; the pattern of scikit-learn and bm25s.

Patterns are compiled with the ``regex`` module, whose ``\\w`` also takes combining marks."""

SEPARATOR = "\x01"
"""Marks the end of a text in ``Analyzer.flat_words``; never part of a word."""

_SPACED_SEPARATOR = f" {SEPARATOR} "

# Every ASCII byte that is not a word character (``\w``) nor the separator becomes a space; _UTF8_SPLIT
# keeps the bytes of non-ASCII characters.
_ASCII_SPLIT = bytes(
    c if c < 128 and (chr(c).isalnum() or chr(c) == "_" or chr(c) == SEPARATOR) else ord(" ") for c in range(256)
)
_UTF8_SPLIT = bytes(c if c >= 128 else _ASCII_SPLIT[c] for c in range(256))
_WORD = regex.compile(r"\w+")


class Analyzer:
    """Tokenize, lowercase, drop stopwords and stem (or segment, for Chinese, Japanese and Korean), offline.

    Stems are cached per distinct word, so analysing a large corpus costs one regular-expression
    pass per text and one stemmer call per new word.

    Examples:
        >>> Analyzer()("The engines were running")
        ['engin', 'run']
        >>> Analyzer("de")("Die Häuser wurden gebaut")
        ['haus', 'gebaut']
    """

    def __init__(
        self,
        language: str = "english",
        *,
        stopwords: Iterable[str] | None = None,
        stem: bool = True,
        lowercase: bool = True,
        token_pattern: str = DEFAULT_TOKEN_PATTERN,
    ) -> None:
        """Build an analyzer.

        Args:
            language: ISO 639-1 code or English name (``"de"``, ``"german"``): every Snowball
                language of PyStemmer, and Chinese, Japanese and Korean through their extras (see
                ``languages``). Any other PyStemmer algorithm
                (``"porter"``) is a stemmer without stopwords.
            stopwords: Words to drop, replacing the language's list; ``[]`` keeps every word.
            stem: Whether to stem (Chinese, Japanese and Korean are not stemmed).
            lowercase: Whether to lowercase before matching stopwords.
            token_pattern: Regular expression whose matches are the tokens (not used for Chinese,
                Japanese and Korean, whose segmenter finds the words).

        Raises:
            InvalidInputError: If the language is unknown or the pattern does not compile.
            MissingDependencyError: If the language's segmenter is not installed (naming its extra).
        """
        info = _language_or_stemmer(language)
        self.language = info.name
        self.stem = stem
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self._default_stopwords = info.stopwords() if info.code else frozenset()
        if stopwords is None:
            self.stopwords = self._default_stopwords
        elif isinstance(stopwords, str):
            raise InvalidTypeError("stopwords must be an iterable of words, not a string")
        else:
            self.stopwords = frozenset(normalize(w) if lowercase else w for w in stopwords)
        try:
            self._pattern = regex.compile(token_pattern)
        except regex.error as exc:
            raise InvalidInputError(f"token_pattern does not compile: {exc}") from exc
        self._segment: Segmenter | None = segmenter(info.segmentation) if info.segmentation else None
        # The default pattern finds words of two characters or more; a one-character word (from the
        # ASCII fast path of flat_words) is not a term.
        self._min_length = 2 if token_pattern == DEFAULT_TOKEN_PATTERN and self._segment is None else 1
        self._stemmer: Any = None
        if stem and info.stemmer is not None:
            require("Stemmer", package="PyStemmer", purpose="BM25 stemming")
            import Stemmer

            self._stemmer = Stemmer.Stemmer(info.stemmer)
        self._cache: dict[str, str | None] = {}

    def __call__(self, text: str) -> list[str]:
        """Return the terms of ``text``."""
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: Sequence[str]) -> list[list[str]]:
        """Return the terms of each text; faster than calling the analyzer per text."""
        words = self.words(texts)
        cache = self._cache
        self.learn(w for ws in words for w in ws)
        out: list[list[str]] = []
        for ws in words:
            out.append([t for t in (cache[w] for w in ws) if t is not None])
        return out

    def words(self, texts: Sequence[str]) -> list[list[str]]:
        """Split each text into raw (lowercased, NFC) words, before stopwords and stemming."""
        texts = [t if t.isascii() else unicodedata.normalize("NFC", t) for t in texts]
        if self.lowercase:
            texts = [t.lower() for t in texts]
        if self._segment is not None:
            return [self._segment(t) for t in texts]
        findall = self._pattern.findall
        return [findall(t) for t in texts]

    def flat_words(self, texts: Sequence[str], *, split_mixed: bool = True) -> list[str]:
        """Raw words of all texts in one list, each text followed by ``SEPARATOR``.

        With the default token pattern this is one ``lower``, one ``translate`` and one ``split``
        over the whole batch, several times faster than a regular expression per text. The list may
        then hold words that ``term`` maps to ``None`` (one character) or to the term of their
        one word in Unicode NFC and lower case (non-ASCII words, such as "Häuser" or "„Haus“").

        Args:
            texts: The texts.
            split_mixed: Split the words that hold several words joined by a non-ASCII character
                that is no word character ("haus–garten"). A caller that passes ``False`` splits them
                itself with ``several_words`` and ``mend``.
        """
        joined = _SPACED_SEPARATOR.join(texts) + _SPACED_SEPARATOR
        if self.token_pattern == DEFAULT_TOKEN_PATTERN and self._segment is None:
            is_ascii = joined.isascii()
            data = joined.encode("ascii" if is_ascii else "utf-8")
            if self.lowercase:
                data = data.lower()  # ASCII letters; learn() lowercases the rest once per distinct word
            if is_ascii:
                return data.translate(_ASCII_SPLIT).decode("ascii").split()
            words = data.translate(_UTF8_SPLIT).decode("utf-8").split()
            return self.mend(words, self.several_words(set(words))) if split_mixed else words
        out: list[str] = []
        for ws in self.words(texts):
            out.extend(ws)
            out.append(SEPARATOR)
        return out

    def several_words(self, words: Iterable[str]) -> dict[str, list[str]]:
        """The raw words among ``words`` that hold more than one word, with those words."""
        found: dict[str, list[str]] = {}
        for word in words:
            if not word.isascii():
                runs = self._runs(word)
                if len(runs) > 1:
                    found[word] = runs
        return found

    @staticmethod
    def mend(words: list[str], several: Mapping[str, list[str]]) -> list[str]:
        """``words`` with each one of ``several`` replaced by the words it holds."""
        if not several:
            return words
        out: list[str] = []
        for word in words:
            if word in several:
                out.extend(several[word])
            else:
                out.append(word)
        return out

    def _runs(self, word: str) -> list[str]:
        """The words long enough to be terms in a raw word, in NFC and (if set) lower case."""
        word = unicodedata.normalize("NFC", word)
        if self.lowercase:
            word = word.lower()
        return [run for run in _WORD.findall(word) if len(run) >= self._min_length]

    def term(self, word: str) -> str | None:
        """The term a raw word becomes: its stem, or ``None`` for a stopword."""
        if word == SEPARATOR:
            raise InvalidInputError("the text separator is not a word")
        if word not in self._cache:
            self.learn([word])
        return self._cache[word]

    def learn(self, words: Iterable[str]) -> None:
        """Stem and cache the words not seen before, in one stemmer call."""
        cache = self._cache
        new = {w for w in words if w not in cache}
        if not new:
            return
        stop, shortest = self.stopwords, self._min_length
        # A non-ASCII raw word from flat_words is analysed as the one word it holds.
        core = {w: w if w.isascii() else "".join(self._runs(w)[:1]) for w in new}
        keep = [w for w in new if core[w] not in stop and len(core[w]) >= shortest]
        if self._segment is not None:  # segmenters keep punctuation and whitespace
            keep = [w for w in keep if any(c.isalnum() for c in core[w])]
        for w in new.difference(keep):
            cache[w] = None
        cores = [core[w] for w in keep]
        stems = self._stemmer.stemWords(cores) if self._stemmer is not None else cores
        cache.update(zip(keep, stems, strict=True))

    def config(self) -> dict[str, Any]:
        """Return the settings as JSON-serialisable data (saved with BM25 parameters)."""
        return {
            "type": "milvus_model_adapters.Analyzer",
            "language": self.language,
            "stopwords": None if self.stopwords == self._default_stopwords else sorted(self.stopwords),
            "stem": self.stem,
            "lowercase": self.lowercase,
            "token_pattern": self.token_pattern,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Analyzer:
        """Rebuild an analyzer from ``config`` output."""
        if not isinstance(config, dict) or config.get("type") != "milvus_model_adapters.Analyzer":
            raise InvalidInputError(f"not an analyzer configuration: {config!r}")
        return cls(
            config.get("language", "english"),
            stopwords=config.get("stopwords"),
            stem=bool(config.get("stem", True)),
            lowercase=bool(config.get("lowercase", True)),
            token_pattern=str(config.get("token_pattern", DEFAULT_TOKEN_PATTERN)),
        )

    def __repr__(self) -> str:
        return f"Analyzer(language={self.language!r}, stem={self.stem}, stopwords={len(self.stopwords)})"


def _language_or_stemmer(name: str) -> Language:
    """The language called ``name``, or a bare PyStemmer algorithm (``"porter"``) without stopwords."""
    try:
        return language_of(name)
    except InvalidInputError:
        require("Stemmer", package="PyStemmer", purpose="BM25 stemming")
        import Stemmer

        if name in Stemmer.algorithms():
            return Language(name, "", "bundled")
        raise
