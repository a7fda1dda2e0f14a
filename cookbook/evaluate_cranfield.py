"""Evaluate dense, BM25 and hybrid (RRF and weighted fusion) on Cranfield and save the comparison plot.

    python cookbook/evaluate_cranfield.py [PATH_TO_BEIR_CRANFIELD] [--plot cranfield.png]

Equivalent to ``milvus-model-adapters eval PATH --plot cranfield.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from milvus_model_adapters.tools.cli import main

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cranfield"

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("beir_dir", nargs="?", default=str(DEFAULT))
    parser.add_argument("--plot", default="cranfield.png")
    args = parser.parse_args()
    raise SystemExit(main(["eval", args.beir_dir, "--plot", args.plot, "--no-progress"]))
