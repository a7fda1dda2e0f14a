"""BM25 parameter files: pymilvus-model's JSON format, both ways.

pymilvus-model's ``BM25EmbeddingFunction.save`` writes ``corpus_size``, ``avgdl``, ``idf_word``,
``idf_value``, ``k1``, ``b`` and ``epsilon``. ``to_json`` writes the same fields, so the file
loads in pymilvus-model, plus what makes the statistics updatable here (``df``, ``total_length``),
the IDF formula and the analyzer settings. ``from_json`` reads either kind of file into a
``BM25Params`` and refuses inconsistent ones with
``ParamsFileError``; the encoder builds itself from it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from milvus_model_adapters.bm25.settings import BM25Settings
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, NotFittedError, ParamsFileError
from milvus_model_adapters.text.analyzer import TextAnalyzer

_REQUIRED_FIELDS = ("corpus_size", "avgdl", "idf_word", "idf_value", "k1", "b", "epsilon")


@dataclass(frozen=True)
class BM25Params:
    """What a parameters file holds: the settings, the vocabulary and the statistics.

    Attributes:
        settings: k1, b, epsilon, IDF formula and analyzer.
        words: The vocabulary, in term-index order.
        idf: IDF by term index, as saved.
        corpus_size: Number of documents.
        avgdl: Average document length.
        document_frequencies: Documents holding each term; ``None`` for a file without them
            (pymilvus-model's), whose IDF values are used as they are and cannot grow.
        total_length: Terms in the whole corpus (with ``document_frequencies``).
    """

    settings: BM25Settings
    words: list[str]
    idf: npt.NDArray[np.float64]
    corpus_size: int
    avgdl: float
    document_frequencies: npt.NDArray[np.int64] | None = None
    total_length: float = 0.0


def to_json(params: BM25Params) -> dict[str, Any]:
    """pymilvus-model's JSON structure, plus frequencies, the IDF formula and the analyzer settings."""
    settings = params.settings.to_json()
    out: dict[str, Any] = {
        "version": "v1",
        "corpus_size": params.corpus_size,
        "avgdl": params.avgdl,
        "idf_word": list(params.words),
        "idf_value": params.idf.tolist(),
        "k1": settings["k1"],
        "b": settings["b"],
        "epsilon": settings["epsilon"],
        "idf": settings["idf"],
    }
    if params.document_frequencies is not None:
        out["df"] = params.document_frequencies.tolist()
        out["total_length"] = params.total_length
    if settings["analyzer"] is not None:
        out["analyzer"] = settings["analyzer"]
    return out


def write(path: str | os.PathLike[str], data: dict[str, Any]) -> None:
    """Write ``data`` as JSON, atomically (a reader sees the old file or the new one)."""
    target = Path(path)
    text = json.dumps(data)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: str | os.PathLike[str]) -> Any:
    """The JSON value of a parameters file.

    Raises:
        ParamsFileError: If the file is missing, unreadable or not JSON.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ParamsFileError(f"BM25 parameters file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsFileError(f"cannot read BM25 parameters file {path}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParamsFileError(f"BM25 parameters file {path} is not valid JSON: {exc}") from exc
    except RecursionError:
        raise ParamsFileError(f"BM25 parameters file {path} is nested too deeply to be a parameters file") from None


def from_json(data: Any, *, analyzer: TextAnalyzer | None = None, source: str = "parameters") -> BM25Params:
    """Check what ``to_json`` (or pymilvus-model) wrote and read it.

    Args:
        data: The JSON value.
        analyzer: The analyzer to use; by default the one the file records, or pymilvus-model's own
            English analysis (``PymilvusAnalyzer``)
            for a file that records none (pymilvus-model wrote it).
        source: What ``data`` came from, for messages.

    Raises:
        ParamsFileError: If a field is missing, of the wrong type or inconsistent with the others.
    """
    if not isinstance(data, dict):
        raise ParamsFileError(f"{source}: expected a JSON object, got {type(data).__name__}")
    missing = [f for f in _REQUIRED_FIELDS if f not in data]
    if missing:
        raise ParamsFileError(f"{source}: missing field(s) {', '.join(missing)}")
    words, values = data["idf_word"], data["idf_value"]
    if not isinstance(words, list) or not isinstance(values, list) or len(words) != len(values):
        raise ParamsFileError(f"{source}: idf_word and idf_value must be lists of the same length")
    if not all(isinstance(w, str) for w in words) or len(set(words)) != len(words):
        raise ParamsFileError(f"{source}: idf_word must hold distinct strings")
    try:
        idf = np.asarray(values, dtype=np.float64)
        corpus_size = _whole(data["corpus_size"])
        avgdl = float(data["avgdl"])
        for name in ("k1", "b", "epsilon"):
            float(data[name])
    except (TypeError, ValueError, OverflowError) as exc:
        raise ParamsFileError(f"{source}: a numeric field has a non-numeric value ({exc})") from None
    if corpus_size < 0 or not math.isfinite(avgdl) or avgdl < 0 or idf.ndim != 1 or not np.isfinite(idf).all():
        raise ParamsFileError(f"{source}: corpus_size, avgdl and idf values must be finite and >= 0")
    try:
        settings = BM25Settings.from_json(data, analyzer=analyzer, unrecorded_analyzer=_pymilvus_english)
    except (InvalidInputError, InvalidTypeError) as exc:
        raise ParamsFileError(f"{source}: {exc}") from None
    if data.get("df") is None or "total_length" not in data:
        return BM25Params(settings, words, idf, corpus_size, avgdl)
    try:
        frequencies = np.asarray(data["df"], dtype=np.int64)
        total_length = float(data["total_length"])
    except (TypeError, ValueError, OverflowError) as exc:
        raise ParamsFileError(f"{source}: df must be a list of whole numbers ({exc})") from None
    if frequencies.ndim != 1 or len(frequencies) != len(words):
        raise ParamsFileError(f"{source}: df must have one count per word of idf_word")
    if (frequencies < 0).any():
        raise ParamsFileError(f"{source}: inconsistent BM25 statistics (a negative document frequency)")
    if (frequencies > corpus_size).any():
        raise ParamsFileError(f"{source}: a document frequency exceeds corpus_size ({corpus_size})")
    if not math.isfinite(total_length) or total_length < 0:
        raise ParamsFileError(f"{source}: total_length must be finite and >= 0")
    return BM25Params(settings, words, idf, corpus_size, avgdl, frequencies, total_length)


def from_pymilvus(function: Any) -> BM25Params:
    """The parameters of a fitted or loaded pymilvus-model ``BM25EmbeddingFunction``, its analyzer included.

    Raises:
        InvalidTypeError: If ``function`` is not one.
        NotFittedError: If it has no statistics yet.
    """
    if not all(hasattr(function, a) for a in ("idf", "avgdl", "corpus_size", "analyzer")):
        raise InvalidTypeError(f"{type(function).__name__} is not a pymilvus-model BM25EmbeddingFunction")
    if not function.idf:
        raise NotFittedError("the BM25EmbeddingFunction is not fitted: call fit() or load() on it first")
    order = sorted(function.idf.items(), key=lambda item: item[1][1])
    data = {
        "corpus_size": function.corpus_size,
        "avgdl": function.avgdl,
        "idf_word": [w for w, _ in order],
        "idf_value": [float(v[0]) for _, v in order],
        "k1": function.k1,
        "b": function.b,
        "epsilon": function.epsilon,
    }
    return from_json(data, analyzer=function.analyzer, source=type(function).__name__)


def _pymilvus_english() -> TextAnalyzer:
    from milvus_model_adapters.text.pymilvus_analysis import PymilvusAnalyzer  # loads NLTK: only when needed

    return PymilvusAnalyzer("en")


def _whole(value: Any) -> int:
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)
