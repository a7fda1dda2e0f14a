"""Splitting long texts into overlapping chunks on paragraph and sentence boundaries."""

from __future__ import annotations

import re

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.errors import InvalidInputError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


def chunk_text(text: str, *, max_words: int = 180, overlap: int = 30) -> list[str]:
    """Split ``text`` into chunks of at most ``max_words`` words, ``overlap`` words shared between neighbours.

    Paragraphs and sentences are kept whole where they fit; a sentence longer than ``max_words`` is
    cut by words. The default (about 180 words, some 240 tokens) fits all-MiniLM-L6-v2's 256-token window.

    Raises:
        InvalidInputError: If ``overlap`` is not smaller than ``max_words``.
    """
    max_words = check_positive_int(max_words, what="max_words")
    if overlap < 0 or overlap >= max_words:
        raise InvalidInputError(f"overlap must be in [0, max_words), got {overlap}")
    units: list[list[str]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            words = sentence.split()
            while len(words) > max_words:
                units.append(words[:max_words])
                words = words[max_words - overlap :]
            if words:
                units.append(words)
    chunks: list[str] = []
    current: list[str] = []
    for unit in units:
        if current and len(current) + len(unit) > max_words:
            chunks.append(" ".join(current))
            tail = current[-overlap:] if overlap else []
            current = tail if len(tail) + len(unit) <= max_words else []
        current = current + unit
    if current:
        chunks.append(" ".join(current))
    return chunks
