"""Connecting to Milvus (a Milvus Lite file or a server) and translating its errors, in one place."""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from pymilvus import MilvusClient, MilvusException

from milvus_model_adapters._messages import shorten
from milvus_model_adapters.errors import (
    FilterError,
    MilvusOperationError,
    MissingDependencyError,
    StoreLockedError,
)
from milvus_model_adapters.store.lite_files import check_lite_path

# pymilvus shares one connection between the clients of the same address: closing one closes it for
# all. Stores count their users per connection and close it with the last one.
_USERS: dict[str, int] = {}
_USERS_LOCK = threading.Lock()
_SERVER_PREFIXES = ("http://", "https://", "tcp://", "grpc://", "unix:")


def is_local_uri(uri: str) -> bool:
    """Whether ``uri`` names a Milvus Lite file rather than a server."""
    return not uri.startswith(_SERVER_PREFIXES)


CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a Milvus server to answer before giving up."""
BUSY_ATTEMPTS = 4
"""Times to wait ``timeout`` for a server whose port accepts connections but which has not answered yet."""


def connect(uri: str, *, token: str | None, db_name: str | None, timeout: float = CONNECT_TIMEOUT) -> MilvusClient:
    """Open a client for ``uri``.

    Raises:
        InvalidInputError: If ``uri`` cannot name a Milvus Lite database here (folder missing, no ``.db``
            suffix, a name Milvus Lite 2.5 refuses).
        LiteGenerationError: If the path holds the other Milvus Lite generation's database, or no database.
        MissingDependencyError: If Milvus Lite (or, for 2.5, ``pkg_resources``) is missing.
        StoreLockedError: If another process holds the Milvus Lite file.
        MilvusOperationError: If the database cannot be opened, or a server does not answer within
            ``timeout`` seconds (up to ``BUSY_ATTEMPTS`` times that while its port accepts connections).
    """
    kwargs: dict[str, Any] = {"uri": uri}
    if token:
        kwargs["token"] = token
    if db_name:
        kwargs["db_name"] = db_name
    if is_local_uri(uri):
        check_lite_path(uri)
        client = _lite_client(kwargs, uri)
    else:
        kwargs["timeout"] = timeout
        client = _server_client(kwargs, uri, timeout)
    with _USERS_LOCK:
        _USERS[_alias(client)] = _USERS.get(_alias(client), 0) + 1
    return client


def _lite_client(kwargs: dict[str, Any], uri: str) -> MilvusClient:
    """A client of the Milvus Lite file ``uri``, with each way of failing told apart.

    Milvus Lite 2.5 starts a server process per file and pymilvus gives it ten seconds to answer; on a
    busy machine it can take longer. While that process runs, connecting is tried again (it is reused,
    not started twice), up to ``BUSY_ATTEMPTS`` times. A server process that has ended (killed, or
    crashed while starting) is started again, once; one that ended before this call is never reused.
    """
    _forget_ended_lite_server(uri)
    restarted = False
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        try:
            return MilvusClient(**kwargs)
        except Exception as exc:  # pymilvus raises several types for a failed start
            text = shorten(str(getattr(exc, "message", "") or exc))
        ended = _lite_server_exit_code(uri)
        if ended is not None and not restarted:
            text += f" (its server process ended with code {ended}; it was started again)"
            release_lite_file(uri)
            restarted = True
            continue
        if ended is not None:
            text += f" (its server process ended with code {ended}, again)"
        if attempt == BUSY_ATTEMPTS or not _lite_server_running(uri):
            break
    broken = _lite_import_error()
    if broken is not None:
        if "pkg_resources" in broken:
            raise MissingDependencyError(
                "Milvus Lite 2.5 imports pkg_resources, which setuptools 81 removed: "
                "pip install 'setuptools<81' (the fast-lite extra pins it), or install Milvus Lite 3"
            )
        raise MissingDependencyError(f"Milvus Lite is installed but cannot be imported: {broken}")
    if "lock" in text.lower() or "Open local milvus failed" in text:
        raise StoreLockedError(
            f"the Milvus Lite database {uri!r} is open in another process; Milvus Lite allows one process per "
            "file. Close it there, or serve the file with a Milvus server and connect by http:// address."
        )
    raise MilvusOperationError(f"cannot open the Milvus Lite database {uri!r}: {text}")


def _server_client(kwargs: dict[str, Any], uri: str, timeout: float) -> MilvusClient:
    """A client of the server at ``uri``, waiting longer for one that listens but has not answered yet.

    A busy server (Milvus Lite 3 serves from one Python process) accepts connections before it answers;
    one that refuses them fails after the first ``timeout``.
    """
    for attempt in range(1, BUSY_ATTEMPTS + 1):
        try:
            return MilvusClient(**kwargs)
        except Exception as exc:  # pymilvus raises several types for a failed connection
            text = shorten(str(getattr(exc, "message", "") or exc))
            listening = _listening(uri)
            if not listening or attempt == BUSY_ATTEMPTS:
                waited = f"waited {timeout * attempt:g} s" + ("; the port accepts connections" if listening else "")
                raise MilvusOperationError(f"cannot reach Milvus at {uri} ({waited}): {text}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _lite_server_process(uri: str) -> Any:
    """The Milvus Lite 2.5 server process (a ``subprocess.Popen``) this process started for ``uri``, or None.

    Milvus Lite 3 has none: it serves files from this process.
    """
    try:
        from milvus_lite.server_manager import server_manager_instance
    except ImportError:
        return None
    server = getattr(server_manager_instance, "_servers", {}).get(os.path.realpath(os.path.abspath(uri)))
    return getattr(server, "_p", None)


def _lite_server_running(uri: str) -> bool:
    """Whether a Milvus Lite 2.5 server process of this process serves the file ``uri``."""
    process = _lite_server_process(uri)
    return process is not None and process.poll() is None


def _lite_server_exit_code(uri: str) -> int | None:
    """The exit code of the Milvus Lite 2.5 server process started for ``uri``, if it has ended."""
    process = _lite_server_process(uri)
    return None if process is None else process.poll()


def _forget_ended_lite_server(uri: str) -> None:
    """Drop the record of an ended server process of ``uri``, so that connecting starts a new one.

    Milvus Lite's manager keeps a server per file for the life of the process and hands out its socket
    even after the process died, which would make every later connection time out.
    """
    if _lite_server_exit_code(uri) is not None:
        release_lite_file(uri)


def _listening(uri: str) -> bool:
    """Whether something accepts TCP connections at the host and port of ``uri``."""
    parsed = urlsplit(uri if "://" in uri else f"tcp://{uri}")
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 19530), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


def _lite_import_error() -> str | None:
    """Why ``milvus_lite`` cannot be imported (pymilvus reports any such failure as "not installed"), or None."""
    try:
        importlib.import_module("milvus_lite")
    except ImportError as exc:
        return shorten(str(exc))
    return None


def disconnect(client: MilvusClient, uri: str) -> None:
    """Close a client opened by ``connect`` once no other store of this process uses its connection.

    A Milvus Lite file is then released for other processes too.
    """
    with _USERS_LOCK:
        alias = _alias(client)
        left = _USERS.get(alias, 1) - 1
        if left > 0:
            _USERS[alias] = left
            return
        _USERS.pop(alias, None)
    client.close()
    if is_local_uri(uri):
        release_lite_file(uri)


def _alias(client: MilvusClient) -> str:
    return str(getattr(client, "_using", id(client)))


def release_lite_file(uri: str) -> None:
    """Stop the embedded Milvus Lite 2.5 server of ``uri`` (``MilvusClient.close`` leaves it running)."""
    try:
        from milvus_lite.server_manager import server_manager_instance
    except ImportError:  # Milvus Lite 3.x keeps no per-file server
        return
    path = os.path.realpath(os.path.abspath(uri))
    if path in getattr(server_manager_instance, "_servers", {}):
        server_manager_instance.release_server(path)


@contextmanager
def milvus_errors(action: str, *, where: str = "") -> Iterator[None]:
    """Turn a ``MilvusException`` raised inside into one of this package's errors.

    Args:
        action: What was being done, for the message ("search", "delete documents", ...).
        where: The filter expression of the call, if any: Milvus's refusal is then a ``FilterError``.
    """
    try:
        yield
    except MilvusException as exc:
        reason = shorten(str(getattr(exc, "message", "") or exc))
        if where:
            raise FilterError(f"Milvus rejected the filter {shorten(where)!r} in {action}: {reason}") from None
        raise MilvusOperationError(f"Milvus could not {action}: {reason}") from None


def query_all(
    client: MilvusClient,
    collection: str,
    where: str,
    fields: list[str],
    *,
    action: str,
    batch_size: int = 1000,
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Every row of ``collection`` matching ``where`` (at most ``limit``), with ``fields``, read in batches."""
    _quiet_iterator_log()
    with milvus_errors(action, where=where):
        iterator = client.query_iterator(
            collection, batch_size=batch_size, filter=where, output_fields=fields, limit=-1 if limit is None else limit
        )
    try:
        while True:
            with milvus_errors(action, where=where):
                batch = iterator.next()
            if not batch:
                return
            yield from batch
    finally:
        iterator.close()


def _drop_mvcc_notice(record: logging.LogRecord) -> bool:
    """Milvus Lite has no MVCC timestamp; pymilvus warns about it at every iterator it opens."""
    return not str(record.msg).startswith("failed to get mvccTs")


_ITERATOR_LOGS = ("pymilvus.orm.iterator", "pymilvus.client.iterator.query_iterator")
"""Where pymilvus 2.6 and 3 log from their query iterators."""


def _quiet_iterator_log() -> None:
    for name in _ITERATOR_LOGS:
        iterator_log = logging.getLogger(name)
        if _drop_mvcc_notice not in iterator_log.filters:
            iterator_log.addFilter(_drop_mvcc_notice)
