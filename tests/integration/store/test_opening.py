"""Opening a database: schema and dimension mismatches, constructor arguments, paths Milvus Lite refuses, damaged
files and folders, servers that do not answer, a missing setuptools, one process per Milvus Lite file."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pymilvus import DataType, MilvusClient

from milvus_model_adapters import (
    InvalidInputError,
    LiteGenerationError,
    MilvusOperationError,
    StoreLockedError,
)
from milvus_model_adapters.errors import SchemaMismatchError
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.store.connection import connect
from milvus_model_adapters.store.lite_files import lite_generation
from tests.integration.store.helpers import Fixed as _Fixed
from tests.support.corpus import CORPUS


def test_schema_mismatch_and_drop_existing(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    client = MilvusClient(db_path)
    client.create_collection("documents", dimension=8)
    client.insert("documents", [{"id": 1, "vector": [0.0] * 8}])
    client.close()
    with pytest.raises(SchemaMismatchError, match="different schema"):
        HybridStore(db_path, dense=dense_encoder)
    client = MilvusClient(db_path)
    assert client.query("documents", filter="id > 0", output_fields=["id"])  # nothing was dropped
    client.close()
    s = HybridStore(db_path, dense=dense_encoder, drop_existing=True)
    assert s.count() == 0
    s.close()


def test_dimension_mismatch(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    s = HybridStore(db_path, dense=dense_encoder)
    s.add(CORPUS[:2])
    s.close()

    class Small:
        dim = 8

        def encode_documents(self, docs):  # type: ignore[no-untyped-def]
            return np.zeros((len(docs), 8))

        encode_queries = encode_documents

    with pytest.raises(SchemaMismatchError, match="dense dimension is 384, the encoder gives 8"):
        HybridStore(db_path, dense=Small())


def test_existing_collection_made_by_hand_with_right_fields_but_no_stats(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    client = MilvusClient(db_path)
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
    schema.add_field("text", DataType.VARCHAR, max_length=65535)
    schema.add_field("metadata", DataType.JSON)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=384)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    client.create_collection("documents", schema=schema)
    client.close()
    with pytest.raises(SchemaMismatchError, match="no BM25 statistics"):
        HybridStore(db_path, dense=dense_encoder)


def test_invalid_constructor_arguments(db_path: str, dense_encoder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInputError, match="sparse source"):
        HybridStore(db_path, dense=dense_encoder, sparse="splade")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="collection name"):
        HybridStore(db_path, "bad name!", dense=dense_encoder)
    with pytest.raises(InvalidInputError, match="does not exist"):
        HybridStore("/nonexistent/dir/x.db", dense=dense_encoder)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("my notes.db", "at most 36 characters, all letters"),
        ("a" * 40 + ".db", "at most 36 characters"),
        ("folder", "ending in .db"),
    ],
)
def test_database_paths_milvus_lite_refuses_are_one_clear_error(tmp_path: Path, name: str, match: str) -> None:
    if name != "folder" and lite_generation() >= 3:
        pytest.skip("Milvus Lite 3 accepts these names")
    (tmp_path / "folder").mkdir()
    with pytest.raises(InvalidInputError, match=match):
        HybridStore(str(tmp_path / name), dense=_Fixed())


def test_a_damaged_file_is_not_reported_as_locked(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(range(256)) * 40)
    before = damaged.read_bytes()
    with pytest.raises(LiteGenerationError, match="damaged or not a Milvus Lite database") as info:
        HybridStore(str(damaged), dense=_Fixed())
    assert isinstance(info.value, MilvusOperationError) and not isinstance(info.value, StoreLockedError)
    assert damaged.read_bytes() == before


def test_a_folder_of_other_files_is_not_taken_for_a_database(tmp_path: Path) -> None:
    folder = tmp_path / "notes.db"
    folder.mkdir()
    (folder / "readme.txt").write_text("not a database")
    with pytest.raises(LiteGenerationError, match="a folder but not a Milvus Lite 3 database"):
        HybridStore(str(folder), dense=_Fixed())
    assert [p.name for p in folder.iterdir()] == ["readme.txt"]


def test_a_port_that_listens_but_never_answers_is_waited_for_then_named() -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts connections, never speaks gRPC
    port = listener.getsockname()[1]
    try:
        with pytest.raises(MilvusOperationError, match=r"waited 4 s; the port accepts connections"):
            connect(f"http://127.0.0.1:{port}", token=None, db_name=None, timeout=1)
    finally:
        listener.close()


def test_an_unreachable_server_is_one_error_naming_it() -> None:
    with pytest.raises(MilvusOperationError, match=r"cannot reach Milvus at http://127\.0\.0\.1:9 \(waited 1 s\)"):
        connect("http://127.0.0.1:9", token=None, db_name=None, timeout=1)


BLOCK_PKG_RESOURCES = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "pkg_resources":
            raise ModuleNotFoundError("No module named 'pkg_resources'")
sys.meta_path.insert(0, Block())
from milvus_model_adapters import HybridStore, MissingDependencyError
from tests.support.fixed_dense import HashDense
try:
    HybridStore(sys.argv[1], dense=HashDense())
except MissingDependencyError as error:
    print("MISSING", error)
"""


def test_milvus_lite_2_5_without_pkg_resources_says_what_to_install(tmp_path: Path) -> None:
    if lite_generation() >= 3:
        pytest.skip("only Milvus Lite 2.5 imports pkg_resources")
    db = tmp_path / "no_setuptools.db"
    proc = subprocess.run(
        [sys.executable, "-c", BLOCK_PKG_RESOURCES, str(db)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert "MISSING" in proc.stdout and "setuptools<81" in proc.stdout, proc.stderr[-2000:]
    assert not db.exists()


def test_second_process_gets_clear_lock_error(store: HybridStore) -> None:
    if not store.is_local:
        pytest.skip("a server has no file lock: many processes may connect")
    code = (
        "from milvus_model_adapters.store.connection import connect\n"
        "from milvus_model_adapters.errors import StoreLockedError\n"
        f"try:\n    connect({store.uri!r}, token=None, db_name=None)\n"
        "except StoreLockedError as e:\n    print('LOCKED', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "LOCKED" in out.stdout and "one process per file" in out.stdout
    assert issubclass(StoreLockedError, RuntimeError)
