"""The one place that knows each Milvus engine: which one a client talks to, and what it can do.

Three engines run this package's collections: Milvus Lite 2.5 (C++, a local file), Milvus Lite 3 (pure Python,
a local folder) and a Milvus server (Milvus Lite 3 served over gRPC answers as Milvus Lite 3, a served Milvus
Lite 2.5 file as Milvus Lite 2.5). Every engine-dependent branch of the package asks an ``Engine`` a capability,
never which engine it is; :data:`CAPABILITIES` says, for each, what the engine does and what the store does
about it (``mma doctor`` prints them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from milvus_model_adapters.store.lite_files import lite_generation, lite_version


@dataclass(frozen=True, slots=True)
class Engine:
    """What one Milvus engine accepts and does."""

    name: str
    native_in: bool
    """``key in [...]`` and ``not in`` work on keys of a JSON field."""
    negation: bool
    """``not (...)`` and ``exists`` work (else ``!=`` and ``not in`` must carry every negation)."""
    full_like: bool
    """``like`` reads every pattern right (Milvus Lite 2.5 mis-reads ``_``, and ``%`` alone matches nothing)."""
    nprobe: bool
    """An IVF index's search honours ``nprobe``."""
    whole_range: bool
    """A range search (``radius``, ``range_filter``) ranges the whole search, not a window of its best hits."""
    drop_ratio_build: bool
    """A sparse index built with ``drop_ratio_build`` drops that share of the smallest weights."""
    drop_ratio_search: bool
    """A sparse search takes a ``drop_ratio_search`` other than 0."""
    sparse_wand: bool
    """``SPARSE_WAND`` sparse indexes are built."""
    posting_walk: bool
    """``inverted_index_algo`` chooses how a sparse search walks its posting lists."""
    partition_key_filters: bool
    """A collection with a partition key can be filtered on that key."""
    batched_hybrid_search: bool
    """``hybrid_search`` with several queries fuses each query's hits as if it were alone."""
    consistency_levels: bool
    """Searches honour a consistency level (every Milvus Lite search sees every row)."""
    concurrent_searches: bool
    """Searches from several clients run at once in the engine."""
    stable_scores: bool
    """Twin vectors score exactly alike on every call (Milvus Lite 3's float32 scores may differ by a rounding)."""
    async_client: bool = True
    """pymilvus's ``AsyncMilvusClient`` talks to it (a served engine; not an in-process Milvus Lite file)."""
    null_values: bool = True
    """Scalar columns may be nullable (a typed metadata column may lack a value)."""
    field_descriptions: bool = True
    """A collection's schema keeps the description of each field."""
    array_columns: bool = True
    """Every answer of a collection with an ``ARRAY`` field is read (not Milvus Lite 2.5's empty ones)."""


SERVER = Engine(
    "a Milvus server",
    native_in=True,
    negation=True,
    full_like=True,
    nprobe=True,
    whole_range=True,
    drop_ratio_build=True,
    drop_ratio_search=True,
    sparse_wand=True,
    posting_walk=True,
    partition_key_filters=True,
    batched_hybrid_search=True,
    consistency_levels=True,
    concurrent_searches=True,
    stable_scores=True,
)
LITE_2_5 = replace(
    SERVER,
    name="Milvus Lite 2.5",
    negation=False,
    full_like=False,
    nprobe=False,
    partition_key_filters=False,
    batched_hybrid_search=False,
    consistency_levels=False,
    concurrent_searches=False,
    null_values=False,
    array_columns=False,
)
"""Milvus Lite 2.5: what it does differently from a server."""
LITE_3 = replace(
    SERVER,
    name="Milvus Lite 3",
    native_in=False,
    whole_range=False,
    drop_ratio_build=False,
    drop_ratio_search=False,
    sparse_wand=False,
    posting_walk=False,
    consistency_levels=False,
    stable_scores=False,
    field_descriptions=False,
)
"""Milvus Lite 3: what it does differently from a server."""


@dataclass(frozen=True, slots=True)
class Capability:
    """One capability, told as what the engine does and what the store does, with it and without it."""

    name: str
    engine_has: str
    engine_lacks: str
    store_has: str
    store_lacks: str

    def describe(self, engine: Engine) -> tuple[str, str]:
        """``(what the engine does, what the store does)`` on ``engine``."""
        has = bool(getattr(engine, self.name))
        return (self.engine_has, self.store_has) if has else (self.engine_lacks, self.store_lacks)


CAPABILITIES = (
    Capability(
        "native_in",
        "takes `in` lists on metadata keys",
        "refuses `in` on metadata keys",
        "sends `in` / `not in` lists",
        "writes `$in` as a chain of `==` (lists up to 10,000 values)",
    ),
    Capability(
        "negation",
        "has `not` and `exists`",
        "has neither `not` nor `exists`",
        "guards negations with `exists`, so that they also match documents that lack the key",
        "pushes negations down to `!=` and `not in`; refuses `$exists` and a `$not` of a range, containment or `$like`",
    ),
    Capability(
        "full_like",
        "reads every `like` pattern right",
        "mis-reads `_` in `like` (and `%` alone matches nothing)",
        "passes `$like` on",
        "refuses `$like` patterns with `_` or of `%` alone",
    ),
    Capability(
        "nprobe",
        "honours `nprobe` on IVF indexes",
        "ignores `nprobe` (the same recall at 1 and 1,024)",
        "passes `nprobe` on",
        "refuses `nprobe`",
    ),
    Capability(
        "whole_range",
        "ranges the whole search",
        "ranges only a window of the best hits (five times those asked)",
        "passes `radius` / `range_filter` on",
        "ranges a plain dense search itself, deeper until the range is covered; refuses a range with server fusion",
    ),
    Capability(
        "drop_ratio_build",
        "drops the smallest sparse weights from the index as `drop_ratio_build` says",
        "accepts `drop_ratio_build` and ignores it (the index stays exact)",
        "passes `drop_ratio_build` on",
        "refuses a `drop_ratio_build` other than 0 before anything is written",
    ),
    Capability(
        "drop_ratio_search",
        "takes `drop_ratio_search` (approximate sparse search)",
        "refuses a `drop_ratio_search` other than 0",
        "passes `drop_ratio_search` on",
        "refuses it before Milvus is called",
    ),
    Capability(
        "sparse_wand",
        "builds `SPARSE_WAND`",
        "builds only `SPARSE_INVERTED_INDEX`",
        "builds the sparse index asked for",
        "refuses `SPARSE_WAND` before anything is written",
    ),
    Capability(
        "posting_walk",
        "walks posting lists as `inverted_index_algo` says",
        "accepts `inverted_index_algo` and ignores it",
        "asks for `DAAT_MAXSCORE` (exact) unless told otherwise",
        "passes it on (it changes nothing there)",
    ),
    Capability(
        "partition_key_filters",
        "filters on a partition key",
        "creates partition-key collections, then refuses every filter on the key",
        "keeps the tenant field as a partition key",
        "keeps the tenant field as a string field with an INVERTED index",
    ),
    Capability(
        "batched_hybrid_search",
        "fuses each query of a batched `hybrid_search` alone",
        "fuses a batched `hybrid_search`'s later queries as if the earlier ones' hits ranked first",
        "sends a batch of queries in one `hybrid_search`",
        "sends one query per `hybrid_search` with server fusion",
    ),
    Capability(
        "consistency_levels",
        "honours consistency levels",
        "answers every search with every row it holds",
        "passes `consistency_level` on",
        "passes `consistency_level` on (it changes nothing there)",
    ),
    Capability(
        "concurrent_searches",
        "runs searches from several clients at once",
        "runs one search at a time",
        "keeps both route searches of a query in flight",
        "keeps both route searches of a query in flight, so the client's work overlaps the engine's",
    ),
    Capability(
        "stable_scores",
        "scores twin vectors exactly alike on every call",
        "may score twin vectors a rounding apart from one call to the next",
        "orders equal scores by id",
        "orders equal scores by id; tied twins may trade places between two searches",
    ),
    Capability(
        "async_client",
        "answers pymilvus's `AsyncMilvusClient`",
        "runs in this process (a Milvus Lite file)",
        "sends the async methods' calls with `AsyncMilvusClient`, one per event loop (`.aclient`)",
        "runs the async methods' blocking calls in a worker thread",
    ),
    Capability(
        "null_values",
        "stores nulls in nullable scalar fields",
        "refuses nullable fields",
        "lets a document lack a typed metadata column's key (a null, read back as a missing key)",
        "makes typed metadata columns not null: every document needs a value for each",
    ),
    Capability(
        "field_descriptions",
        "keeps each field's description",
        "forgets field descriptions",
        "marks typed metadata columns in their description",
        "also lists typed metadata columns in a collection property",
    ),
    Capability(
        "array_columns",
        "answers that pymilvus reads from a collection with `ARRAY` fields",
        "answers with no row that pymilvus cannot read from a collection with `ARRAY` fields",
        "keeps list metadata in `array<...>` columns where declared",
        "refuses `array<...>` columns (list metadata stays in the JSON field, where `$contains` works)",
    ),
)
"""Every capability of ``Engine``, in the order ``mma doctor`` prints them."""


def detect(client: Any, *, local: bool) -> Engine:
    """The engine behind ``client``.

    A local file is served by the installed Milvus Lite, in this process; a server says what it is: Milvus
    Lite 3 answers ``milvus_lite-3...``, a Milvus server ``v2...``, and Milvus Lite 2.5 (served from a file) does
    not implement the call.
    """
    if local:
        return replace(LITE_3 if lite_generation() >= 3 else LITE_2_5, async_client=False)
    answer = server_version(client)
    if answer is None:
        return LITE_2_5
    return LITE_3 if answer.startswith("milvus_lite") else SERVER


def server_version(client: Any) -> str | None:
    """What the engine behind ``client`` says its version is; ``None`` where it cannot say (Milvus Lite 2.5)."""
    quiet = _DropAll()
    logger = logging.getLogger("pymilvus.decorators")
    logger.addFilter(quiet)
    try:
        return str(client.get_server_version())
    except Exception:  # Milvus Lite 2.5 answers UNIMPLEMENTED
        return None
    finally:
        logger.removeFilter(quiet)


def versions(client: Any, *, local: bool) -> dict[str, str]:
    """The versions of pymilvus, of the installed Milvus Lite and of the engine behind ``client``."""
    import pymilvus

    found = {"pymilvus": str(pymilvus.__version__), "milvus-lite": lite_version()}
    engine = lite_version() if local else server_version(client)
    found["engine"] = engine or "not told (Milvus Lite 2.5 served from a file)"
    return found


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False
