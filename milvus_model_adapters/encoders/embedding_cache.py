"""Dense vectors kept on disk by model and text, so that the same texts are never encoded twice.

One SQLite file per model and variant (``<cache>/embeddings/<model>-<digest>-<variant>.sqlite3``)
maps a digest of what was asked (documents or queries) and the text to the vector. The model's key
is a digest of the files that decide its output, so other weights get another file. SQLite's locking
makes the file safe for processes that read and write it at once: a vector written twice by two
processes is the same vector, and the second write is dropped.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from milvus_model_adapters._cache import cache_root
from milvus_model_adapters.encoders.models import model_digest
from milvus_model_adapters.errors import InvalidInputError

Vectors = npt.NDArray[np.float32]
_READ_CHUNK = 500
_SETUP_SECONDS = 60.0
_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID"


class EmbeddingCache:
    """Dense vectors of one model by text, in a SQLite file shared by threads and processes.

    Examples:
        >>> import tempfile
        >>> cache = EmbeddingCache(tempfile.mkdtemp() + "/vectors.sqlite3", dim=2)
        >>> encode = lambda texts: np.ones((len(texts), 2), dtype=np.float32)
        >>> cache.through("encode_documents", ["a", "b"], encode).shape
        (2, 2)
        >>> cache.through("encode_documents", ["b", "c"], encode).shape, cache.hits, cache.misses
        ((2, 2), 1, 3)
    """

    def __init__(self, path: str | Path, *, dim: int) -> None:
        """Keep vectors of ``dim`` numbers in the SQLite file ``path`` (created on first write).

        Raises:
            InvalidInputError: If the file cannot be created or opened.
        """
        self.path = Path(path)
        self.dim = int(dim)
        self.hits = 0
        """Vectors read from the cache so far."""
        self.misses = 0
        """Texts encoded (not found in the cache) so far."""
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def for_model(
        cls, model: str | Path, *, variant: str, dim: int, folder: str | Path | None = None
    ) -> EmbeddingCache:
        """The cache of a model folder (or model name), for one way of running it (``"torch"``, ``"onnx"``).

        Args:
            model: A local model folder, keyed by a digest of its files; or a model name, keyed by the name.
            variant: What else decides the vectors (the backend).
            dim: The vectors' dimension.
            folder: The cache folder (default: the user's, or ``$MMA_CACHE_DIR``).
        """
        source = Path(model)
        if source.is_dir():
            key = f"{source.name or 'model'}-{model_digest(source)}"
        else:
            key = f"{source.name}-{hashlib.sha256(str(model).encode()).hexdigest()[:16]}"
        root = Path(folder) if folder is not None else cache_root()
        return cls(root / "embeddings" / f"{key}-{variant}.sqlite3", dim=dim)

    def through(self, method: str, texts: Sequence[str], encode: Callable[[list[str]], Vectors]) -> Vectors:
        """The vectors of ``texts``: read where cached, the rest encoded by ``encode`` once each and kept.

        Args:
            method: What is encoded (``"encode_documents"`` or ``"encode_queries"``): a model may embed
                a text differently as a query.
            texts: The texts.
            encode: Encodes a list of texts into an ``(n, dim)`` array.
        """
        keys = [_key(method, text) for text in texts]
        found = self._read(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.hits += len(keys) - sum(1 for k in keys if k not in found)
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            computed = encode([text_of[k] for k in missing])
            self.misses += len(missing)
            self._write(missing, computed)
            found.update(zip(missing, computed, strict=True))
        return np.stack([np.asarray(found[k], dtype=np.float32) for k in keys])

    def _read(self, keys: list[bytes]) -> dict[bytes, Vectors]:
        if not self.path.exists():
            return {}
        out: dict[bytes, Vectors] = {}
        size = self.dim * 4
        with self._lock:
            connection = self._connect()
            for start in range(0, len(keys), _READ_CHUNK):
                chunk = list(dict.fromkeys(keys[start : start + _READ_CHUNK]))
                marks = ",".join("?" * len(chunk))
                for key, blob in connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    if len(blob) == size:  # anything else is not a vector of this model: encode again
                        out[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return out

    def _write(self, keys: list[bytes], vectors: Vectors) -> None:
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors, strict=True)]
        with self._lock:
            connection = self._connect()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
                _set_up(connection)
            except (OSError, sqlite3.Error) as exc:
                raise InvalidInputError(
                    f"cannot use the embedding cache {self.path} ({exc}); set MMA_CACHE_DIR to a writable "
                    "folder, or turn the cache off"
                ) from None
            self._connection = connection
        return self._connection

    def close(self) -> None:
        """Close the file (it opens again on the next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r}, dim={self.dim})"


def _set_up(connection: sqlite3.Connection) -> None:
    """Write-ahead logging and the table, waiting while another process sets up the same new file.

    Switching to write-ahead logging takes the file alone and does not wait for SQLite's busy timeout:
    two processes that open a new cache at once would otherwise see "database is locked".
    """
    deadline = time.monotonic() + _SETUP_SECONDS
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _key(method: str, text: str) -> bytes:
    return hashlib.sha256(f"{method}\0{text}".encode()).digest()[:20]
