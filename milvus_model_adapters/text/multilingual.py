"""One BM25 collection over documents in several languages.

A ``MultilingualAnalyzer`` analyses each document with the analyzer of its own language and
puts every term in one shared vocabulary: a German document's terms are German stems, an English
one's English stems, a Chinese one's jieba words. A document's language comes from its metadata
(``metadata_key``), else it is ``default``; with ``default="auto"`` it is identified (the ``detect``
extra, ``py3langid``, choosing among the analyzer's languages).

A query is analysed in its identified language when ``default="auto"`` and the identification is
sure (probability at least ``SURE``). Otherwise it is analysed in every language and the terms are
pooled, each once: its German stems meet the German documents, its English stems the English ones.

The configuration is saved with the collection's BM25 settings, so a reopened store analyses new
documents and queries the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from milvus_model_adapters._deps import require
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.text.analyzer import Analyzer, TextAnalyzer
from milvus_model_adapters.text.languages import language_of

SURE = 0.9
"""Least probability of an identified query language for the query to be analysed in it alone."""

AUTO = "auto"
"""The ``default`` that identifies each document's and query's language."""

CONFIG_TYPE = "milvus_model_adapters.MultilingualAnalyzer"


class MultilingualAnalyzer:
    """Analyzers for several languages over one vocabulary, chosen per document.

    Examples:
        >>> analyzer = MultilingualAnalyzer(["en", "de"])
        >>> analyzer.analyze_documents(["The houses", "Die Häuser"], ["en", "de"])
        [['hous'], ['haus']]
        >>> analyzer.analyze_queries(["Häuser"])
        [['häuser', 'haus']]
        >>> MultilingualAnalyzer(["en", "de"], default="auto")("Die Häuser wurden gebaut")
        ['haus', 'wurd', 'gebaut']
    """

    def __init__(
        self,
        languages: Sequence[str | Analyzer],
        *,
        default: str | None = None,
        metadata_key: str | None = "language",
    ) -> None:
        """Build the analyzers.

        Args:
            languages: Language codes or names (``"en"``, ``"german"``), or analyzers of distinct languages.
            default: Language of a document whose metadata gives none (default: the first), or
                ``"auto"`` to identify it, and the language of queries (needs the ``detect`` extra).
            metadata_key: Metadata key holding a document's language code or name (``None``: not read).

        Raises:
            InvalidInputError: On no languages, a language given twice, or an unknown language.
            InvalidTypeError: On a language that is neither a string nor an ``Analyzer``.
            MissingDependencyError: If ``default`` is ``"auto"`` and ``py3langid`` is not installed.
        """
        if isinstance(languages, str) or not isinstance(languages, Sequence) or not languages:
            raise InvalidInputError("languages must be a non-empty list of language codes, names or analyzers")
        analyzers: dict[str, Analyzer] = {}
        for item in languages:
            if isinstance(item, str):
                analyzer = Analyzer(item)
            elif isinstance(item, Analyzer):
                analyzer = item
            else:
                raise InvalidTypeError(f"a language must be a string or an Analyzer, got {type(item).__name__}")
            if analyzer.language in analyzers:
                raise InvalidInputError(f"language {analyzer.language!r} is given twice")
            analyzers[analyzer.language] = analyzer
        self.analyzers = analyzers
        self.detect = default == AUTO
        if default is None:
            default = next(iter(analyzers))
        self.default = default if self.detect else language_of(default).name
        if not self.detect and self.default not in analyzers:
            raise InvalidInputError(f"default language {self.default!r} is not one of {list(analyzers)}")
        if metadata_key is not None and not isinstance(metadata_key, str):
            raise InvalidTypeError(f"metadata_key must be a string or None, got {type(metadata_key).__name__}")
        self.metadata_key = metadata_key
        self._identifier = _identifier(tuple(language_of(name).code for name in analyzers)) if self.detect else None

    @property
    def languages(self) -> list[str]:
        """The languages, by English name."""
        return list(self.analyzers)

    def __call__(self, text: str) -> list[str]:
        """The terms of one document whose language is not given."""
        return self.analyze_documents([text])[0]

    def document_languages(self, metadatas: Iterable[Mapping[str, Any] | None]) -> list[str | None]:
        """The language each document's metadata gives (``None`` where it gives none).

        Raises:
            InvalidInputError: If a metadata value is not one of the analyzer's languages.
        """
        key = self.metadata_key
        if key is None:
            return [None for _ in metadatas]
        out: list[str | None] = []
        for metadata in metadatas:
            value = metadata.get(key) if metadata else None
            out.append(None if value is None else self._known(value))
        return out

    def analyze_documents(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[list[str]]:
        """Terms of each document, in its given language, else its identified one, else the default.

        Raises:
            InvalidInputError: If ``languages`` does not have one entry per text, or names another language.
        """
        if languages is None:
            languages = [None] * len(texts)
        elif len(languages) != len(texts):
            raise InvalidInputError(f"got {len(languages)} languages for {len(texts)} texts")
        chosen = [
            self._known(given) if given is not None else self._identify(text) or self.default
            for text, given in zip(texts, languages, strict=True)
        ]
        out: list[list[str]] = [[] for _ in texts]
        for name, analyzer in self.analyzers.items():
            positions = [i for i, c in enumerate(chosen) if c == name]
            if positions:
                for i, terms in zip(positions, analyzer.analyze_many([texts[i] for i in positions]), strict=True):
                    out[i] = terms
        return out

    def analyze_queries(self, texts: Sequence[str]) -> list[list[str]]:
        """Terms of each query: in its language when identified surely, else pooled from every language."""
        out: list[list[str]] = []
        for text in texts:
            sure = self._identify(text, least=SURE)
            names = [sure] if sure is not None else list(self.analyzers)
            pooled = [term for name in names for term in self.analyzers[name](text)]
            out.append(list(dict.fromkeys(pooled)))
        return out

    def _known(self, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidInputError(f"a document's language must be a string, got {type(value).__name__}")
        name = language_of(value).name
        if name not in self.analyzers:
            raise InvalidInputError(f"document language {value!r} is not one of the store's languages {self.languages}")
        return name

    def _identify(self, text: str, *, least: float = 0.0) -> str | None:
        if self._identifier is None:
            return None
        code, probability = self._identifier.classify(text)
        return language_of(code).name if probability >= least else None

    def config(self) -> dict[str, Any]:
        """The settings as JSON data (saved with the collection's BM25 settings)."""
        return {
            "type": CONFIG_TYPE,
            "languages": [analyzer.config() for analyzer in self.analyzers.values()],
            "default": self.default,
            "metadata_key": self.metadata_key,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MultilingualAnalyzer:
        """Rebuild an analyzer from ``config`` output."""
        if not isinstance(config, dict) or config.get("type") != CONFIG_TYPE:
            raise InvalidInputError(f"not a multilingual analyzer configuration: {config!r}")
        return cls(
            [Analyzer.from_config(c) for c in config["languages"]],
            default=config.get("default"),
            metadata_key=config.get("metadata_key"),
        )

    def __repr__(self) -> str:
        return f"MultilingualAnalyzer({self.languages}, default={self.default!r})"


def reads_languages(analyzer: Any) -> bool:
    """Whether ``analyzer`` takes each document's language from its metadata."""
    return isinstance(analyzer, MultilingualAnalyzer) and analyzer.metadata_key is not None


def document_languages(analyzer: Any, metadatas: Iterable[Mapping[str, Any] | None]) -> list[str | None] | None:
    """The languages that documents' metadata gives to ``analyzer``; ``None`` if it takes none.

    Raises:
        InvalidInputError: If a metadata value is not one of the analyzer's languages.
    """
    return analyzer.document_languages(metadatas) if reads_languages(analyzer) else None


def analyzer_from_config(config: dict[str, Any]) -> TextAnalyzer:
    """Rebuild any of this package's analyzers from its saved configuration.

    Raises:
        InvalidInputError: If the configuration is of no known kind.
    """
    kind = config.get("type") if isinstance(config, dict) else None
    if kind == CONFIG_TYPE:
        return MultilingualAnalyzer.from_config(config)
    if kind == "milvus_model_adapters.PymilvusAnalyzer":
        from milvus_model_adapters.text.pymilvus_analysis import PymilvusAnalyzer

        return PymilvusAnalyzer.from_config(config)
    return Analyzer.from_config(config)


_identifiers: dict[tuple[str, ...], Any] = {}
_identifiers_lock = threading.Lock()


def _identifier(codes: tuple[str, ...]) -> Any:
    """py3langid's identifier restricted to ``codes``, loaded once per process and set of languages."""
    require("py3langid", extra="detect", purpose="language identification")
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    with _identifiers_lock:
        if codes not in _identifiers:
            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            unknown = sorted(set(codes).difference(identifier.nb_classes))
            if unknown:
                raise InvalidInputError(f"language identification does not know {unknown}; give them in metadata")
            identifier.set_languages(list(codes))
            _identifiers[codes] = identifier
        return _identifiers[codes]
