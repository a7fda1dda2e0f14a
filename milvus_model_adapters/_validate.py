"""Argument checks shared by the encoders, the store and the adapters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError


def is_embedding_function(function: Any) -> bool:
    """Whether ``function`` has callable ``encode_documents`` and ``encode_queries``, as pymilvus-model functions do."""
    return callable(getattr(function, "encode_documents", None)) and callable(getattr(function, "encode_queries", None))


def check_text(text: Any, *, what: str = "text") -> str:
    """Return ``text`` if it is a non-blank string, else raise a specific error."""
    if text is None:
        raise InvalidTypeError(f"{what} must be a string, got None")
    if not isinstance(text, str):
        raise InvalidTypeError(f"{what} must be a string, got {type(text).__name__}")
    if not text.strip():
        raise InvalidInputError(f"{what} is empty; nothing to encode")
    return text


def check_texts(texts: Any, *, what: str = "texts") -> list[str]:
    """Return ``texts`` as a list if it is a non-empty sequence of non-blank strings."""
    if texts is None:
        raise InvalidTypeError(f"{what} must be a list of strings, got None")
    if isinstance(texts, str | bytes):
        raise InvalidTypeError(f"{what} must be a list of strings, not a single string; wrap it in a list")
    if not isinstance(texts, Sequence):
        raise InvalidTypeError(f"{what} must be a list of strings, got {type(texts).__name__}")
    if len(texts) == 0:
        raise InvalidInputError(f"{what} is an empty list; nothing to encode")
    out = list(texts)
    for i, text in enumerate(out):
        check_text(text, what=f"{what}[{i}]")
    return out


def check_positive_int(value: Any, *, what: str) -> int:
    """Return ``value`` if it is an ``int`` greater than zero."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTypeError(f"{what} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise InvalidInputError(f"{what} must be > 0, got {value}")
    return value
