"""``mma doctor`` reports the engine the store sees; ``mma serve`` serves a database of either generation."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from milvus_model_adapters.store.connection import connect, disconnect
from milvus_model_adapters.store.engine import CAPABILITIES, detect
from milvus_model_adapters.tools.cli import main
from milvus_model_adapters.tools.lite_server import free_port


def _doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["doctor", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _engine_of(uri: str, *, local: bool) -> str:
    client = connect(uri, token=None, db_name=None)
    try:
        return detect(client, local=local).name
    finally:
        disconnect(client, uri)


def test_doctor_on_the_installed_milvus_lite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = _doctor(capsys, "--json")
    report = json.loads(out)
    assert code == 0 and report["engine"] == _engine_of(str(tmp_path / "probe.db"), local=True)
    assert [c["name"] for c in report["capabilities"]] == [c.name for c in CAPABILITIES]
    assert all(c["engine"] and c["store"] and isinstance(c["has"], bool) for c in report["capabilities"])
    code, text, _ = _doctor(capsys)
    assert code == 0 and report["engine"] in text.splitlines()[0] and "the store" in text


def test_doctor_on_a_file_and_a_served_database(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server_uri: str
) -> None:
    db = str(tmp_path / "doctor.db")
    disconnect(connect(db, token=None, db_name=None), db)  # an existing database
    code, out, _ = _doctor(capsys, db, "--json")
    assert code == 0 and json.loads(out)["uri"] == db
    code, out, _ = _doctor(capsys, server_uri, "--json")
    report = json.loads(out)
    assert code == 0 and report["engine"] == _engine_of(server_uri, local=False)
    assert set(report["versions"]) == {"pymilvus", "milvus-lite", "engine"}


def test_doctor_on_a_database_it_cannot_open_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for target in (str(tmp_path / "missing.db"), f"http://127.0.0.1:{free_port()}"):
        code, out, err = _doctor(capsys, target)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "error:" in err, err


def test_serve_serves_a_database_to_other_processes(tmp_path: Path) -> None:
    db, port = str(tmp_path / "served.db"), free_port()
    command = [sys.executable, "-m", "milvus_model_adapters.tools.cli", "serve", db, "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().decode().startswith(f"serving {db} at http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        uri = f"http://127.0.0.1:{port}"
        client = connect(uri, token=None, db_name=None)
        try:
            client.create_collection("served", dimension=4)
            assert "served" in client.list_collections()
        finally:
            disconnect(client, uri)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_serve_refuses_a_port_in_use_and_a_bad_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(tmp_path / "a.db"), "--port", str(port)]) == 2
        assert f"port {port}" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "no-suffix"), "--port", str(free_port())]) == 2
    assert "ending in .db" in capsys.readouterr().err
