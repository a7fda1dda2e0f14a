from __future__ import annotations

import pytest

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.files.chunking import chunk_text


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("One sentence. Two sentences.") == ["One sentence. Two sentences."]


def test_long_text_is_split_with_overlap() -> None:
    text = " ".join(f"Sentence number {i} has five words." for i in range(100))
    chunks = chunk_text(text, max_words=50, overlap=10)
    assert len(chunks) > 5
    assert all(len(c.split()) <= 50 for c in chunks)
    assert chunks[0].split()[-10:] == chunks[1].split()[:10]  # the overlap
    words = set(text.split())
    assert words == set(" ".join(chunks).split())


def test_very_long_sentence_is_cut_by_words() -> None:
    chunks = chunk_text("word " * 1000, max_words=100, overlap=0)
    assert len(chunks) == 10 and all(len(c.split()) == 100 for c in chunks)


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError):
        chunk_text("x", max_words=10, overlap=10)
    with pytest.raises(InvalidInputError):
        chunk_text("x", max_words=0)
