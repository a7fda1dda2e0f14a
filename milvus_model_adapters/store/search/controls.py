"""The ranking controls and highlights applied to a search's hits (``ranking``, ``highlight``): pure functions."""

from __future__ import annotations

import dataclasses
from typing import Any

from milvus_model_adapters.store.filters.evaluate import matches
from milvus_model_adapters.store.search.highlight import (
    Highlight,
    analysed_once,
    highlights,
    query_terms,
    word_analysis,
)
from milvus_model_adapters.store.search.params import SearchParams
from milvus_model_adapters.store.search.relevance import relevance_function
from milvus_model_adapters.store.types import Hit, Hits


def controlled(results: list[list[Hit]], p: SearchParams, floored: list[int]) -> list[list[Hit]]:
    """The floor on relevance, then boosts and decay, in the order of ``ranking``; ``floored`` counts."""
    if p.min_relevance is not None:
        relevance = relevance_function(dataclasses.replace(p, reranker=None))
        kept = [[h for h in hits if relevance(h.score) >= p.min_relevance] for hits in results]
        for i, (before, after) in enumerate(zip(results, kept, strict=True)):
            floored[i] += len(before) - len(after)
        results = kept
    if not p.rescores:
        return results
    out = []
    for hits in results:
        rescored = []
        for h in hits:
            factor = 1.0
            for boost in p.boost:
                if matches(boost.node, h.metadata):
                    factor *= boost.weight
            if p.decay is not None:
                factor *= p.decay.factor(h.metadata.get(p.decay.field))
            rescored.append(dataclasses.replace(h, score=h.score * factor))
        out.append(sorted(rescored, key=lambda h: (-h.score, h.id)))
    return out


def highlighted(texts: list[str], results: list[list[Hit]], options: Highlight, analyzer: Any) -> list[list[Hit]]:
    """Each hit with the terms of its query it matched (``highlight``)."""
    analyze = word_analysis(analyzer)
    out: list[list[Hit]] = []
    for text, hits in zip(texts, results, strict=True):
        terms = query_terms(analyzer, text) if text else set()
        once = analysed_once(analyze, [h.text for h in hits]) if terms else analyze
        marked = [dataclasses.replace(h, highlights=highlights(h.text, terms, once, options)) for h in hits]
        out.append(Hits(marked, floored=getattr(hits, "floored", 0)))
    return out
