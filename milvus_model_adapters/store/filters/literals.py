"""Values written into Milvus expressions as escaped literals: no value can change an expression's structure."""

from __future__ import annotations

from milvus_model_adapters.store.filters.parse import Scalar


def literal(value: Scalar) -> str:
    """A scalar as a Milvus expression literal; strings double-quoted, backslashes and quotes escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
