"""Pydantic field types shared by the LangChain and LlamaIndex adapters (both frameworks bring pydantic 2)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

from milvus_model_adapters._validate import check_positive_int
from milvus_model_adapters.rerank.base import as_reranker

RerankerField = Annotated[
    Any,
    # A pymilvus-model rerank function is wrapped as a core Reranker on construction.
    BeforeValidator(as_reranker),
    # Serialised configs name the reranker; secrets stay out (API rerankers hide keys in repr).
    PlainSerializer(repr, return_type=str),
]
"""A core ``Reranker``."""

TopN = Annotated[int, AfterValidator(lambda value: check_positive_int(value, what="top_n"))]
"""How many results a reranker keeps: an int > 0."""
