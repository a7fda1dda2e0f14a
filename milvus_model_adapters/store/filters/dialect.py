"""What each Milvus engine generation accepts in a filter expression, and which one a client talks to."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from milvus_model_adapters.store.lite_files import lite_generation


@dataclass(frozen=True, slots=True)
class Dialect:
    """What one Milvus generation accepts in a filter expression."""

    name: str
    native_in: bool
    """``key in [...]`` works on JSON keys."""
    negation: bool
    """``not (...)`` and ``exists`` work (else ``!=`` and ``not in`` must carry every negation)."""
    full_like: bool = True
    """``like`` takes any pattern (Milvus Lite 2.5 mis-reads ``_``, and ``%`` alone matches nothing there)."""


LITE_2_5 = Dialect("Milvus Lite 2.5", native_in=True, negation=False, full_like=False)
LITE_3 = Dialect("Milvus Lite 3", native_in=False, negation=True)
SERVER = Dialect("a Milvus server", native_in=True, negation=True)


def detect(client: Any, *, local: bool) -> Dialect:
    """The dialect of the engine behind ``client``.

    A local file is served by the installed Milvus Lite; a server says what it is: Milvus Lite 3
    answers ``milvus_lite-3...``, a Milvus server ``v2...``, and Milvus Lite 2.5 (served from a file)
    does not implement the call.
    """
    if local:
        return LITE_3 if lite_generation() >= 3 else LITE_2_5
    quiet = _DropAll()
    logger = logging.getLogger("pymilvus.decorators")
    logger.addFilter(quiet)
    try:
        answer = str(client.get_server_version())
    except Exception:  # Milvus Lite 2.5 answers UNIMPLEMENTED
        return LITE_2_5
    finally:
        logger.removeFilter(quiet)
    return LITE_3 if answer.startswith("milvus_lite") else SERVER


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False
