"""What the commands share: the database and model options, opening the store, shortening texts."""

from __future__ import annotations

import argparse
import os
from typing import Any

DEFAULT_DB = "milvus_model_adapters.db"
DEFAULT_COLLECTION = "documents"


def add_store_arguments(p: argparse.ArgumentParser) -> None:
    """``--db``, ``--collection`` and the model options of a command that opens a store."""
    p.add_argument("--db", default=os.environ.get("MMA_DB", DEFAULT_DB), help="Milvus Lite file or server URI")
    p.add_argument("--collection", default=DEFAULT_COLLECTION)
    add_backend_arguments(p)


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    """``--backend`` and ``--no-cache``: how the bundled model runs."""
    p.add_argument(
        "--backend",
        choices=("torch", "onnx", "onnx-int8"),
        default="torch",
        help="how the bundled model runs: sentence-transformers on torch (default), ONNX Runtime fp32, or "
        "int8 (extra 'onnx'; exported once into the user's cache); search with the backend you indexed with",
    )
    p.add_argument(
        "--no-cache",
        dest="cache",
        action="store_false",
        help="encode every text again instead of reading the vectors kept in the user's cache "
        "($MMA_CACHE_DIR) by earlier runs of the same model",
    )


def open_store(args: argparse.Namespace, **kwargs: Any) -> Any:
    """Open the store named by ``--db`` / ``--collection``, embedding with the ``--backend`` asked for.

    Vectors are kept in the embedding cache unless ``--no-cache``. On the default backend the database
    is opened before the model is loaded, so a locked or unreachable one fails at once.
    """
    from milvus_model_adapters.encoders.dense import default_cache
    from milvus_model_adapters.store.hybrid import HybridStore

    store = HybridStore(args.db, args.collection, dense=dense_encoder(args), **kwargs)
    if args.cache:
        store.dense.cache = default_cache(args.backend)
    return store


def dense_encoder(args: argparse.Namespace) -> Any:
    """The bundled model on the ``--backend`` asked for (``None``: sentence-transformers on torch, the default)."""
    from milvus_model_adapters.encoders.dense import Backend, DenseEncoder

    backend: Backend = args.backend
    return None if backend == "torch" else DenseEncoder.default(backend=backend)


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
