"""BM25 parameter files: pymilvus-model's JSON format, both ways.

pymilvus-model's ``BM25EmbeddingFunction.save`` writes ``corpus_size``, ``avgdl``, ``idf_word``,
``idf_value``, ``k1``, ``b`` and ``epsilon``. :func:`to_params` writes the same fields, so the file
loads in pymilvus-model, plus what makes the statistics updatable here (``df``, ``total_length``),
the IDF formula and the analyzer settings. :func:`from_params` reads either kind of file and refuses
inconsistent ones with :class:`~milvus_model_adapters.errors.ParamsFileError`.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from milvus_model_adapters.analyzer import TextAnalyzer
from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError, NotFittedError, ParamsFileError
from milvus_model_adapters.multilingual import analyzer_from_config

if TYPE_CHECKING:
    from milvus_model_adapters.bm25 import BM25Encoder

_REQUIRED_FIELDS = ("corpus_size", "avgdl", "idf_word", "idf_value", "k1", "b", "epsilon")


def to_params(encoder: BM25Encoder) -> dict[str, Any]:
    """The encoder's parameters as pymilvus-model's JSON structure, plus frequencies, IDF formula and analyzer."""
    words = list(encoder.vocabulary)
    params: dict[str, Any] = {
        "version": "v1",
        "corpus_size": encoder.corpus_size,
        "avgdl": encoder.avgdl,
        "idf_word": words,
        "idf_value": encoder.idf().tolist(),
        "k1": encoder.k1,
        "b": encoder.b,
        "epsilon": encoder.epsilon,
        "idf": encoder.idf_formula,
    }
    if encoder.can_update:
        params["df"] = encoder.document_frequencies.tolist()
        params["total_length"] = encoder.total_length
    config = getattr(encoder.analyzer, "config", None)
    if callable(config):
        params["analyzer"] = config()
    return params


def save(encoder: BM25Encoder, path: str | os.PathLike[str]) -> None:
    """Write the parameters as JSON, atomically (a reader sees the old file or the new one)."""
    target = Path(path)
    data = json.dumps(to_params(encoder))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | os.PathLike[str], *, analyzer: TextAnalyzer | None = None) -> BM25Encoder:
    """Read a file written by :func:`save` or by pymilvus-model's ``BM25EmbeddingFunction.save``.

    Raises:
        ParamsFileError: If the file is missing, unreadable, not JSON, or its content is inconsistent.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ParamsFileError(f"BM25 parameters file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsFileError(f"cannot read BM25 parameters file {path}: {exc}") from exc
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParamsFileError(f"BM25 parameters file {path} is not valid JSON: {exc}") from exc
    except RecursionError:
        raise ParamsFileError(f"BM25 parameters file {path} is nested too deeply to be a parameters file") from None
    return from_params(params, analyzer=analyzer, source=str(path))


def from_params(params: Any, *, analyzer: TextAnalyzer | None = None, source: str = "parameters") -> BM25Encoder:
    """Build an encoder from the structure :func:`to_params` returns (or pymilvus-model's)."""
    from milvus_model_adapters.bm25 import BM25Encoder
    from milvus_model_adapters.bm25_idf import IDF_FORMULAS

    if not isinstance(params, dict):
        raise ParamsFileError(f"{source}: expected a JSON object, got {type(params).__name__}")
    missing = [f for f in _REQUIRED_FIELDS if f not in params]
    if missing:
        raise ParamsFileError(f"{source}: missing field(s) {', '.join(missing)}")
    words, values = params["idf_word"], params["idf_value"]
    if not isinstance(words, list) or not isinstance(values, list) or len(words) != len(values):
        raise ParamsFileError(f"{source}: idf_word and idf_value must be lists of the same length")
    if not all(isinstance(w, str) for w in words) or len(set(words)) != len(words):
        raise ParamsFileError(f"{source}: idf_word must hold distinct strings")
    try:
        idf = np.asarray(values, dtype=np.float64)
        corpus_size = _whole(params["corpus_size"])
        avgdl = float(params["avgdl"])
        k1, b, epsilon = float(params["k1"]), float(params["b"]), float(params["epsilon"])
    except (TypeError, ValueError, OverflowError) as exc:
        raise ParamsFileError(f"{source}: a numeric field has a non-numeric value ({exc})") from None
    if corpus_size < 0 or not math.isfinite(avgdl) or avgdl < 0 or idf.ndim != 1 or not np.isfinite(idf).all():
        raise ParamsFileError(f"{source}: corpus_size, avgdl and idf values must be finite and >= 0")
    formula = params.get("idf", "okapi")
    if formula not in IDF_FORMULAS:
        raise ParamsFileError(f"{source}: unknown idf formula {formula!r}; known: {', '.join(IDF_FORMULAS)}")
    if analyzer is None and isinstance(params.get("analyzer"), dict):
        try:
            analyzer = analyzer_from_config(params["analyzer"])
        except (InvalidInputError, InvalidTypeError) as exc:
            raise ParamsFileError(f"{source}: bad analyzer settings ({exc})") from None
    elif analyzer is None:
        # No analyzer recorded: pymilvus-model wrote the file, with its default English analysis.
        from milvus_model_adapters.pymilvus_analysis import PymilvusAnalyzer

        analyzer = PymilvusAnalyzer("en")
    try:
        encoder = BM25Encoder(analyzer, k1=k1, b=b, epsilon=epsilon, idf=formula)
    except (InvalidInputError, InvalidTypeError) as exc:
        raise ParamsFileError(f"{source}: {exc}") from None
    df = params.get("df")
    if df is None or "total_length" not in params:
        # A pymilvus-model file: IDF values as saved, statistics that cannot grow.
        encoder.set_frozen_idf(words, idf, corpus_size, avgdl)
        return encoder
    try:
        frequencies = np.asarray(df, dtype=np.int64)
        total_length = float(params["total_length"])
    except (TypeError, ValueError, OverflowError) as exc:
        raise ParamsFileError(f"{source}: df must be a list of whole numbers ({exc})") from None
    if frequencies.ndim != 1 or len(frequencies) != len(words):
        raise ParamsFileError(f"{source}: df must have one count per word of idf_word")
    if (frequencies > corpus_size).any():
        raise ParamsFileError(f"{source}: a document frequency exceeds corpus_size ({corpus_size})")
    if not math.isfinite(total_length):
        raise ParamsFileError(f"{source}: total_length must be finite")
    try:
        encoder.set_statistics(words, frequencies, corpus_size, total_length)
    except InvalidInputError as exc:
        raise ParamsFileError(f"{source}: {exc}") from None
    return encoder


def from_pymilvus(function: Any) -> BM25Encoder:
    """Take over a fitted or loaded pymilvus-model ``BM25EmbeddingFunction``, analyzer included."""
    if not all(hasattr(function, a) for a in ("idf", "avgdl", "corpus_size", "analyzer")):
        raise InvalidTypeError(f"{type(function).__name__} is not a pymilvus-model BM25EmbeddingFunction")
    if not function.idf:
        raise NotFittedError("the BM25EmbeddingFunction is not fitted: call fit() or load() on it first")
    order = sorted(function.idf.items(), key=lambda item: item[1][1])
    params = {
        "corpus_size": function.corpus_size,
        "avgdl": function.avgdl,
        "idf_word": [w for w, _ in order],
        "idf_value": [float(v[0]) for _, v in order],
        "k1": function.k1,
        "b": function.b,
        "epsilon": function.epsilon,
    }
    return from_params(params, analyzer=function.analyzer, source=type(function).__name__)


def _whole(value: Any) -> int:
    number = float(value)
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)
