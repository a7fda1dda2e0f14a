"""BM25's settings as one value, and the one codec that writes and reads them as JSON.

Everything but the corpus statistics that decides a BM25 vector: ``k1``, ``b``, ``epsilon``, the IDF
formula and the analyzer. Parameter files (``params``) and the
statistics a store keeps in its database both hold them in the form ``BM25Settings.to_json`` writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from milvus_model_adapters.bm25.idf import IDF_FORMULAS, IdfFormula
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.text.analyzer import Analyzer, TextAnalyzer
from milvus_model_adapters.text.multilingual import analyzer_from_config


@dataclass(frozen=True)
class BM25Settings:
    """The settings of a BM25 encoder, checked on construction.

    Attributes:
        analyzer: Turns a text into terms (any callable ``str -> list[str]``).
        k1: Term-frequency saturation, ``>= 0``.
        b: Strength of document-length normalisation, in ``[0, 1]``.
        epsilon: Floor for negative IDF values, as a fraction of the average IDF (``okapi`` only).
        idf: The IDF formula (see ``IDF_FORMULAS``).
    """

    analyzer: TextAnalyzer = field(default_factory=Analyzer)
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25
    idf: IdfFormula = "okapi"

    def __post_init__(self) -> None:
        if not callable(self.analyzer):
            raise InvalidTypeError(f"analyzer must be callable, got {type(self.analyzer).__name__}")
        if isinstance(self.k1, bool) or not (isinstance(self.k1, int | float) and self.k1 >= 0):
            raise InvalidInputError(f"k1 must be a number >= 0, got {self.k1!r}")
        if isinstance(self.b, bool) or not (isinstance(self.b, int | float) and 0 <= self.b <= 1):
            raise InvalidInputError(f"b must be in [0, 1], got {self.b!r}")
        if isinstance(self.epsilon, bool) or not isinstance(self.epsilon, int | float):
            raise InvalidInputError(f"epsilon must be a number, got {self.epsilon!r}")
        if self.idf not in IDF_FORMULAS:
            raise InvalidInputError(f"unknown idf formula {self.idf!r}; use one of {', '.join(IDF_FORMULAS)}")
        for name in ("k1", "b", "epsilon"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def to_json(self) -> dict[str, Any]:
        """``k1``, ``b``, ``epsilon``, ``idf`` and ``analyzer`` (its configuration, or ``None`` for a custom one)."""
        config = getattr(self.analyzer, "config", None)
        return {
            "k1": self.k1,
            "b": self.b,
            "epsilon": self.epsilon,
            "idf": self.idf,
            "analyzer": config() if callable(config) else None,
        }

    @classmethod
    def from_json(
        cls,
        data: Mapping[str, Any],
        *,
        analyzer: TextAnalyzer | None = None,
        unrecorded_analyzer: Callable[[], TextAnalyzer] = Analyzer,
    ) -> BM25Settings:
        """Read what ``to_json`` wrote.

        Args:
            data: The JSON object; ``k1``, ``b`` and ``epsilon`` are required, a missing ``idf`` is
                ``okapi`` (written before the setting existed, with pymilvus-model's formula).
            analyzer: The analyzer to use whatever ``data`` records.
            unrecorded_analyzer: Makes the analyzer when ``data`` records none.

        Raises:
            InvalidInputError: If a setting is missing or invalid.
        """
        if not isinstance(data, Mapping):
            raise InvalidInputError(f"BM25 settings must be a JSON object, got {type(data).__name__}")
        missing = [name for name in ("k1", "b", "epsilon") if name not in data]
        if missing:
            raise InvalidInputError(f"BM25 settings lack {', '.join(missing)}")
        if analyzer is None:
            config = data.get("analyzer")
            try:
                analyzer = analyzer_from_config(config) if isinstance(config, dict) else unrecorded_analyzer()
            except InvalidTypeError as exc:
                raise InvalidInputError(f"bad analyzer settings ({exc})") from None
        try:
            k1, b, epsilon = float(data["k1"]), float(data["b"]), float(data["epsilon"])
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidInputError(f"a BM25 setting is not a number ({exc})") from None
        try:
            return cls(analyzer, k1=k1, b=b, epsilon=epsilon, idf=data.get("idf") or "okapi")
        except InvalidTypeError as exc:
            raise InvalidInputError(str(exc)) from None
