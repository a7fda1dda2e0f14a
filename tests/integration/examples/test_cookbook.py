"""Every cookbook recipe runs offline, as a script."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support import warm_python
from tests.support.datasets import dataset

pytestmark = pytest.mark.docs_code  # CI runs these on one stack (.ci/run)

COOKBOOK = Path(__file__).resolve().parents[3] / "cookbook"


def run_recipe(name: str, *args: str, cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["HF_HUB_OFFLINE"] = "1"
    proc = warm_python.run(COOKBOOK / name, list(args), cwd=cwd, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


SEED_VECTOR_START = [-3.09392996e-02, -1.80662833e-02, 1.34775648e-02, 2.77156215e-02]
"""First four values of the seed's first document embedding; CPUs differ in the last printed digits."""


def printed_numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", line)]


def test_seed_1_dense() -> None:
    out = run_recipe("01_dense_embeddings.py")
    first = next(line for line in out.splitlines() if line.startswith("Embeddings:"))
    assert printed_numbers(first) == pytest.approx(SEED_VECTOR_START, abs=1e-5)
    assert "Dim: 384 (384,)" in out


def test_seed_2_bm25() -> None:
    out = run_recipe("02_bm25.py")
    assert "'When was artificial intelligence founded' -> 'Artificial intelligence was founded" in out


def test_seed_3_rerank_offline() -> None:
    out = run_recipe("03_rerank.py")
    assert "offline cosine" in out and "Index: 1" in out.split("Score")[0]
    assert "set JINAAI_API_KEY" in out


def test_langchain_rag_offline() -> None:
    out = run_recipe("langchain_rag.py", "How do I fix error E4 on my kettle?")
    assert "LOCAL STAND-IN" in out and "[kettle-error-e4]" in out


def test_llama_index_rag_offline() -> None:
    out = run_recipe("llama_index_rag.py", "Why does my bread dough not rise?")
    assert "MOCK" in out and "Dough that will not rise" in out and "bread-rise: rerank" in out


@pytest.mark.datasets
def test_evaluate_cranfield_writes_plot(tmp_path: Path) -> None:
    out = run_recipe("evaluate_cranfield.py", str(dataset("cranfield")), "--plot", str(tmp_path / "c.png"))
    assert "| hybrid-rrf |" in out and "| hybrid-weighted |" in out
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_multilingual_search() -> None:
    out = run_recipe("multilingual_search.py")
    expected = {
        "'Fahrräder in der Stadt'": "Das Fahrrad ist",
        "'bicycle'": "Bicycles are",
        "'数据库'": "向量数据库",
        "'中国首都'": "北京是中国的首都",
        "'Häuser aus Holz'": "Die Häuser in der Altstadt",
    }
    lines = out.splitlines()
    for query, answer in expected.items():
        at = lines.index(query)
        assert lines[at + 1].strip().startswith(f"BM25:   {answer}"), (query, lines[at + 1])
