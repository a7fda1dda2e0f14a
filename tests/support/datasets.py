"""The shared BEIR collections (skipped with a message where they are absent), and a tiny one written on the spot."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
DATASETS = Path(os.environ.get("MMA_DATASETS", DATASETS))


def dataset(name: str) -> Path:
    """Path of a shared BEIR collection, or skip the test with the reason."""
    path = DATASETS / name
    if not (path / "corpus.jsonl").exists():
        pytest.skip(f"shared dataset {name!r} not found at {path} (set MMA_DATASETS to the datasets folder)")
    return path


def write_beir(root: Path) -> Path:
    (root / "qrels").mkdir(parents=True)
    docs = [
        ("1", "Wing lift", "Wing lift comes from pressure differences."),
        ("2", "", "Jet engines make thrust."),
        ("3", "Empty", ""),
        ("4", "", ""),
    ]
    (root / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": i, "title": t, "text": x}) for i, t, x in docs))
    (root / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "how do engines push a plane"}) + "\n")
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\t2\t1\n")
    return root
