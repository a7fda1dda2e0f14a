"""The rerank stage: a reranker reorders each query's best candidates; those beyond its pool follow in order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from milvus_model_adapters.rerank.base import Reranker, ranked
from milvus_model_adapters.rerank.local import CosineReranker
from milvus_model_adapters.store.search.assembly import reranked
from milvus_model_adapters.store.types import Hit


def reranked_all(reranker: Reranker, texts: list[str], results: list[list[Hit]], pool: int) -> list[list[Hit]]:
    """Each query's hits with its best ``pool`` reordered by ``reranker``."""
    return [_reranked(reranker, query, hits, pool) for query, hits in zip(texts, results, strict=True)]


def _reranked(reranker: Reranker, query: str, hits: list[Hit], pool: int) -> list[Hit]:
    if not hits:
        return []
    top = hits[:pool]
    return reranked(top, reranker.rerank(query, [h.text or " " for h in top])) + hits[pool:]


def cosine_reranked(
    results: list[list[Hit]],
    vectors: npt.NDArray[np.float32],
    stored: Mapping[str, Sequence[float]],
    pool: int,
) -> list[list[Hit]]:
    """Cosine reranking from the dense vectors the store holds (``stored``, by id): nothing is encoded again.

    A hit whose vector is no longer stored (deleted after the search found it) is not dropped: it
    follows the reranked hits, in its order, as candidates beyond the pool do.
    """
    out = []
    for query_vector, hits in zip(vectors, results, strict=True):
        top = [h for h in hits[:pool] if h.id in stored]
        gone = [h for h in hits[:pool] if h.id not in stored]
        if top:
            matrix = np.asarray([stored[h.id] for h in top], dtype=np.float32)
            ranking = ranked(CosineReranker.score_vectors(query_vector, matrix), [h.text for h in top], len(top))
            top = reranked(top, ranking)
        out.append(top + gone + hits[pool:])
    return out
