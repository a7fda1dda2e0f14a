"""``mma doctor``: the engine behind a database, its versions, and what the store does about each difference.

The engines differ (``store.engine``): this reports, for the database asked about, what the engine does for
each capability and what the store does about it, as text or JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.store.connection import connect, disconnect, is_local_uri
from milvus_model_adapters.store.engine import CAPABILITIES, detect, versions


def diagnose(uri: str | None = None, *, token: str | None = None) -> dict[str, Any]:
    """What ``mma doctor`` reports on the database at ``uri``.

    Args:
        uri: A Milvus Lite file or a server address; ``None`` asks the installed Milvus Lite, on a new
            temporary file.
        token: Server credentials.

    Returns:
        ``uri``, ``engine`` (its name), ``versions`` and ``capabilities``: for each, its ``name``, whether the
        engine ``has`` it, what the ``engine`` does and what the ``store`` does.

    Raises:
        InvalidInputError: If ``uri`` names a local database that does not exist.
        MilvusModelAdaptersError: If the database cannot be opened (locked, of the other Lite generation,
            a server that does not answer).
    """
    with tempfile.TemporaryDirectory(prefix="mma-doctor-") as scratch:
        where = uri if uri is not None else str(Path(scratch) / "doctor.db")
        local = is_local_uri(where)
        if uri is not None and local and not Path(uri).exists():
            raise InvalidInputError(
                f"no Milvus Lite database at {uri!r}: give an existing database, a server address "
                "(http://host:19530), or nothing to ask the installed Milvus Lite"
            )
        client = connect(where, token=token, db_name=None)  # checks a Lite path before opening it
        try:
            engine = detect(client, local=local)
            found = versions(client, local=local)
        finally:
            disconnect(client, where)
    capabilities = []
    for capability in CAPABILITIES:
        does, store_does = capability.describe(engine)
        has = bool(getattr(engine, capability.name))
        capabilities.append({"name": capability.name, "has": has, "engine": does, "store": store_does})
    shown = uri if uri is not None else "the installed Milvus Lite (a new temporary file)"
    return {"uri": shown, "engine": engine.name, "versions": found, "capabilities": capabilities}


def report(diagnosis: dict[str, Any]) -> str:
    """``diagnose``'s answer as lines of text."""
    versions_line = ", ".join(f"{name} {value}" for name, value in diagnosis["versions"].items())
    lines = [f"{diagnosis['uri']}: {diagnosis['engine']}", f"versions: {versions_line}"]
    for capability in diagnosis["capabilities"]:
        lines += [
            "",
            f"{capability['name']} ({'yes' if capability['has'] else 'no'})",
            f"  the engine {capability['engine']}",
            f"  the store  {capability['store']}",
        ]
    return "\n".join(lines)


def cmd_doctor(args: argparse.Namespace) -> int:
    """``mma doctor [URI] [--json]``."""
    diagnosis = diagnose(args.uri, token=args.token)
    print(json.dumps(diagnosis, indent=2) if args.json else report(diagnosis))
    return 0
