"""LlamaIndex's ``VectorStoreQuery`` as a search of the core store.

================  ==========================================================================
Query mode        Search
================  ==========================================================================
``DEFAULT``       dense, ``similarity_top_k`` hits, by the query embedding when given
``SPARSE``,       BM25 on ``query_str``, ``sparse_top_k`` hits (``similarity_top_k`` if unset)
``TEXT_SEARCH``
``HYBRID``        both fused, ``hybrid_top_k`` hits (``similarity_top_k`` if unset). ``alpha``
                  gives weighted fusion of min-max normalised scores, ``alpha`` on dense and
                  ``1 - alpha`` on BM25; without it the store's ranker (RRF, k=60, by default).
                  Each route fetches ``max(similarity_top_k, sparse_top_k)`` candidates when
                  ``sparse_top_k`` or ``hybrid_top_k`` is set, else the core's default.
``MMR``           ``similarity_top_k`` hits picked by maximal marginal relevance (``mmr_threshold``,
                  default 0.5, is the weight of relevance) among the dense search's
                  ``mmr_prefetch_k`` best (default ``similarity_top_k * mmr_prefetch_factor``,
                  factor 4), by their stored vectors
================  ==========================================================================

``filters`` become the core filter, ``doc_ids`` a filter on ``ref_doc_id`` and ``node_ids`` a
restriction to those ids. Other keyword arguments of ``query`` (LlamaIndex's
``vector_store_kwargs``) are core search options (``reranker``, ``fusion``, ``filter``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.llama_index.filters import to_filter
from milvus_model_adapters.store import RRF, SearchMode, SearchParams, combine, ids_expression

LLAMA_INDEX_DEFAULTS = SearchParams(k=4, ranker=RRF(60))
"""The LlamaIndex adapters' defaults, for the vector store and the retriever alike: hybrid search fuses by
RRF (k=60), as LlamaIndex's ``MilvusVectorStore`` does, and the retriever returns 4 nodes (a query to the
vector store says how many it wants)."""

QUERY_MODES: dict[VectorStoreQueryMode, SearchMode] = {
    VectorStoreQueryMode.DEFAULT: "dense",
    VectorStoreQueryMode.SPARSE: "sparse",
    VectorStoreQueryMode.TEXT_SEARCH: "sparse",
    VectorStoreQueryMode.HYBRID: "hybrid",
    VectorStoreQueryMode.MMR: "dense",
}
"""The query modes the store answers, and the core search mode of each."""
MMR_PREFETCH_FACTOR = 4.0
"""Candidates of an MMR query per hit returned, when ``mmr_prefetch_k`` is not given."""
_MMR_KEYS = ("mmr_threshold", "mmr_prefetch_k", "mmr_prefetch_factor")


@dataclass(frozen=True)
class TranslatedQuery:
    """A query translated: the search settings, what to search with, and MMR's settings if it is MMR."""

    params: SearchParams
    text: str | None
    vector: list[float] | None
    mmr_candidates: int | None = None
    mmr_lambda: float = 0.5


def translate(query: VectorStoreQuery, base: SearchParams, options: Mapping[str, Any]) -> TranslatedQuery:
    """Translate ``query`` (and ``options``, the query's keyword arguments) over the defaults ``base``.

    Raises:
        InvalidInputError: On an unsupported mode, a query with nothing to search with, an invalid
            ``alpha`` or MMR setting, or an unknown option.
        FilterError: On a filter the store cannot express.
    """
    try:
        mode = VectorStoreQueryMode(query.mode)
    except ValueError:
        mode = None  # type: ignore[assignment]
    if mode not in QUERY_MODES:
        supported = ", ".join(m.value for m in QUERY_MODES)
        raise InvalidInputError(f"query mode {query.mode!r} is not supported; use one of {supported}")
    extra = {k: v for k, v in options.items() if k not in _MMR_KEYS}
    if "mode" in extra or "k" in extra:
        raise InvalidInputError("set the mode with vector_store_query_mode and k with similarity_top_k")
    fields: dict[str, Any] = {
        "mode": QUERY_MODES[mode],
        **_where(query, extra.pop("filter", None), extra.pop("expr", None)),
    }
    text = query.query_str if query.query_str and query.query_str.strip() else None
    vector = list(query.query_embedding) if query.query_embedding is not None else None
    if fields["mode"] == "sparse" or (fields["mode"] == "hybrid" and vector is None):
        vector = None
        if text is None:
            raise InvalidInputError(f"a {mode.value} query needs query_str")
    if text is None and vector is None:
        raise InvalidInputError(f"a {mode.value} query needs query_str or query_embedding")
    fields["k"] = _k(query, mode)
    if mode == VectorStoreQueryMode.HYBRID:
        if query.sparse_top_k is not None or query.hybrid_top_k is not None:
            fields["fetch_k"] = max(query.similarity_top_k, query.sparse_top_k or query.similarity_top_k)
        if query.alpha is not None:
            if not 0.0 <= query.alpha <= 1.0:
                raise InvalidInputError(f"alpha must be in [0, 1] (1 is dense only), got {query.alpha}")
            fields["weights"] = (float(query.alpha), 1.0 - float(query.alpha))
    params = SearchParams.create(base, **{**fields, **extra})
    if mode != VectorStoreQueryMode.MMR:
        return TranslatedQuery(params, text, vector)
    return TranslatedQuery(params, text, vector, *_mmr(query, options, params.k))


def _k(query: VectorStoreQuery, mode: VectorStoreQueryMode) -> int:
    if mode in (VectorStoreQueryMode.SPARSE, VectorStoreQueryMode.TEXT_SEARCH):
        return query.sparse_top_k or query.similarity_top_k
    if mode == VectorStoreQueryMode.HYBRID:
        return query.hybrid_top_k or query.similarity_top_k
    return query.similarity_top_k


def _where(query: VectorStoreQuery, flt: Any, expr: str | None) -> dict[str, Any]:
    """The query's filters, doc_ids and node_ids, joined to the core ``filter`` / ``expr`` given with it."""
    parts = [f for f in (to_filter(query.filters), flt) if f]
    if query.doc_ids:
        parts.append({"ref_doc_id": {"$in": list(query.doc_ids)}})
    out: dict[str, Any] = {}
    if parts:
        out["filter"] = parts[0] if len(parts) == 1 else {"$and": parts}
    ids = ids_expression(query.node_ids) if query.node_ids else None
    joined = combine(ids, expr)
    if joined:
        out["expr"] = joined
    return out


def _mmr(query: VectorStoreQuery, options: Mapping[str, Any], k: int) -> tuple[int, float]:
    threshold = options.get("mmr_threshold", query.mmr_threshold)
    lambda_mult = 0.5 if threshold is None else float(threshold)
    prefetch_k, factor = options.get("mmr_prefetch_k"), options.get("mmr_prefetch_factor")
    if prefetch_k is not None and factor is not None:
        raise InvalidInputError("pass mmr_prefetch_k or mmr_prefetch_factor, not both")
    if prefetch_k is not None:
        candidates = int(prefetch_k)
    else:
        candidates = int(k * float(MMR_PREFETCH_FACTOR if factor is None else factor))
    if candidates < 1:
        raise InvalidInputError(f"MMR needs at least one candidate, got {candidates}")
    return max(candidates, k), lambda_mult
