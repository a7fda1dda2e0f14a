"""Importing the package: the core imports no framework and opens no connection, a missing extra is named, every
name the README and the docs pages import exists."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from tests.support import doc_pages

CODE = """
import socket, sys
def refuse(*args, **kwargs):
    raise AssertionError("network access at import")
socket.socket.connect = refuse
socket.create_connection = refuse
import importlib, pathlib
import milvus_model_adapters
root = pathlib.Path(milvus_model_adapters.__file__).parent
for path in sorted(root.rglob("*.py")):
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[1] not in ("langchain", "llama_index", "_fields.py"[:-3]):
        importlib.import_module(".".join(p for p in parts if p != "__init__"))
for name in milvus_model_adapters.__all__:
    getattr(milvus_model_adapters, name)
frameworks = sorted(m for m in sys.modules if m.split(".")[0] in ("langchain_core", "langchain", "llama_index", "langchain_milvus"))
print("FRAMEWORKS", frameworks)
"""


def test_core_imports_no_framework_and_no_network() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "FRAMEWORKS []" in out.stdout


def test_adapter_import_error_names_the_extra() -> None:
    code = (
        "import sys\n"
        "sys.modules['langchain_core'] = None\n"
        "import importlib.util\n"
        "orig = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name.startswith('langchain_core') else orig(name, *a)\n"
        "try:\n    import milvus_model_adapters.langchain\n"
        "except ImportError as e:\n    print('ERR', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert 'pip install "milvus-model-adapters[langchain]"' in out.stdout, out.stdout + out.stderr


def test_unknown_attribute() -> None:
    import milvus_model_adapters

    try:
        milvus_model_adapters.Nope  # noqa: B018
    except AttributeError as exc:
        assert "Nope" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def _readme_imports() -> list[tuple[str, str]]:
    """What the README and the docs pages import from this package."""
    names = []
    for block in doc_pages.blocks():
        if block.lang != "python":
            continue
        for node in ast.walk(ast.parse(block.code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("milvus_model_adapters"):
                names.extend((node.module or "", alias.name) for alias in node.names)
    return sorted(set(names))


def test_the_readme_imports_names() -> None:
    assert len(_readme_imports()) >= 15


@pytest.mark.parametrize(("module", "name"), _readme_imports())
def test_every_name_the_readme_imports_exists(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{module}.{name}"
