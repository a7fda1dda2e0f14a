"""The user's cache folder of this package (ONNX exports, dense embeddings)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_root() -> Path:
    """``$MMA_CACHE_DIR``, else the platform's user cache folder (``$XDG_CACHE_HOME``, ``%LOCALAPPDATA%``)."""
    if configured := os.environ.get("MMA_CACHE_DIR"):
        return Path(configured)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "milvus-model-adapters" / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "milvus-model-adapters"
