"""Splitting long texts into overlapping chunks on paragraph and sentence boundaries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.errors import InvalidInputError

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])")


class Span(NamedTuple):
    """A chunk and the first and last segments (pages, counted from 0) its words come from."""

    text: str
    first: int
    last: int


def chunk_text(text: str, *, max_words: int = 180, overlap: int = 30) -> list[str]:
    """Split ``text`` into chunks of at most ``max_words`` words, ``overlap`` words shared between neighbours.

    Paragraphs and sentences are kept whole where they fit; a sentence longer than ``max_words`` is
    cut by words. The default (about 180 words, some 240 tokens) fits all-MiniLM-L6-v2's 256-token window.

    Raises:
        InvalidInputError: If ``overlap`` is not smaller than ``max_words``.
    """
    return [span.text for span in chunk_spans([text], max_words=max_words, overlap=overlap)]


def chunk_spans(segments: Sequence[str], *, max_words: int = 180, overlap: int = 30) -> list[Span]:
    """Chunk the text of consecutive segments (a PDF's pages) as one text, and say where each chunk comes from.

    A chunk may run across a segment's end (a paragraph that goes on over the page); its span then
    covers both segments. A sentence never runs across one. One segment chunks as ``chunk_text``.

    Raises:
        InvalidInputError: If ``overlap`` is not smaller than ``max_words``.
    """
    max_words = check_positive_int(max_words, what="max_words")
    if overlap < 0 or overlap >= max_words:
        raise InvalidInputError(f"overlap must be in [0, max_words), got {overlap}")
    spans: list[Span] = []
    current: list[str] = []
    where: list[int] = []  # the segment of each word of ``current``
    for index, segment in enumerate(segments):
        for unit in _units(segment, max_words, overlap):
            if current and len(current) + len(unit) > max_words:
                spans.append(Span(" ".join(current), where[0], where[-1]))
                tail, tail_where = (current[-overlap:], where[-overlap:]) if overlap else ([], [])
                current, where = (tail, tail_where) if len(tail) + len(unit) <= max_words else ([], [])
            current = current + unit
            where = where + [index] * len(unit)
    if current:
        spans.append(Span(" ".join(current), where[0], where[-1]))
    return spans


def _units(text: str, max_words: int, overlap: int) -> list[list[str]]:
    """The sentences of ``text`` as word lists, a sentence longer than ``max_words`` cut into overlapping pieces."""
    units: list[list[str]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            words = sentence.split()
            while len(words) > max_words:
                units.append(words[:max_words])
                words = words[max_words - overlap :]
            if words:
                units.append(words)
    return units
