"""Which fusion should hybrid search use by default? nDCG@10 of every candidate on the shared collections.

    python benchmarks/fusion_choice.py

Indexes Cranfield and CISI once each (MiniLM dense + client-side BM25, the store's defaults) and scores
dense, BM25, RRF at several k, and weighted fusion (min-max and arctan) at several weights, side by
side in one run. A second table compares the two BM25 IDF formulas on the sparse route alone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import DATASETS, table

from milvus_model_adapters.bm25.encoder import BM25Encoder
from milvus_model_adapters.store import RRF, HybridStore, Weighted
from milvus_model_adapters.tools.evaluation import evaluate_run, evaluate_store, load_beir

NAMES = ("cranfield", "cisi")
CONFIGS: dict[str, dict[str, object]] = {
    "dense": {"mode": "dense"},
    "bm25": {"mode": "sparse"},
    "rrf k=60": {"ranker": RRF(60)},
    "rrf k=20": {"ranker": RRF(20)},
    "rrf k=5": {"ranker": RRF(5)},
    **{
        f"weighted min-max {w:.1f}/{1 - w:.1f}": {"ranker": Weighted((w, round(1 - w, 1)))}
        for w in (0.3, 0.4, 0.5, 0.6, 0.7)
    },
    "weighted arctan 0.5/0.5": {"ranker": Weighted((0.5, 0.5), normalization="arctan")},
}


def fusion_table() -> str:
    scores: dict[str, dict[str, float]] = {name: {} for name in CONFIGS}
    for dataset_name in NAMES:
        dataset = load_beir(DATASETS / dataset_name)
        with tempfile.TemporaryDirectory() as tmp, HybridStore(str(Path(tmp) / "f.db"), "beir") as store:
            ids, texts, metas = dataset.documents()
            store.add(texts, metadatas=metas, ids=ids)
            for name, metrics in evaluate_store(store, dataset, CONFIGS).items():
                scores[name][dataset_name] = metrics["ndcg@10"]
    rows = []
    for name, by_dataset in scores.items():
        values = [by_dataset[d] for d in NAMES]
        rows.append([name, *[f"{v:.4f}" for v in values], f"{sum(values) / len(values):.4f}"])
    return table(["configuration (nDCG@10)", *NAMES, "mean"], rows)


def idf_table() -> str:
    rows = []
    for formula in ("okapi", "lucene"):
        values = []
        for dataset_name in NAMES:
            dataset = load_beir(DATASETS / dataset_name)
            ids, texts, _ = dataset.documents()
            encoder = BM25Encoder(idf=formula)  # type: ignore[arg-type]
            documents = encoder.fit_transform(texts)
            queries = dataset.judged_queries()
            scores = (encoder.encode_queries(list(queries.values())) @ documents.T).toarray()
            best = (-scores).argsort(axis=1, kind="stable")[:, :100]
            run = {q: [ids[i] for i in row] for q, row in zip(queries, best, strict=True)}
            values.append(evaluate_run(run, dataset.qrels)["ndcg@10"])
        rows.append([f"BM25 idf={formula}", *[f"{v:.4f}" for v in values], f"{sum(values) / len(values):.4f}"])
    return table(["sparse route alone (nDCG@10)", *NAMES, "mean"], rows)


if __name__ == "__main__":
    print(idf_table())
    print()
    print(fusion_table())
