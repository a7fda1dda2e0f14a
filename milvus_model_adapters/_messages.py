"""Helpers for error messages."""

from __future__ import annotations

SHOWN_CHARS = 300
"""Longest text an error message quotes whole (Milvus's reasons, expressions)."""


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
