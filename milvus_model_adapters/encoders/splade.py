"""pymilvus-model's SPLADE, loaded offline and working with transformers 5.

pymilvus-model 0.3's ``SpladeEmbeddingFunction`` tokenizes with ``tokenizer.batch_encode_plus``,
which transformers 5 removed (``AttributeError: BertTokenizer has no attribute batch_encode_plus``);
the tokenizer's own call does the same. ``mend_splade`` gives such a function a tokenizer that
answers both, and ``SparseEncoder`` applies it to every
function it wraps.
"""

from __future__ import annotations

from typing import Any

from milvus_model_adapters._deps import require


class _BatchEncodePlus:
    """A tokenizer that also answers ``batch_encode_plus`` (its own call, as in transformers 4)."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def batch_encode_plus(self, texts: list[str], **kwargs: Any) -> Any:
        return self._tokenizer(texts, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._tokenizer(*args, **kwargs)

    def __len__(self) -> int:
        return len(self._tokenizer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tokenizer, name)


def mend_splade(function: Any) -> Any:
    """Give a pymilvus-model SPLADE function a tokenizer with ``batch_encode_plus``, if it lacks one.

    Anything else is returned unchanged. Returns ``function``.
    """
    implementation: Any = getattr(function, "model", None)
    tokenizer = getattr(implementation, "tokenizer", None)
    if (
        tokenizer is not None
        and callable(tokenizer)
        and not hasattr(tokenizer, "batch_encode_plus")
        and type(function).__name__ == "SpladeEmbeddingFunction"
    ):
        implementation.tokenizer = _BatchEncodePlus(tokenizer)
    return function


def splade_function(model_name_or_path: str, **kwargs: Any) -> Any:
    """pymilvus-model's ``SpladeEmbeddingFunction`` for a local folder or cached model, never installing anything.

    Args:
        model_name_or_path: A folder with a masked language model and its tokenizer (or a hub name
            already in the local cache).
        **kwargs: ``SpladeEmbeddingFunction``'s options (``device``, ``batch_size``, ``k_tokens_query``, ...).

    Raises:
        MissingDependencyError: If transformers or torch is missing.
    """
    require("transformers", package="transformers", purpose="SPLADE sparse embeddings")
    require("torch", package="torch", purpose="SPLADE sparse embeddings")
    from pymilvus.model.sparse import SpladeEmbeddingFunction

    return mend_splade(SpladeEmbeddingFunction(model_name=model_name_or_path, **kwargs))
