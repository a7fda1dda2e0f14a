"""The indexes of a store's two vector fields: the defaults, and the sparse index choices, checked.

Dense search is exact by default on every engine (``FLAT``: Milvus Lite 3 turns ``AUTOINDEX`` into HNSW).
The sparse field takes ``SPARSE_INVERTED_INDEX`` (every engine) or ``SPARSE_WAND`` (Milvus Lite 2.5 and
servers; Milvus Lite 3 refuses it). Both answer exactly while no ``drop_ratio_*`` is set; the default
walks the posting lists with ``DAAT_MAXSCORE``, which on Milvus Lite 2.5 at 20,000 documents returns the
same hits as the engine's default walk, faster (``benchmarks/sparse_index.py``). Milvus Lite 3 ignores the
walk and refuses drop ratios other than 0.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store.engine import Engine

DEFAULT_DENSE_INDEX: dict[str, Any] = {"index_type": "FLAT", "metric_type": "IP"}
"""Exact inner-product search over the normalised dense vectors, on every engine.

``AUTOINDEX`` is not exact: Milvus Lite 3 builds it as HNSW with faiss (its top 10 agreed with exact search on 44%
of hits at 20,000 rows), and Milvus Lite 2.5 as an index that keeps 77% of the exact top 10 at 100,000 rows.
"""

SPARSE_INDEX_TYPES = ("SPARSE_INVERTED_INDEX", "SPARSE_WAND")
POSTING_WALKS = ("DAAT_MAXSCORE", "DAAT_WAND", "TAAT_NAIVE")
DEFAULT_SPARSE_INDEX: dict[str, Any] = {
    "index_type": "SPARSE_INVERTED_INDEX",
    "params": {"drop_ratio_build": 0.0, "inverted_index_algo": "DAAT_MAXSCORE"},
}
"""An exact inverted index whose search skips documents that cannot reach the top hits."""

_SPARSE_PARAMS = frozenset({"drop_ratio_build", "inverted_index_algo"})


def sparse_index(choice: Mapping[str, Any] | None, *, engine: Engine, builtin_bm25: bool) -> dict[str, Any]:
    """The checked index parameters of a new collection's sparse field, its metric set.

    Args:
        choice: ``{"index_type": ..., "params": {"drop_ratio_build": ..., "inverted_index_algo": ...}}``,
            each key optional; ``None`` for ``DEFAULT_SPARSE_INDEX``.
        engine: The engine generation that will build it.
        builtin_bm25: Whether Milvus computes the field (metric ``BM25``, else ``IP``).

    Raises:
        InvalidTypeError: If ``choice`` or its ``params`` is not a dict.
        InvalidInputError: On an unknown key or index type, a drop ratio outside [0, 1), or a choice the
            engine refuses (``SPARSE_WAND`` or a drop ratio on Milvus Lite 3).
    """
    if choice is None:
        choice = DEFAULT_SPARSE_INDEX
    if not isinstance(choice, Mapping):
        raise InvalidTypeError(f"sparse_index must be a dict, got {type(choice).__name__}")
    unknown = set(choice) - {"index_type", "params", "metric_type"}
    if unknown:
        raise InvalidInputError(f"unknown sparse_index key(s): {', '.join(sorted(unknown))}; use index_type, params")
    metric = "BM25" if builtin_bm25 else "IP"
    if choice.get("metric_type", metric) != metric:
        raise InvalidInputError(f"this store's sparse field is searched by {metric}, not {choice['metric_type']!r}")
    index_type = choice.get("index_type", "SPARSE_INVERTED_INDEX")
    if index_type not in SPARSE_INDEX_TYPES:
        raise InvalidInputError(f"unknown sparse index type {index_type!r}; use one of {', '.join(SPARSE_INDEX_TYPES)}")
    if index_type == "SPARSE_WAND" and not engine.sparse_wand:
        raise InvalidInputError(f"{engine.name} builds only SPARSE_INVERTED_INDEX for a sparse field")
    params = choice.get("params", {})
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"sparse_index params must be a dict, got {type(params).__name__}")
    unknown = set(params) - _SPARSE_PARAMS
    if unknown:
        raise InvalidInputError(
            f"unknown sparse_index param(s): {', '.join(sorted(unknown))}; use {', '.join(sorted(_SPARSE_PARAMS))}"
        )
    walk = params.get("inverted_index_algo", "DAAT_MAXSCORE")
    if walk not in POSTING_WALKS:
        raise InvalidInputError(f"unknown inverted_index_algo {walk!r}; use one of {', '.join(POSTING_WALKS)}")
    drop = drop_ratio(params.get("drop_ratio_build", 0.0), "drop_ratio_build", engine)
    return {
        "index_type": index_type,
        "metric_type": metric,
        "params": {**copy.deepcopy(dict(params)), "drop_ratio_build": drop, "inverted_index_algo": walk},
    }


def drop_ratio(value: Any, name: str, engine: Engine | None = None) -> float:
    """A checked drop ratio in [0, 1): the share of the smallest weights an index or search ignores."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTypeError(f"{name} must be a number, got {type(value).__name__}")
    if not 0.0 <= value < 1.0:
        raise InvalidInputError(f"{name} must be in [0, 1), got {value}")
    if value and engine is not None and not engine.drop_ratio_build:
        raise InvalidInputError(f"{engine.name} ignores a {name} (its sparse index stays exact): leave it at 0")
    return float(value)
