"""Secrets stay secret, nothing is pickled, nothing is installed at run time."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from milvus_model_adapters.rerank import CohereReranker, JinaReranker, VoyageReranker
from tests.support.rerank_server import RerankServer

PACKAGE = Path(__file__).resolve().parents[3] / "milvus_model_adapters"
SECRET = "sk-very-secret-0123456789"


@pytest.mark.parametrize("cls", [JinaReranker, CohereReranker, VoyageReranker])
def test_api_key_not_in_repr_str_logs_errors_or_configs(cls, caplog) -> None:  # type: ignore[no-untyped-def]
    from milvus_model_adapters.langchain import MilvusModelReranker
    from milvus_model_adapters.llama_index import MilvusModelRerank

    caplog.set_level(logging.DEBUG)
    with RerankServer() as server:
        rr = cls(api_key=SECRET, base_url=server.url)
        with pytest.raises(Exception) as info:
            rr.rerank("q", ["a", "b"])  # the fake server rejects this key
        shown = [repr(rr), str(rr), str(info.value), repr(info.value), caplog.text]
        shown.append(MilvusModelReranker(reranker=rr).model_dump_json())
        shown.append(MilvusModelRerank(reranker=rr).to_json())
        assert server.requests[-1]["headers"]["Authorization"] == f"Bearer {SECRET}"  # it was sent, only there
    for text in shown:
        assert SECRET not in text


def test_no_pickle_and_no_pip_in_package_code() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
                )
                assert not any(n and n.split(".")[0] in ("pickle", "dill", "cloudpickle", "joblib") for n in names), (
                    path
                )
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert "pip install -" not in node.value and "prompt_install" not in node.value, path


def test_pymilvus_model_install_hook_is_never_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    # The autouse fixture makes pymilvus-model's installer raise; check that a missing optional
    # library is reported by our own check first.
    from milvus_model_adapters import _deps
    from milvus_model_adapters.errors import MissingDependencyError

    monkeypatch.setattr(_deps, "is_installed", lambda name: False)
    with pytest.raises(MissingDependencyError, match="pip install sentence-transformers"):
        from milvus_model_adapters.encoders.dense import sentence_transformer_function

        monkeypatch.setattr("milvus_model_adapters.encoders.dense.require", _deps.require)
        sentence_transformer_function("any-model")
