"""Evaluation: nDCG, recall and MRR by hand, BEIR folders, a store evaluated per route, hybrid beating the best
single route on Cranfield and CISI."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.tools.evaluation import (
    evaluate_run,
    evaluate_store,
    load_beir,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from tests.support.datasets import dataset, write_beir


def test_ndcg_hand_computed() -> None:
    # Ranking d3 (grade 0), d1 (grade 3), d2 (grade 1); ideal order d1, d2.
    judgments = {"d1": 3, "d2": 1, "d3": 0}
    dcg = 3 / math.log2(3) + 1 / math.log2(4)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(["d3", "d1", "d2"], judgments, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["d3", "d1", "d2"], judgments, 10) == pytest.approx(0.6590, abs=1e-4)
    assert ndcg_at_k(["d1", "d2"], judgments) == pytest.approx(1.0)
    assert ndcg_at_k(["x"], {"d1": 0}) == 0.0


def test_recall_and_mrr() -> None:
    j = {"a": 1, "b": 2, "c": 0}
    assert recall_at_k(["a", "x", "y"], j, 100) == 0.5
    assert recall_at_k(["x", "a"], j, 1) == 0.0
    assert mrr_at_k(["x", "c", "b"], j, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"], j, 10) == 0.0


def test_evaluate_run_skips_unjudged_queries() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 0}}
    metrics = evaluate_run({"q1": ["a"], "q2": ["b"], "q3": ["c"]}, qrels)
    assert metrics == {"ndcg@10": 1.0, "recall@100": 1.0, "mrr@10": 1.0}
    with pytest.raises(InvalidInputError, match="no query"):
        evaluate_run({"q2": ["b"]}, qrels)


def test_load_beir_and_documents(tmp_path: Path) -> None:
    ds = load_beir(write_beir(tmp_path / "tiny"))
    ids, texts, _ = ds.documents()
    assert ids == ["1", "2", "3"]  # the empty document is left out
    assert texts[0] == "Wing lift comes from pressure differences."  # body already starts with the title
    assert texts[2] == "Empty"
    assert ds.judged_queries() == {"q1": "how do engines push a plane"}
    with pytest.raises(InvalidInputError, match="not a BEIR folder"):
        load_beir(tmp_path)


def test_evaluate_store_on_tiny_collection(tmp_path: Path, store: HybridStore) -> None:
    ds = load_beir(write_beir(tmp_path / "tiny"))
    ids, texts, metas = ds.documents()
    store.add(texts, metadatas=metas, ids=ids)
    results = evaluate_store(store, ds)
    assert set(results) == {"dense", "bm25", "hybrid-rrf", "hybrid-weighted"}
    assert results["dense"]["mrr@10"] == 1.0


@pytest.mark.datasets
@pytest.mark.parametrize("name", ["cranfield", "cisi"])
def test_hybrid_beats_best_single_route(name: str, tmp_path: Path, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    ds = load_beir(dataset(name))
    store = HybridStore(str(tmp_path / "q.db"), dense=dense_encoder)
    ids, texts, metas = ds.documents()
    store.add(texts, metadatas=metas, ids=ids)
    r = evaluate_store(store, ds)
    best_single = max(r["dense"]["ndcg@10"], r["bm25"]["ndcg@10"])
    assert r["hybrid-rrf"]["ndcg@10"] > best_single
    assert r["hybrid-weighted"]["ndcg@10"] >= best_single + 0.02
    assert r["hybrid-rrf"]["recall@100"] >= max(r["dense"]["recall@100"], r["bm25"]["recall@100"])
    store.close()
