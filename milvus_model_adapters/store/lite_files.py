"""What a Milvus Lite path holds on disk, checked before Milvus Lite touches it.

The two generations of Milvus Lite keep a database differently and cannot read each other's:

* 2.5.x (C++) keeps it in one SQLite file;
* 3.x (pure Python) keeps it in a folder (``collections/``, ``databases/``, a ``LOCK`` file).

Opening the other generation's database fails deep inside Milvus Lite with a message about a lock or a
crash. ``check_lite_path`` reads the path first and refuses, naming both generations and the way
out, without writing anything.
"""

from __future__ import annotations

import os
import re
from importlib.metadata import PackageNotFoundError, version

from milvus_model_adapters.errors import InvalidInputError, LiteGenerationError, MissingDependencyError

_SQLITE_HEADER = b"SQLite format 3\x00"
_LITE_3_ENTRIES = frozenset({"collections", "databases", "LOCK", ".database-staging"})
_LITE_2_5_NAME = re.compile(r"^[a-zA-Z0-9.\-_]+$")
_FAST_LITE = "pip install 'milvus-model-adapters[fast-lite]'"
_LITE_3 = "pip install 'milvus-lite>=3,<4'"


def lite_version() -> str:
    """The installed Milvus Lite version.

    Raises:
        MissingDependencyError: If Milvus Lite is not installed (it has no Windows wheel before 3.x).
    """
    try:
        return version("milvus-lite")
    except PackageNotFoundError:
        raise MissingDependencyError(
            "a Milvus Lite file needs the milvus-lite package: pip install milvus-lite (or connect to a server by "
            "http:// address)"
        ) from None


def lite_generation() -> int:
    """Major version of the installed Milvus Lite (2 or 3)."""
    return int(lite_version().split(".")[0])


def database_generation(path: str) -> int | None:
    """Which Milvus Lite generation wrote the database at ``path``: 2, 3, or None if nothing is there yet.

    Raises:
        LiteGenerationError: If something is at ``path`` that is no Milvus Lite database of either generation.
    """
    if os.path.isdir(path):
        entries = set(os.listdir(path))
        if not entries:
            return None
        if entries & _LITE_3_ENTRIES:
            return 3
        raise LiteGenerationError(f"{path!r} is a folder but not a Milvus Lite 3 database; nothing was changed")
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LiteGenerationError(f"cannot read {path!r}: {exc.strerror}") from None
    if not header:
        return None
    if header == _SQLITE_HEADER:  # Milvus Lite 2.5 keeps a database in one SQLite file
        return 2
    raise LiteGenerationError(f"{path!r} is damaged or not a Milvus Lite database; nothing was changed")


def check_lite_path(uri: str) -> None:
    """Refuse a Milvus Lite path the installed Milvus Lite cannot open, before it is opened.

    Raises:
        InvalidInputError: If the folder is missing, the name lacks ``.db`` or breaks Milvus Lite 2.5's rules.
        LiteGenerationError: If the path holds the other generation's database, or no database at all.
        MissingDependencyError: If Milvus Lite is not installed.
    """
    path = os.path.abspath(uri)
    if not os.path.isdir(os.path.dirname(path)):
        raise InvalidInputError(f"directory for the Milvus Lite file does not exist: {os.path.dirname(path)}")
    if not uri.endswith(".db"):
        raise InvalidInputError(f"a Milvus Lite database is a file path ending in .db (or a server URI), got {uri!r}")
    installed = lite_version()
    generation = int(installed.split(".")[0])
    name = os.path.basename(path)
    if generation < 3 and (not _LITE_2_5_NAME.match(name) or len(name) > 36):
        raise InvalidInputError(
            f"Milvus Lite 2.5 cannot open {name!r}: a database file name has at most 36 characters, "
            "all letters, digits, '.', '-' or '_'"
        )
    written_by = database_generation(path)
    if written_by is None and generation < 3 and os.path.isdir(path):
        raise LiteGenerationError(
            f"{uri!r} is an empty folder; Milvus Lite {installed} keeps a database in one file: remove the folder"
        )
    if written_by is None or (written_by >= 3) == (generation >= 3):
        return
    if written_by == 2:
        raise LiteGenerationError(
            f"{uri!r} is a Milvus Lite 2.5 database (one SQLite file), but the installed Milvus Lite {installed} "
            "keeps databases as folders and cannot read it; nothing was changed. To open it, install Milvus Lite "
            f"2.5: {_FAST_LITE}. To move it to Milvus Lite 3 or a server: run `mma export` on it with Milvus "
            "Lite 2.5 installed, then `mma import` the file here."
        )
    raise LiteGenerationError(
        f"{uri!r} is a Milvus Lite 3 database (a folder), but the installed Milvus Lite {installed} keeps "
        "databases in one SQLite file and cannot read it; nothing was changed. To open it, install Milvus Lite 3: "
        f"{_LITE_3}. To move it to Milvus Lite 2.5 or a server: run `mma export` on it with Milvus Lite 3 "
        "installed, then `mma import` the file here."
    )
