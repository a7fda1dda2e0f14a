"""Run Python scripts as fresh processes that start warm: forked from one that has imported the stack.

Every README block and cookbook recipe is a script a user runs in a new interpreter. Starting one costs
10-15 s on these machines, nearly all of it importing torch, sentence-transformers, pymilvus and the
frameworks, and loading the bundled model. :func:`run` sends the script to a server process that did that
once, with the caller's environment, and forks a child per script: the child changes to the script's folder,
takes its environment and arguments, runs it as ``__main__`` and exits with its status. Nothing a script does
reaches the next one or the server; the server opens no Milvus connection and runs no model, so the fork
inherits no threads or sockets. Where ``fork`` is missing, a plain subprocess runs the script.

Run as ``python -m tests.support.warm_python`` it is the server: one JSON request per line on stdin, one
JSON answer per line on stdout.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import IO, Any

WARM_MODULES = (
    "numpy",
    "scipy.sparse",
    "torch",
    "sentence_transformers",
    "pymilvus",
    "milvus_model_adapters",
    "milvus_model_adapters.store",
    "milvus_lite.server_manager",
    "milvus_lite.adapter.grpc.server",  # Milvus Lite 3's engine, imported when a script opens a file
    "langchain_core.documents",
    "llama_index.core",
    "milvus_model_adapters.langchain",
    "milvus_model_adapters.llama_index",
)

_server: subprocess.Popen[str] | None = None
_server_env: dict[str, str] | None = None
_lock = threading.Lock()


def run(
    script: str | Path, args: list[str], *, cwd: Path | None, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (code, or a path to a file) with ``args`` in ``cwd`` and ``env``, as a new process would."""
    if not hasattr(os, "fork"):
        command = [sys.executable, "-c", script] if isinstance(script, str) else [sys.executable, str(script)]
        return subprocess.run(
            [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    with _lock, tempfile.TemporaryDirectory(prefix="warm-") as folder:
        server = _started(env)
        out, err = Path(folder) / "out", Path(folder) / "err"
        request = {
            "code": script if isinstance(script, str) else None,
            "path": str(script) if isinstance(script, Path) else None,
            "args": args,
            "cwd": str(cwd or Path.cwd()),
            "env": env,
            "out": str(out),
            "err": str(err),
            "timeout": timeout,
        }
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        answer = json.loads(server.stdout.readline() or '{"returncode": -1}')
        return subprocess.CompletedProcess(
            request["path"] or "<code>",
            int(answer["returncode"]),
            out.read_text(errors="replace") if out.exists() else "",
            err.read_text(errors="replace") if err.exists() else "warm server: no answer\n",
        )


_PER_TEST = ("PYTEST_CURRENT_TEST",)
"""Variables that change from one test to the next and that importing does not read."""


def _started(env: dict[str, str]) -> subprocess.Popen[str]:
    """The server, (re)started when the environment it imported under differs from ``env``."""
    global _server, _server_env
    if _server is not None and (_server.poll() is not None or _server_env != _lasting(env)):
        _stop()
    if _server is None:
        root = Path(__file__).resolve().parents[2]
        _server = subprocess.Popen(
            [sys.executable, "-m", "tests.support.warm_python"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))},
        )
        _server_env = _lasting(env)
    return _server


def _lasting(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the variables pytest sets per test (the child still gets them)."""
    return {k: v for k, v in env.items() if k not in _PER_TEST}


def _stop() -> None:
    global _server
    if _server is not None:
        if _server.stdin is not None:
            _server.stdin.close()
        _server.wait(timeout=30)
        _server = None


def _serve(requests: IO[str], answers: IO[str]) -> None:
    for module in WARM_MODULES:
        with contextlib.suppress(ImportError):  # a stack without this framework: scripts import their own
            __import__(module)
    with contextlib.suppress(Exception):  # loads the bundled model once; runs nothing on it
        from milvus_model_adapters.encoders.dense import DenseEncoder

        DenseEncoder.default()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)  # exits
        status = _wait(pid, float(request["timeout"]))
        answers.write(json.dumps({"returncode": status}) + "\n")
        answers.flush()


def _wait(pid: int, timeout: float) -> int:
    timer = threading.Timer(timeout, lambda: os.kill(pid, 9))
    timer.start()
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        timer.cancel()
    return os.waitstatus_to_exitcode(status)


def _child(request: dict[str, Any]) -> None:
    """Become the script's process: its folder, environment, arguments and output files; never returns.

    It ends as an interpreter ends: threads are joined and ``atexit`` handlers run, so a Milvus Lite
    server the script started is stopped as it would be; the modules are not torn down.
    """
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    path = request["path"]
    sys.argv = [path or "-c", *request["args"]]
    sys.path[0] = str(Path(path).parent) if path else ""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    if path:
        namespace["__file__"] = path
    code = Path(path).read_text(encoding="utf-8") if path else request["code"]
    status = 0
    try:
        exec(compile(code, path or "<string>", "exec"), namespace)  # noqa: S102
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if not isinstance(done.code, int | None):
            print(done.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        status = 1
    _end(status)


def _end(status: int) -> None:
    """What the end of an interpreter does that a script may rely on, without tearing the modules down."""
    try:
        # The interpreter's own order: threading's exit hooks (executors stop their workers), joining
        # the threads that are left, then atexit.
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
