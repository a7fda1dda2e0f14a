"""``mma index``: read files, report what is not indexed, check every chunk, then write in one batch.

Text, Markdown, PDF, HTML and Word files, folders, JSONL files and BEIR folders (PDF, HTML and Word
need the ``documents`` extra). Files are read and every chunk checked before the database is opened;
a source whose chunks of the same content are stored is left alone, so a re-run on unchanged files
writes nothing.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.tools.cli_common import add_store_arguments, open_store

if TYPE_CHECKING:
    from milvus_model_adapters.files.sources import Sources
    from milvus_model_adapters.tools.indexing import IndexPlan

_DELETE_BATCH = 1000


def add_index_parser(sub: Any) -> None:
    """The ``index`` sub-command and its options."""
    p = sub.add_parser("index", help="index text, Markdown, PDF, HTML and Word files, folders, JSONL or BEIR folders")
    add_store_arguments(p)
    p.add_argument("paths", nargs="+", help="files and folders (folders are walked; hidden entries are not)")
    p.add_argument("--chunk-words", type=int, default=180)
    p.add_argument("--chunk-overlap", type=int, default=30)
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATTERN",
        help="glob pattern of the files to read, e.g. '*.pdf' (repeatable; matched on the path "
        "relative to the folder, or on the file's name)",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="PATTERN",
        help="glob pattern of files not to read (repeatable)",
    )
    p.add_argument(
        "--language",
        help="BM25 language of a new collection: an ISO code or name (de, german, zh), or several "
        "comma-separated (de,en,zh: each document's from its 'language' metadata, else identified)",
    )
    p.add_argument("--json", action="store_true", help="print the summary, and every file not indexed, as JSON")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    """Index files: everything is read and checked first, then written in batches with one flush."""
    # Imported here: ``mma --help`` and the other commands do not load the store.
    from milvus_model_adapters.files.sources import collect_sources
    from milvus_model_adapters.tools.indexing import plan_index, stored_versions

    if not 0 <= args.chunk_overlap < args.chunk_words:
        raise InvalidInputError(
            f"--chunk-overlap ({args.chunk_overlap}) must be at least 0 and below --chunk-words ({args.chunk_words})"
        )
    found = collect_sources(args.paths, include=args.include, exclude=args.exclude)
    if not found.documents:
        raise InvalidInputError(f"nothing to index: {_nothing(found)}")
    # Chunks are checked before the database is opened, so bad input cannot touch it.
    plan_index(found.documents, stored_versions([]), chunk_words=args.chunk_words, chunk_overlap=args.chunk_overlap)
    analyzer = language_analyzer(args.language) if args.language else None
    store = open_store(args, **({"sparse": _client_bm25(analyzer)} if analyzer is not None else {}))
    try:
        if analyzer is not None:
            check_stored_analyzer(store, analyzer, args.language)
        stored = stored_versions(d.metadata for d in store.documents())
        plan = plan_index(found.documents, stored, chunk_words=args.chunk_words, chunk_overlap=args.chunk_overlap)
        for start in range(0, len(plan.replaced_sources), _DELETE_BATCH):
            # Older versions of the changed sources (and chunks of a run that stopped half-way).
            store.delete(filter={"source": {"$in": plan.replaced_sources[start : start + _DELETE_BATCH]}})
        if plan.texts:
            store.add(plan.texts, metadatas=plan.metadatas, ids=plan.ids, show_progress=args.progress)
        total = store.count()
    finally:
        store.close()
    if args.json:
        print(json.dumps(summary_json(plan, found, total, args), indent=2))
    else:
        print(summary_line(plan, found, total, args.db))
        for skipped in found.skipped:
            print(f"  not indexed: {skipped.source} ({skipped.reason}: {skipped.detail})")
    return 0


def summary_line(plan: IndexPlan, found: Sources, total: int, db: str) -> str:
    """The one line ``mma index`` prints: what was written, left alone, skipped by reason, left out."""
    parts = [f"indexed {plan.written_sources} document(s) as {len(plan.texts)} chunk(s)", f"{plan.unchanged} unchanged"]
    if found.skipped:
        reasons = ", ".join(f"{n} {reason}" for reason, n in found.skipped_by_reason().items())
        parts.append(f"skipped {len(found.skipped)} ({reasons})")
    if found.excluded:
        parts.append(f"{found.excluded} left out by --include/--exclude")
    parts.append(f"{total} chunk(s) in {db}")
    return "; ".join(parts)


def summary_json(plan: IndexPlan, found: Sources, total: int, args: argparse.Namespace) -> dict[str, Any]:
    """``mma index --json``: the counts, and every file (or JSONL record) not indexed with its reason."""
    return {
        "indexed_documents": plan.written_sources,
        "indexed_chunks": len(plan.texts),
        "unchanged": plan.unchanged,
        "skipped": [s.as_dict() for s in found.skipped],
        "skipped_by_reason": found.skipped_by_reason(),
        "excluded": found.excluded,
        "chunks_in_collection": total,
        "db": args.db,
        "collection": args.collection,
    }


def _nothing(found: Sources) -> str:
    if not found.skipped:
        return "the inputs hold no documents" + (
            f" ({found.excluded} left out by --include/--exclude)" * bool(found.excluded)
        )
    shown = ", ".join(f"{s.source} ({s.reason})" for s in found.skipped[:3])
    more = f" and {len(found.skipped) - 3} more" if len(found.skipped) > 3 else ""
    return f"every input was skipped: {shown}{more}"


def _client_bm25(analyzer: Any) -> Any:
    from milvus_model_adapters.store.sparse.client_bm25 import ClientBM25

    return ClientBM25(analyzer)


def language_analyzer(spec: str) -> Any:
    """The analyzer ``--language`` names: one language, or several (comma-separated) over one vocabulary.

    Several languages take each document's from its ``language`` metadata, else identify it.
    """
    from milvus_model_adapters.text.analyzer import Analyzer
    from milvus_model_adapters.text.multilingual import AUTO, MultilingualAnalyzer

    names = [name.strip() for name in spec.split(",") if name.strip()]
    if len(names) == 1:
        return Analyzer(names[0])
    return MultilingualAnalyzer(names, default=AUTO)


def check_stored_analyzer(store: Any, analyzer: Any, spec: str) -> None:
    """Refuse ``--language`` when the collection was created with another analysis (nothing written yet)."""
    stored = getattr(getattr(store.sparse, "encoder", None), "analyzer", None)
    config = getattr(stored, "config", None)
    if config is not None and config() != analyzer.config():
        raise InvalidInputError(
            f"--language {spec}: the collection already analyses its text as {stored!r}; "
            "index into a new collection (--collection) to change it"
        )
