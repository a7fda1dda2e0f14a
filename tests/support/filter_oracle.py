"""The Python evaluation of the filter language that the engines' answers are tested against.

It is the store's own (``milvus_model_adapters.store.filters.evaluate``), which decides boosts: a filter
dictionary is parsed and evaluated on each document's metadata in Python, with no expression compiled and no
engine asked. ``tests/integration/store/test_filters.py`` holds every engine's answers to it on generated
filters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from milvus_model_adapters.store.filters import evaluate, parse


def matches(flt: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """Whether ``metadata`` meets the filter dictionary ``flt``."""
    return evaluate.matches(parse(flt), metadata)
