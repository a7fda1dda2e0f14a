"""Command line: index files, search them, evaluate, move collections, diagnose and serve a database, demo.

The ``index`` command lives in :mod:`~milvus_model_adapters.tools.cli_index`, the options and the
store opening that the commands share in :mod:`~milvus_model_adapters.tools.cli_common`.

``milvus-model-adapters`` (or ``mma``) works on a Milvus Lite file in the working directory with the
bundled MiniLM model and the offline BM25 analyzer; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from importlib import import_module
from importlib.resources import files
from pathlib import Path
from typing import Any

from milvus_model_adapters._version import __version__
from milvus_model_adapters.errors import InvalidInputError, MilvusModelAdaptersError
from milvus_model_adapters.tools.cli_common import (
    DEFAULT_COLLECTION,
    DEFAULT_DB,
    add_backend_arguments,
    add_store_arguments,
    open_store,
    shorten,
)
from milvus_model_adapters.tools.cli_index import add_index_parser

__all__ = ["DEFAULT_COLLECTION", "DEFAULT_DB", "build_parser", "main", "open_store"]


# ---------------------------------------------------------------------- commands
def cmd_search(args: argparse.Namespace) -> int:
    """Search and print the hits; several queries go to Milvus together (one call per route)."""
    from milvus_model_adapters.files.readers import citation
    from milvus_model_adapters.rerank.local import CosineReranker

    if not Path(args.db).exists() and "://" not in args.db:
        raise InvalidInputError(f"no database at {args.db}: run 'milvus-model-adapters index PATH' first")
    from milvus_model_adapters.store.filters import compile_filter

    flt = _parse_filter(args.filter)
    compile_filter(flt)  # a bad filter fails before the database and the model are opened
    store = open_store(args)
    try:
        reranker = CosineReranker(store.dense) if args.rerank else None
        options: dict[str, Any] = {"mode": args.mode, "filter": flt, "reranker": reranker}
        if args.ranker is not None:
            options["ranker"] = args.ranker
        results = store.search_many(args.query, args.k, **options)
    finally:
        store.close()
    if args.json:
        found = [[{"id": h.id, "text": h.text, "metadata": h.metadata, **h.scores()} for h in hits] for hits in results]
        several = [{"query": q, "hits": hits} for q, hits in zip(args.query, found, strict=True)]
        print(json.dumps(found[0] if len(found) == 1 else several, indent=2))
        return 0
    for query, hits in zip(args.query, results, strict=True):
        if len(results) > 1:
            print(f"Q: {query}")
        if not hits:
            print("no results")
        for i, h in enumerate(hits, start=1):
            extra = "  ".join(f"{k}={v:.4g}" for k, v in h.scores().items() if k != "score")
            where = citation(h.metadata) if "source" in h.metadata else h.id  # file, pages, title
            print(f"{i:>2}. [{h.score:.4f}] {where}  {extra}")
            print(f"    {shorten(h.text, 200)}")
    return 0


def _parse_filter(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f'--filter must be JSON, e.g. \'{{"topic": "cycling"}}\' ({exc.msg})') from None
    if not isinstance(value, dict):
        raise InvalidInputError("--filter must be a JSON object")
    return value


def cmd_export(args: argparse.Namespace) -> int:
    """Write a collection as JSON Lines (ids, texts, metadata, dense vectors, BM25 settings)."""
    from milvus_model_adapters.tools.transfer import export_database

    if args.output in (None, "-"):
        count = export_database(args.db, sys.stdout, args.collection)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            count = export_database(args.db, out, args.collection, show_progress=args.progress)
        print(f"exported {count} document(s) of {args.collection!r} to {args.output}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Load an export into a new collection; BM25 statistics are rebuilt from the texts."""
    from milvus_model_adapters.tools.transfer import export_header, import_collection

    collection = args.collection or export_header(args.file).collection
    count = import_collection(args.file, args.db, collection, show_progress=args.progress)
    print(f"imported {count} document(s) into {collection!r} in {args.db}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Evaluate dense, BM25 and hybrid (and, with ``--rerank``, hybrid + rerank) on a BEIR folder."""
    from milvus_model_adapters.encoders.dense import DenseEncoder
    from milvus_model_adapters.tools.evaluation import DEFAULT_CONFIGS, evaluate_beir, rerank_config
    from milvus_model_adapters.tools.report import format_table, plot_results

    configs: dict[str, dict[str, Any]] = dict(DEFAULT_CONFIGS)
    if args.rerank:
        configs["hybrid+rerank"] = rerank_config(args.rerank_k)
    # The default model is loaded once the folder is read: a bad folder fails at once.
    dense = None if args.backend == "torch" else DenseEncoder.default(backend=args.backend, cache=args.cache)
    results = evaluate_beir(args.beir_dir, configs=configs, dense=dense, cache=args.cache, show_progress=args.progress)
    name = Path(args.beir_dir).name
    if args.json:
        print(json.dumps({"dataset": name, "results": results}, indent=2))
    else:
        print(format_table(name, results))
    if args.plot:
        plot_results(name, results, args.plot)
        if not args.json:
            print(f"plot written to {args.plot}")
    return 0


DEMO_QUESTIONS = (
    "what does E4 mean on my kettle",
    "my houseplant leaves are turning yellow",
    "how do I combine keyword search with embeddings",
    "why won't my bread dough get bigger",
)


def cmd_demo(args: argparse.Namespace) -> int:
    """Index the bundled corpus and show dense, BM25 and hybrid results side by side."""
    from milvus_model_adapters.store.hybrid import HybridStore

    corpus = files("milvus_model_adapters") / "data" / "demo.jsonl"
    rows = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        store = HybridStore(args.db or str(Path(tmp) / "demo.db"), "demo", drop_existing=True)
        try:
            store.add(
                [r["text"] for r in rows],
                metadatas=[{"topic": r["topic"]} for r in rows],
                ids=[r["_id"] for r in rows],
            )
            print(
                f"Indexed {store.count()} passages into Milvus Lite with all-MiniLM-L6-v2 (dense) and BM25 (sparse).\n"
            )
            for question in args.questions or DEMO_QUESTIONS:
                print(f"Q: {question}")
                routes = {m: store.search(question, 3, mode=m) for m in ("dense", "sparse", "hybrid")}
                width = 30
                print("   " + "".join(f"{name:<{width}}" for name in ("dense", "BM25", "hybrid")))
                for rank in range(3):
                    cells = []
                    for m in ("dense", "sparse", "hybrid"):
                        hits = routes[m]
                        cells.append(f"{hits[rank].id} ({hits[rank].score:.3f})" if rank < len(hits) else "-")
                    print(f"{rank + 1}. " + "".join(f"{c:<{width}}" for c in cells))
                best = routes["hybrid"][0]
                print(f"   -> {shorten(best.text, 110)}\n")
        finally:
            store.close()
    return 0


def _tool(name: str) -> Any:
    """A module of ``tools``, imported when its command runs."""
    return import_module(f"milvus_model_adapters.tools.{name}")


# ---------------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(
        prog="milvus-model-adapters",
        description="Hybrid (dense + BM25) search over Milvus Lite with pymilvus-model functions, offline.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    add_index_parser(sub)

    p = sub.add_parser("search", help="search the index (several queries: one Milvus call per route for all)")
    add_store_arguments(p)
    p.add_argument("query", nargs="+")
    p.add_argument("--mode", choices=("dense", "sparse", "hybrid"), default="hybrid")
    p.add_argument("--ranker", choices=("rrf", "weighted"), default=None, help="hybrid fusion (default: weighted)")
    p.add_argument("-k", "--k", type=int, default=5)
    p.add_argument("--rerank", action="store_true", help="rerank with the offline cosine reranker")
    p.add_argument("--filter", help='metadata filter as JSON, e.g. \'{"topic": "cycling"}\'')
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("export", help="write a collection as JSON Lines, to move it to another Milvus")
    p.add_argument("db", help="Milvus Lite file or server URI")
    p.add_argument("--collection", default=DEFAULT_COLLECTION)
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="load an export into a new collection")
    p.add_argument("db", help="Milvus Lite file or server URI")
    p.add_argument("file", help="a file written by 'export'")
    p.add_argument("--collection", help="target collection (default: the exported one's name)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("eval", help="evaluate the routes on a BEIR folder")
    p.add_argument("beir_dir")
    p.add_argument("--plot", help="write a PNG bar chart here")
    p.add_argument("--json", action="store_true")
    p.add_argument("--rerank", action="store_true", help="add hybrid + the offline cosine reranker")
    p.add_argument("--rerank-k", type=int, default=30)
    add_backend_arguments(p)
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("doctor", help="the engine behind a database, its versions, and what the store does about it")
    p.add_argument("uri", nargs="?", help="Milvus Lite file or server URI (default: the installed Milvus Lite)")
    p.add_argument("--token", help="server credentials (user:password or an API key)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lambda args: _tool("doctor").cmd_doctor(args))

    p = sub.add_parser("serve", help="serve a Milvus Lite database on 127.0.0.1 for many processes")
    p.add_argument("db", help="Milvus Lite database path (either generation)")
    p.add_argument("--port", type=int, default=19530)
    p.set_defaults(func=lambda args: _tool("lite_server").cmd_serve(args))

    p = sub.add_parser("demo", help="run the offline demo on the bundled corpus")
    p.add_argument("--db", default=None, help="keep the demo database here (default: a temporary file)")
    p.add_argument("questions", nargs="*")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors are one line on stderr and exit code 2."""
    args = build_parser().parse_args(argv)
    if args.command == "search" and args.k <= 0:
        print("error: -k must be > 0", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # milvus-lite 2.5 imports pkg_resources, which warns on every start.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    if not os.environ.get("MMA_DEBUG"):
        # Errors are reported as one line below; the libraries' own log lines would repeat them.
        # (milvus-lite logs on the root logger.)
        # pymilvus configures its loggers when first imported: import it, then quiet them.
        import pymilvus  # noqa: F401

        for name in ("", "pymilvus", "pymilvus.milvus_client"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return int(args.func(args))
    except (MilvusModelAdaptersError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
