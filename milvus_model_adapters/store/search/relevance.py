"""Scores turned into relevance in [0, 1], the same way for every framework.

The score a hit is ranked by depends on how it was found; each kind has one fixed map to [0, 1]:

* dense (inner product of unit vectors, a cosine in [-1, 1]): ``(1 + score) / 2``;
* BM25 (unbounded, >= 0): ``score / (score + 1)``;
* hybrid with RRF: the fused score over the best a document can get (first in both routes,
  ``2 / (k + 1)``);
* hybrid with weighted fusion: the fused score over the sum of the weights (route scores are
  normalised to [0, 1] first);
* after the offline cosine reranker: ``(1 + score) / 2``; after any other reranker: its score
  clamped to [0, 1] (the Jina, Cohere and Voyage APIs return relevance in [0, 1]).

The maps are monotone, so the order of hits never changes; a threshold on relevance is a threshold
on the score.
"""

from __future__ import annotations

from collections.abc import Callable

from milvus_model_adapters.rerank.local import CosineReranker
from milvus_model_adapters.store.search.params import SearchParams


def relevance_function(params: SearchParams) -> Callable[[float], float]:
    """The map from the ranking score of a search with ``params`` to relevance in [0, 1]."""
    if params.reranker is not None:
        return _cosine if isinstance(params.reranker, CosineReranker) else _clamp
    if params.mode == "dense":
        return _cosine
    if params.mode == "sparse":
        return lambda score: _clamp(score / (score + 1.0)) if score > 0 else 0.0
    best = params.ranker.best_score()
    return lambda score: _clamp(score / best) if best > 0 else 0.0


def _cosine(score: float) -> float:
    return _clamp((1.0 + score) / 2.0)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))
