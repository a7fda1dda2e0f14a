"""``mma index`` of a JSONL file against one ``HybridStore.add`` of the same chunks, side by side.

    python benchmarks/cli_ingest.py [N]

N Cranfield/CISI documents (default 1,000) are written as JSONL; the CLI indexes the file (read,
check, chunk, one add, one flush) and the core adds the very chunks the CLI wrote, with the real
MiniLM. Best of two alternating runs each.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from _common import shared_texts, table

from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.tools.cli import main


def run_cli(corpus: Path, db: Path) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["index", str(corpus), "--db", str(db), "--no-progress"]) == 0
    return time.perf_counter() - start


def run_core(texts: list[str], metadatas: list[dict[str, object]], ids: list[str], db: Path) -> float:
    start = time.perf_counter()
    with HybridStore(str(db)) as store:
        store.add(texts, metadatas=metadatas, ids=ids)
    return time.perf_counter() - start


def main_benchmark(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        corpus = root / "corpus.jsonl"
        corpus.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(shared_texts()[:n])))
        run_cli(corpus, root / "warm.db")  # loads the model once for both
        with HybridStore(str(root / "warm.db")) as store:
            docs = list(store.documents())
        texts, metadatas, ids = [d.text for d in docs], [d.metadata for d in docs], [d.id for d in docs]
        cli, core = [], []
        for attempt in range(2):
            cli.append(run_cli(corpus, root / f"cli{attempt}.db"))
            core.append(run_core(texts, metadatas, ids, root / f"core{attempt}.db"))
    best_cli, best_core = min(cli), min(core)
    print(
        table(
            ["path", "documents", "chunks", "seconds (best of 2)", "chunks/s", "time / core"],
            [
                ["HybridStore.add (one call)", n, len(texts), best_core, len(texts) / best_core, 1.0],
                ["mma index (JSONL)", n, len(texts), best_cli, len(texts) / best_cli, best_cli / best_core],
            ],
        )
    )


if __name__ == "__main__":
    main_benchmark(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
