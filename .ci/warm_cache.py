"""Fill the embedding cache ($MMA_CACHE_DIR) with the bundled model's vectors of the shared BEIR corpora."""

from __future__ import annotations

import os
from pathlib import Path

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.tools.evaluation import load_beir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
DATASETS = Path(os.environ.get("MMA_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))

dense = DenseEncoder.default(cache=True)
for name in ("cranfield", "cisi"):
    if (DATASETS / name / "corpus.jsonl").exists():
        dataset = load_beir(DATASETS / name)
        dense.encode_documents(dataset.documents()[1])
        dense.encode_queries(list(dataset.judged_queries().values()))
print("embedding cache:", dense.cache)
