"""Metadata filters: a dictionary language parsed once into nodes, written as each engine's expression.

``parse`` checks a filter and turns it into nodes,
``emit`` writes the nodes for an engine (``store.engine``); ``compile_filter`` does both.
"""

from __future__ import annotations

from collections.abc import Mapping

from milvus_model_adapters.store.engine import LITE_2_5, LITE_3, SERVER, Engine, detect
from milvus_model_adapters.store.fields import MetadataField
from milvus_model_adapters.store.filters.emit import emit
from milvus_model_adapters.store.filters.parse import Filter, Node, parse
from milvus_model_adapters.store.filters.raw import from_langchain_milvus, metadata_expression

Dialect = Engine
"""The former name of ``Engine``, which held the filter features alone."""


def compile_filter(
    flt: Filter | None, engine: Engine | None = None, columns: Mapping[str, MetadataField] | None = None
) -> str:
    """Compile a filter dictionary to a Milvus expression; ``None`` or ``{}`` gives ``""``.

    Args:
        flt: The filter.
        engine: The engine; a Milvus server by default.
        columns: The collection's typed metadata columns (``store.fields``): keys among them read the column.

    Raises:
        FilterError: On a malformed filter, or one the engine cannot express.
    """
    if flt is None or (isinstance(flt, Mapping) and not flt):
        return ""
    return emit(parse(flt), engine if engine is not None else SERVER, columns)


def combine(*expressions: str | None) -> str:
    """Join non-empty expressions with ``and``."""
    parts = [e for e in expressions if e]
    if len(parts) <= 1:
        return parts[0] if parts else ""
    return " and ".join(f"({p})" for p in parts)


__all__ = [
    "LITE_2_5",
    "LITE_3",
    "SERVER",
    "Dialect",
    "Engine",
    "Filter",
    "Node",
    "combine",
    "compile_filter",
    "detect",
    "emit",
    "from_langchain_milvus",
    "metadata_expression",
    "parse",
]
