from __future__ import annotations

import subprocess
import sys

CODE = """
import socket, sys
def refuse(*args, **kwargs):
    raise AssertionError("network access at import")
socket.socket.connect = refuse
socket.create_connection = refuse
import milvus_model_adapters
from milvus_model_adapters import analyzer, bm25, dense, evaluation, sparse, sparse_encoder, chunking, cli
from milvus_model_adapters.store import hybrid, filters, fusion, bm25_state
from milvus_model_adapters.rerank import api, base, local
milvus_model_adapters.HybridStore, milvus_model_adapters.BM25Encoder
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
