"""Milvus Lite 2.5 (C++) vs 3.x (pure Python): raw pymilvus latency on the same data, side by side.

    python benchmarks/lite_generations.py [--rows 100000] [--queries 100]

Each generation is installed into its own folder under ``benchmarks/.lite/`` (``pip install
--target``, once) and run in a subprocess with that folder first on ``sys.path``; pymilvus is the
one installed with the project. The collection is the store's schema with random dense vectors
and BM25-like sparse vectors; the table gives p50 / p95 of single-query dense, sparse and hybrid
(RRF, 50 per route) searches, after flush and after the indexes were built.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _common import percentiles, table

HERE = Path(__file__).resolve().parent
VERSIONS = {"2.5.1": "milvus-lite==2.5.1", "3.2.2": "milvus-lite==3.2.2"}


def child(rows: int, n_queries: int, db: str) -> None:
    import numpy as np
    from pymilvus import AnnSearchRequest, DataType, MilvusClient, RRFRanker

    rng = np.random.default_rng(0)
    client = MilvusClient(db)
    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("text", DataType.VARCHAR, max_length=256)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=384)
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    index = client.prepare_index_params()
    index.add_index("dense", index_type="AUTOINDEX", metric_type="IP")
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP", params={"drop_ratio_build": 0.0})
    client.create_collection("gen", schema=schema, index_params=index)
    vocab = 30_000
    start = time.perf_counter()
    for lo in range(0, rows, 5000):
        n = min(5000, rows - lo)
        dense = rng.standard_normal((n, 384)).astype(np.float32)
        dense /= np.linalg.norm(dense, axis=1, keepdims=True)
        data = [
            {
                "id": lo + i,
                "text": f"doc {lo + i}",
                "dense": dense[i],
                "sparse": {int(t): float(rng.random()) for t in rng.zipf(1.3, 40) % vocab},
            }
            for i in range(n)
        ]
        client.insert("gen", data)
        client.flush("gen")
    insert_s = time.perf_counter() - start
    client.release_collection("gen")
    client.load_collection("gen")
    queries = rng.standard_normal((n_queries, 384)).astype(np.float32)
    sparse_q = [{int(t): 1.0 for t in rng.zipf(1.3, 5) % vocab} for _ in range(n_queries)]
    out = ["id", "text"]
    client.search("gen", [queries[0]], anns_field="dense", limit=10, output_fields=out)
    client.search("gen", [sparse_q[0]], anns_field="sparse", limit=10, output_fields=out)
    timings: dict[str, list[float]] = {"dense": [], "sparse": [], "hybrid": []}
    for q, s in zip(queries, sparse_q, strict=True):
        t0 = time.perf_counter()
        client.search("gen", [q], anns_field="dense", limit=10, output_fields=out)
        t1 = time.perf_counter()
        client.search("gen", [s], anns_field="sparse", limit=10, output_fields=out)
        t2 = time.perf_counter()
        reqs = [
            AnnSearchRequest([q], "dense", {"metric_type": "IP"}, 50),
            AnnSearchRequest([s], "sparse", {"metric_type": "IP"}, 50),
        ]
        client.hybrid_search("gen", reqs, RRFRanker(60), limit=10, output_fields=out)
        t3 = time.perf_counter()
        timings["dense"].append(t1 - t0)
        timings["sparse"].append(t2 - t1)
        timings["hybrid"].append(t3 - t2)
    client.close()
    print(json.dumps({"insert_rows_per_s": rows / insert_s, **{k: percentiles(v) for k, v in timings.items()}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), int(args.child[1]), args.child[2])
        return
    results = {}
    for version, requirement in VERSIONS.items():
        target = HERE / ".lite" / version
        if not (target / "milvus_lite").is_dir():
            extra = ["faiss-cpu>=1.7.4", "pyarrow>=15"] if version.startswith("3") else ["setuptools<81"]
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-deps",
                    "--target",
                    str(target),
                    requirement,
                    *extra,
                ],
                check=True,
            )
        workdir = HERE / ".lite" / f"run-{version}"
        subprocess.run(["rm", "-rf", str(workdir)], check=True)
        workdir.mkdir(parents=True)
        env = {**os.environ, "PYTHONPATH": str(target)}
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(args.rows), str(args.queries), str(workdir / "gen.db")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"milvus-lite {version} failed:\n{proc.stderr[-2000:]}")
        results[version] = json.loads(proc.stdout.strip().splitlines()[-1])
        subprocess.run(["rm", "-rf", str(workdir)], check=True)
    rows = []
    for version, r in results.items():
        rows.append(
            [version, f"{r['insert_rows_per_s']:.0f}"]
            + [f"{r[m][0]:.1f} / {r[m][1]:.1f}" for m in ("dense", "sparse", "hybrid")]
        )
    base = results["2.5.1"]
    rows.append(
        ["3.2.2 / 2.5.1 (p50)", ""]
        + [f"{results['3.2.2'][m][0] / base[m][0]:.1f}x" for m in ("dense", "sparse", "hybrid")]
    )
    print(
        table(
            [
                f"milvus-lite ({args.rows} rows)",
                "insert rows/s",
                "dense p50/p95 ms",
                "sparse p50/p95 ms",
                "hybrid p50/p95 ms",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
