"""Ask pip's resolver whether the package installs beside today's Milvus stacks (no tests: pip --dry-run).

Usage: ``python .ci/resolve.py [VENV_PYTHON ...]``. Fresh resolutions run with this interpreter's pip;
each ``VENV_PYTHON`` is an environment that already holds a stack, where installing the package must
leave pymilvus and milvus-lite as they are.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WATCHED = ("pymilvus", "milvus-lite", "langchain-milvus", "llama-index-vector-stores-milvus", "setuptools")

# (requirements beside the package, what the resolution must pick)
FRESH: list[tuple[list[str], dict[str, str]]] = [
    (["."], {"pymilvus": "3.", "milvus-lite": "3."}),
    ([".[fast-lite]"], {"milvus-lite": "2.5."}),
    ([".", "langchain-milvus==0.4.0"], {"pymilvus": "3.", "milvus-lite": "3."}),
    ([".", "llama-index-vector-stores-milvus==1.2.0"], {"pymilvus": "2.6."}),
    ([".[fast-lite]", "llama-index-vector-stores-milvus==1.2.0"], {"pymilvus": "2.6.", "milvus-lite": "2.5."}),
    ([".", "langchain-milvus==0.3.3"], {"pymilvus": "2.6."}),
    ([".[fast-lite]", "langchain-milvus==0.3.3", "pymilvus==2.6.7"], {"pymilvus": "2.6.7", "milvus-lite": "2.5."}),
]


def resolve(python: str, requirements: list[str], *, fresh: bool) -> dict[str, str] | str:
    """Versions pip would install (name -> version), or pip's error."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report)]
        cmd += ["--ignore-installed"] if fresh else []
        proc = subprocess.run([*cmd, *requirements], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            lines = [line for line in proc.stderr.splitlines() if "is ignored" not in line]
            return "\n".join(lines[-12:])
        data = json.loads(report.read_text())
    return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in data["install"]}


def installed(python: str) -> dict[str, str]:
    proc = subprocess.run([python, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True, check=True)
    return {p["name"].lower(): p["version"] for p in json.loads(proc.stdout)}


def main(stacks: list[str]) -> int:
    failures = 0
    print("| requirements | pymilvus | milvus-lite | result |\n|---|---|---|---|")
    with ThreadPoolExecutor(max_workers=4) as pool:  # pip waits on the index, not the CPU
        fresh = list(pool.map(lambda reqs: resolve(sys.executable, reqs, fresh=True), [r for r, _ in FRESH]))
    for (requirements, expected), picked in zip(FRESH, fresh, strict=True):
        if isinstance(picked, str):
            ok, shown = False, ("-", "-", "resolution failed:\n" + picked)
        else:
            ok = all(picked.get(name, "").startswith(prefix) for name, prefix in expected.items())
            shown = (
                picked.get("pymilvus", "-"),
                picked.get("milvus-lite", "-"),
                "ok" if ok else f"expected {expected}",
            )
        failures += not ok
        print(f"| {' '.join(requirements)} | {shown[0]} | {shown[1]} | {shown[2]} |")
    for python in stacks:
        before = installed(python)
        picked = resolve(python, ["."], fresh=False)
        if isinstance(picked, str):
            failures += 1
            print(f"| . into {python} | - | - | resolution failed:\n{picked} |")
            continue
        changed = {name: (before.get(name), picked[name]) for name in WATCHED if name in picked}
        failures += bool(changed)
        result = "ok: nothing of the stack changes" if not changed else f"would change {changed}"
        print(f"| . into {python} | {before.get('pymilvus')} | {before.get('milvus-lite')} | {result} |")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
