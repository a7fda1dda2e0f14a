"""One model, two outputs, one forward pass: BGE-M3's dense and sparse vectors for one store.

pymilvus-model's ``BGEM3EmbeddingFunction`` returns ``{"dense": [...], "sparse": csr}`` for each
batch. ``split`` gives a dense function and a sparse function over it that share each batch's
result: whichever asks first runs the model, the other reads the same output, so a store encoding a
batch for both routes runs the model once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from milvus_model_adapters._validate import is_embedding_function
from milvus_model_adapters.errors import InvalidTypeError


class SharedPass:
    """Runs a multi-output function and keeps its last result, by method and texts."""

    def __init__(self, function: Any) -> None:
        """Share ``function``, which has ``encode_documents`` and ``encode_queries`` returning dicts.

        Raises:
            InvalidTypeError: If it lacks those methods.
        """
        if not is_embedding_function(function):
            raise InvalidTypeError(f"{type(function).__name__} is not an embedding function")
        self.function = function
        self._lock = threading.Lock()
        self._last: tuple[tuple[str, tuple[str, ...]], Mapping[str, Any]] | None = None

    def run(self, method: str, texts: Sequence[str]) -> Mapping[str, Any]:
        """The function's output for ``texts``: computed, or the last output when it was for the same call."""
        key = (method, tuple(texts))
        with self._lock:
            if self._last is not None and self._last[0] == key:
                return self._last[1]
        out = getattr(self.function, method)(list(texts))
        if not isinstance(out, Mapping):
            raise InvalidTypeError(f"{type(self.function).__name__}.{method} returned {type(out).__name__}, not a dict")
        with self._lock:
            self._last = (key, out)
        return out


class Half:
    """The ``"dense"`` or ``"sparse"`` part of a ``SharedPass``, as a pymilvus-model style function.

    Both halves must be asked for the same texts to share a pass: give the dense half to a
    ``DenseEncoder`` with ``batches_itself=True``, so it
    hands over each batch whole.
    """

    def __init__(self, shared: SharedPass, part: str) -> None:
        """Read ``part`` of each output of ``shared``."""
        self.shared = shared
        self.part = part
        self.model_name = str(getattr(shared.function, "model_name", type(shared.function).__name__))

    def encode_documents(self, documents: list[str]) -> Any:
        """This part of the function's document output."""
        return self._part(self.shared.run("encode_documents", documents))

    def encode_queries(self, queries: list[str]) -> Any:
        """This part of the function's query output."""
        return self._part(self.shared.run("encode_queries", queries))

    @property
    def dim(self) -> int | None:
        """This part's dimension, if the function tells it."""
        dim = getattr(self.shared.function, "dim", None)
        value = dim.get(self.part) if isinstance(dim, Mapping) else None
        return int(value) if value is not None else None

    def _part(self, out: Mapping[str, Any]) -> Any:
        if self.part not in out:
            raise InvalidTypeError(
                f"{type(self.shared.function).__name__} returned no {self.part!r} output (keys: {sorted(out)}); "
                f"enable it in the function (BGE-M3: return_{self.part}=True)"
            )
        return out[self.part]

    def __repr__(self) -> str:
        return f"{self.part} of {self.model_name}"


def split(function: Any) -> tuple[Half, Half]:
    """The dense and sparse halves of a multi-output function, sharing one forward pass per batch."""
    shared = SharedPass(function)
    return Half(shared, "dense"), Half(shared, "sparse")
