"""The examples in the public framework classes' docstrings run, in order, as a user would paste them."""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("llama_index.core")

pytestmark = pytest.mark.docs_code  # CI runs these on one stack (.ci/run)

CLASSES = {
    "langchain": [
        "MilvusHybridVectorStore",
        "MilvusHybridRetriever",
        "MilvusModelEmbeddings",
        "MilvusModelSparseEmbeddings",
        "MilvusModelReranker",
    ],
    "llama_index": [
        "MilvusHybridVectorStore",
        "MilvusHybridRetriever",
        "MilvusModelEmbedding",
        "MilvusModelSparseEmbedding",
        "MilvusModelRerank",
    ],
}
LANGCHAIN_SECTIONS = ("Setup:", "Key init args", "Instantiate:")
_FENCED = re.compile(r"```python\n(?P<code>.*?)```", re.S)


def examples(doc: str) -> list[str]:
    """The docstring's Python examples in order: reST ``code-block`` directives and Markdown fences."""
    doc = inspect.cleandoc(doc)
    found = [(m.start(), textwrap.dedent(m["code"])) for m in _FENCED.finditer(doc)]
    lines = doc.splitlines()
    offset = 0
    for i, line in enumerate(lines):
        if line.strip() == ".. code-block:: python":
            indent = len(line) - len(line.lstrip())
            body = []
            for following in lines[i + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                body.append(following)
            found.append((offset, textwrap.dedent("\n".join(body)).strip() + "\n"))
        offset += len(line) + 1
    return [code for _, code in sorted(found)]


PARAMS = [pytest.param(pkg, name, id=f"{pkg}.{name}") for pkg, names in CLASSES.items() for name in names]
LOADERS = [pytest.param("langchain", "FileChunkLoader"), pytest.param("llama_index", "FileChunkReader")]
"""The frameworks' file loaders: their examples run (their docstrings follow no vector-store template)."""


def run_examples(package: str, name: str, doc: str) -> None:
    """Run a docstring's examples in order in one namespace (in the current folder), then close its stores."""
    blocks = examples(doc)
    assert blocks, f"{name}'s docstring has no runnable example"
    namespace: dict[str, object] = {"__name__": "__docstring__"}
    for code in blocks:
        exec(compile(code, f"<{package}.{name} docstring>", "exec"), namespace)  # noqa: S102
    for value in namespace.values():
        if type(value).__name__ not in ("HybridStore", "MilvusHybridVectorStore"):
            continue
        close = getattr(value, "close", None)
        store = close if callable(close) else getattr(getattr(value, "store", None), "close", None)
        if callable(store):
            store()


@pytest.mark.parametrize(("package", "name"), PARAMS)
def test_class_docstring_examples_run(package: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cls = getattr(importlib.import_module(f"milvus_model_adapters.{package}"), name)
    doc = cls.__doc__ or ""
    if package == "langchain":
        for section in LANGCHAIN_SECTIONS:
            assert section in doc, f"{name}'s docstring lacks the {section!r} section of LangChain's template"
    else:
        assert "Examples:" in doc and "Args:" in doc, f"{name}'s docstring lacks LlamaIndex's Args / Examples"
    monkeypatch.chdir(tmp_path)
    run_examples(package, name, doc)


@pytest.mark.parametrize(("package", "name"), LOADERS)
def test_loader_docstring_examples_run(
    package: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = getattr(importlib.import_module(f"milvus_model_adapters.{package}"), name)
    monkeypatch.chdir(tmp_path)
    run_examples(package, name, cls.__doc__ or "")
