"""Serve a Milvus Lite database over gRPC on a local port, so several processes can share it.

Milvus Lite lets one process open a database file. Serving it turns the file into a Milvus server
at ``http://127.0.0.1:PORT`` that any number of processes reach with the same code (a store's
``uri`` is just the address). Works with both Milvus Lite generations:

* 2.5.x: the bundled ``milvus`` binary listening on the address;
* 3.x: Milvus Lite 3's gRPC servicer, served with options that accept pymilvus's keepalive pings.

Run as ``python -m milvus_model_adapters.tools.lite_server DB_FILE PORT`` (either generation) or use
``start``, which runs that command.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from milvus_model_adapters.errors import InvalidInputError, MilvusModelAdaptersError
from milvus_model_adapters.store.lite_files import check_lite_path, lite_generation


def free_port() -> int:
    """A TCP port on the loopback interface that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    db_file: str | os.PathLike[str], port: int | None = None, *, timeout: float = 60.0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start serving ``db_file`` on ``127.0.0.1:port``; returns the process and the ``uri`` to connect to.

    Raises:
        MilvusModelAdaptersError: If the server does not accept connections within ``timeout``.
    """
    port = port or free_port()
    db = Path(db_file).absolute()
    cmd = [sys.executable, "-m", "milvus_model_adapters.tools.lite_server", str(db), str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
            raise MilvusModelAdaptersError(f"Milvus Lite server exited with code {proc.returncode}: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise MilvusModelAdaptersError(f"Milvus Lite server did not listen on port {port} within {timeout} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started by ``start``."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _serve_2_5(db_file: str, port: int) -> None:
    from milvus_lite.server import Server

    server = Server(db_file, f"127.0.0.1:{port}")
    if not server.init() or not server.start():
        raise SystemExit(f"could not start Milvus Lite on {db_file}")

    def shutdown(*_: object) -> None:
        if server._p is not None:
            server._p.terminate()
        server.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    assert server._p is not None
    server._p.wait()


def serve(db_file: str, port: int) -> None:
    """Serve ``db_file`` on ``127.0.0.1:port`` until this process is ended, with the installed Milvus Lite."""
    if lite_generation() >= 3:
        _serve_3(str(Path(db_file).absolute()), port)
    else:
        _serve_2_5(db_file, port)


LITE_3_SERVER_OPTIONS = (
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),
    ("grpc.max_send_message_length", 256 * 1024 * 1024),
    # pymilvus pings every 10 s, also while a call waits for a busy engine; gRPC's default policy answers
    # such pings with GOAWAY "too_many_pings", which fails the calls in flight (seen under load).
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 1000),
    ("grpc.http2.max_ping_strikes", 0),
)
"""The gRPC options of a served Milvus Lite 3 database: Milvus's message sizes, and pymilvus's keepalive pings."""


def _serve_3(data_dir: str, port: int) -> None:
    try:
        import grpc
        from milvus_lite.adapter.grpc.servicer import MilvusServicer
        from milvus_lite.db import MilvusLite
        from pymilvus.grpc_gen import milvus_pb2_grpc
    except ImportError:  # another layout of Milvus Lite 3: its own server, in this process's place
        command = ["-m", "milvus_lite", "server", "--data-dir", data_dir, "--host", "127.0.0.1", "--port", str(port)]
        os.execv(sys.executable, [sys.executable, *command])
    from concurrent import futures

    db = MilvusLite(data_dir)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=10), options=list(LITE_3_SERVER_OPTIONS))
    milvus_pb2_grpc.add_MilvusServiceServicer_to_server(MilvusServicer(db), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()

    def shutdown(*_: object) -> None:
        server.stop(grace=5).wait()
        db.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    server.wait_for_termination()


def cmd_serve(args: argparse.Namespace) -> int:
    """``mma serve DB [--port P]``: serve a database for many processes until interrupted.

    Raises:
        InvalidInputError: If the path is no Milvus Lite database path or the port is taken.
        LiteGenerationError: If the path holds the other generation's database.
    """
    check_lite_path(args.db)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", args.port))
        except OSError:
            raise InvalidInputError(f"port {args.port} on 127.0.0.1 is in use: choose another with --port") from None
    print(f"serving {args.db} at http://127.0.0.1:{args.port} (Ctrl-C to stop)", flush=True)
    serve(args.db, args.port)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or not sys.argv[2].isdigit():
        raise SystemExit("usage: python -m milvus_model_adapters.tools.lite_server DB_FILE PORT")
    serve(sys.argv[1], int(sys.argv[2]))
