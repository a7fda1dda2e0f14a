"""Command line: index files, search them, evaluate, move collections, diagnose and serve a database, demo.

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

DEFAULT_DB = "milvus_model_adapters.db"
DEFAULT_COLLECTION = "documents"


# ---------------------------------------------------------------------- commands
def open_store(args: argparse.Namespace, **kwargs: Any) -> Any:
    """Open the store named by ``--db`` / ``--collection``, embedding with the ``--backend`` asked for.

    Vectors are kept in the embedding cache unless ``--no-cache``. On the default backend the database
    is opened before the model is loaded, so a locked or unreachable one fails at once.
    """
    from milvus_model_adapters.encoders.dense import default_cache
    from milvus_model_adapters.store.hybrid import HybridStore

    store = HybridStore(args.db, args.collection, dense=dense_encoder(args), **kwargs)
    if args.cache:
        store.dense.cache = default_cache(args.backend)
    return store


def dense_encoder(args: argparse.Namespace) -> Any:
    """The bundled model on the ``--backend`` asked for (``None``: sentence-transformers on torch, the default)."""
    from milvus_model_adapters.encoders.dense import Backend, DenseEncoder

    backend: Backend = args.backend
    return None if backend == "torch" else DenseEncoder.default(backend=backend)


def cmd_index(args: argparse.Namespace) -> int:
    """Index files: everything is read and checked first, then written in batches with one flush."""
    from milvus_model_adapters.tools.indexing import plan_index, stored_versions
    from milvus_model_adapters.tools.sources import read_sources

    sources = list(read_sources(args.paths))
    if not sources:
        raise InvalidInputError("nothing to index: the inputs hold no documents")
    # Chunks are checked before the database is opened, so bad input cannot touch it.
    plan_index(sources, stored_versions([]), chunk_words=args.chunk_words, chunk_overlap=args.chunk_overlap)
    analyzer = language_analyzer(args.language) if args.language else None
    store = open_store(args, **({"sparse": _client_bm25(analyzer)} if analyzer is not None else {}))
    try:
        if analyzer is not None:
            check_stored_analyzer(store, analyzer, args.language)
        stored = stored_versions(d.metadata for d in store.documents())
        plan = plan_index(sources, stored, chunk_words=args.chunk_words, chunk_overlap=args.chunk_overlap)
        for start in range(0, len(plan.replaced_sources), _DELETE_BATCH):
            # Older versions of the changed sources (and chunks of a run that stopped half-way).
            store.delete(filter={"source": {"$in": plan.replaced_sources[start : start + _DELETE_BATCH]}})
        if plan.texts:
            store.add(plan.texts, metadatas=plan.metadatas, ids=plan.ids, show_progress=args.progress)
        total = store.count()
    finally:
        store.close()
    print(
        f"indexed {plan.written_sources} document(s) as {len(plan.texts)} chunk(s); "
        f"{plan.unchanged + plan.empty} unchanged or empty; {total} chunk(s) in {args.db}"
    )
    return 0


_DELETE_BATCH = 1000


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


def cmd_search(args: argparse.Namespace) -> int:
    """Search and print the hits; several queries go to Milvus together (one call per route)."""
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
            print(f"{i:>2}. [{h.score:.4f}] {h.metadata.get('source', h.id)}  {extra}")
            print(f"    {_shorten(h.text, 200)}")
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
                print(f"   -> {_shorten(best.text, 110)}\n")
        finally:
            store.close()
    return 0


def _tool(name: str) -> Any:
    """A module of ``tools``, imported when its command runs."""
    return import_module(f"milvus_model_adapters.tools.{name}")


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    """The argument parser."""
    parser = argparse.ArgumentParser(
        prog="milvus-model-adapters",
        description="Hybrid (dense + BM25) search over Milvus Lite with pymilvus-model functions, offline.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", default=os.environ.get("MMA_DB", DEFAULT_DB), help="Milvus Lite file or server URI")
        p.add_argument("--collection", default=DEFAULT_COLLECTION)
        backend(p)

    def backend(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--backend",
            choices=("torch", "onnx", "onnx-int8"),
            default="torch",
            help="how the bundled model runs: sentence-transformers on torch (default), ONNX Runtime fp32, or "
            "int8 (extra 'onnx'; exported once into the user's cache); search with the backend you indexed with",
        )
        p.add_argument(
            "--no-cache",
            dest="cache",
            action="store_false",
            help="encode every text again instead of reading the vectors kept in the user's cache "
            "($MMA_CACHE_DIR) by earlier runs of the same model",
        )

    p = sub.add_parser("index", help="index .txt/.md files, folders, JSONL files or a BEIR folder")
    common(p)
    p.add_argument("paths", nargs="+")
    p.add_argument("--chunk-words", type=int, default=180)
    p.add_argument("--chunk-overlap", type=int, default=30)
    p.add_argument(
        "--language",
        help="BM25 language of a new collection: an ISO code or name (de, german, zh), or several "
        "comma-separated (de,en,zh: each document's from its 'language' metadata, else identified)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("search", help="search the index (several queries: one Milvus call per route for all)")
    common(p)
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
    backend(p)
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
