"""The sparse index choices, built by the engine and searched against an exact evaluation in Python.

Every choice the installed engine takes must return the exact BM25 top k: the inner products of the
query vector the store sends with the sparse vectors it stored, computed here with NumPy. Choices an
engine refuses are refused before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from milvus_model_adapters.errors import InvalidInputError, InvalidTypeError
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.store.indexes import DEFAULT_SPARSE_INDEX

WORDS = [f"w{i}" for i in range(60)]
K = 10


class _Random:
    """Random unit vectors, 16 dimensions (the dense route is not under test)."""

    dim = 16

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        rng = np.random.default_rng(len(texts))
        vectors = rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    encode_queries = encode_documents


def corpus() -> tuple[list[str], list[str]]:
    """Texts of Zipf-distributed words (long posting lists for the common ones) and short queries."""
    rng = np.random.default_rng(11)
    weights = 1.0 / np.arange(1, len(WORDS) + 1)
    weights /= weights.sum()
    texts = [" ".join(rng.choice(WORDS, size=rng.integers(3, 30), p=weights)) for _ in range(400)]
    queries = [" ".join(rng.choice(WORDS, size=rng.integers(1, 5))) for _ in range(25)]
    return texts, queries


def exact_top(store: HybridStore, query: str) -> list[tuple[str, float]]:
    """The BM25 top k by NumPy over the stored vectors, ties by id."""
    rows = store.client.query(store.collection, filter='id != ""', output_fields=["id", "sparse"])
    vector = store.sparse.queries([query])[0] or {}
    scores = [(r["id"], sum(w * r["sparse"].get(t, 0.0) for t, w in vector.items())) for r in rows]
    return sorted((s for s in scores if s[1] > 0), key=lambda s: (-s[1], s[0]))[:K]


CHOICES: list[dict[str, Any] | None] = [
    None,
    {"index_type": "SPARSE_INVERTED_INDEX"},
    {"params": {"inverted_index_algo": "TAAT_NAIVE"}},
    {"params": {"inverted_index_algo": "DAAT_WAND"}},
    {"index_type": "SPARSE_WAND"},
]


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: str(c))
def test_every_sparse_index_the_engine_builds_returns_the_exact_bm25_top_k(
    tmp_path: Path, choice: dict[str, Any] | None
) -> None:
    texts, queries = corpus()
    db = str(tmp_path / "sparse.db")
    try:
        store = HybridStore(db, dense=_Random(), sparse_index=choice)
    except InvalidInputError as refused:
        assert choice is not None and choice.get("index_type") == "SPARSE_WAND"
        assert "Milvus Lite 3" in str(refused)
        pytest.skip(f"this engine does not build it: {refused}")
    with store:
        wanted = (choice or DEFAULT_SPARSE_INDEX).get("index_type", "SPARSE_INVERTED_INDEX")
        assert store.client.describe_index(store.collection, "sparse")["index_type"] == wanted
        store.add(texts, ids=[f"t{i:03d}" for i in range(len(texts))])
        for query in queries:
            exact = exact_top(store, query)
            hits = store.search(query, K, mode="sparse")
            assert [h.sparse_score for h in hits] == pytest.approx([s for _, s in exact], rel=1e-5)
            # Ids agree wherever the score is not tied with a neighbour's.
            for hit, (doc_id, score) in zip(hits, exact, strict=True):
                if sum(abs(s - score) <= 1e-5 * score for _, s in exact) == 1:
                    assert hit.id == doc_id


@pytest.mark.parametrize(
    ("choice", "error", "match"),
    [
        ({"index_type": "HNSW"}, InvalidInputError, "unknown sparse index type"),
        ({"index": "SPARSE_WAND"}, InvalidInputError, "unknown sparse_index key"),
        ({"params": {"nlist": 4}}, InvalidInputError, "unknown sparse_index param"),
        ({"params": {"inverted_index_algo": "FAST"}}, InvalidInputError, "unknown inverted_index_algo"),
        ({"params": {"drop_ratio_build": 1.5}}, InvalidInputError, r"in \[0, 1\)"),
        ({"params": {"drop_ratio_build": "0.1"}}, InvalidTypeError, "must be a number"),
        ({"metric_type": "BM25"}, InvalidInputError, "searched by IP"),
        ("SPARSE_WAND", InvalidTypeError, "must be a dict"),
    ],
)
def test_a_bad_sparse_index_is_one_error_and_nothing_is_written(
    tmp_path: Path, choice: Any, error: type[Exception], match: str
) -> None:
    db = str(tmp_path / "kept.db")
    with HybridStore(db, "kept", dense=_Random()) as kept:
        kept.add(["a document that stays"])
    with pytest.raises(error, match=match):
        HybridStore(db, "kept", dense=_Random(), sparse_index=choice, drop_existing=True)
    with HybridStore(db, "kept", dense=_Random()) as kept:
        assert kept.count() == 1


def test_milvus_lite_3_refuses_what_it_cannot_build_before_writing(tmp_path: Path) -> None:
    db = str(tmp_path / "lite3.db")
    with HybridStore(db, dense=_Random()) as probe:
        if probe.engine.sparse_wand:
            pytest.skip("the engine here builds SPARSE_WAND and drop ratios")
        probe.drop()
    for choice in ({"index_type": "SPARSE_WAND"}, {"params": {"drop_ratio_build": 0.2}}):
        with pytest.raises(InvalidInputError, match="Milvus Lite 3"):
            HybridStore(db, "other", dense=_Random(), sparse_index=choice)
    with HybridStore(db, dense=_Random()) as probe:
        assert not probe.client.has_collection("other")
