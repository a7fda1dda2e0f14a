"""``mma eval`` on a BEIR folder, the first run (vectors encoded and kept) against a re-run (vectors read back).

    python benchmarks/embedding_cache.py [BEIR_FOLDER ...]

Each folder (default: the shared Cranfield and CISI) is evaluated three times in one process, with the
bundled MiniLM on torch: with ``--no-cache``, then twice with a cache folder of its own that starts
empty (the first run fills it, the second reads it). The model is loaded before the first timing.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, table

from milvus_model_adapters.encoders.dense import DenseEncoder
from milvus_model_adapters.tools.cli import main


def timed_eval(folder: Path, *extra: str) -> float:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["eval", str(folder), "--no-progress", *extra]) == 0
    return time.perf_counter() - start


def run(folders: list[Path]) -> None:
    DenseEncoder.default().encode_documents(["load the model before timing"])
    rows = []
    for folder in folders:
        with tempfile.TemporaryDirectory() as cache:
            os.environ["MMA_CACHE_DIR"] = cache
            uncached = timed_eval(folder, "--no-cache")
            first = timed_eval(folder)
            again = timed_eval(folder)
        rows.append([folder.name, "--no-cache", uncached, 1.0])
        rows.append([folder.name, "first run (fills the cache)", first, first / uncached])
        rows.append([folder.name, "re-run (reads the cache)", again, again / uncached])
    print(table(["dataset", "mma eval", "seconds", "x --no-cache"], rows))


if __name__ == "__main__":
    datasets = ROOT.parent / "shared" / "datasets"
    given = [Path(p) for p in sys.argv[1:]] or [datasets / "cranfield", datasets / "cisi"]
    run(given)
