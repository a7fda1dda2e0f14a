"""Every code block of README.md runs, as a user would run it, in an empty folder.

Python blocks run as scripts, each in a new process forked from one that has imported the stack
(:mod:`tests.support.warm_python`); bash blocks run with ``bash -e`` beside the files they name (``docs/``,
``notes.jsonl``) and with ``MMA_DATASETS`` set. A block preceded by ``<!-- ci: ... -->`` is one that
``.ci/run`` itself executes (the install line) or that is ``.ci/run``'s own steps.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import warm_python
from tests.support.datasets import DATASETS

pytestmark = pytest.mark.docs_readme  # CI runs these on one stack (.ci/run)

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"(?:<!-- ci: (?P<ci>[^>]*) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)


def blocks() -> list[tuple[str, str, str | None, int]]:
    text = README.read_text(encoding="utf-8")
    return [
        (m["lang"], m["code"], m["ci"], text.count("\n", 0, m.start()) + 1)
        for m in _BLOCK.finditer(text)
        if m["lang"] in ("python", "bash")
    ]


def runnable() -> list[pytest.ParameterSet]:
    return [pytest.param(lang, code, id=f"{lang}-line{line}") for lang, code, ci, line in blocks() if ci is None]


def test_every_block_is_run_here_or_by_ci() -> None:
    found = blocks()
    assert len(found) >= 9
    by_ci = [code for _, code, ci, _ in found if ci is not None]
    ci_script = (README.parent / ".ci" / "run").read_text()
    assert "readme_install" in ci_script  # .ci/run runs the install line itself
    assert any("pip install -e" in code for code in by_ci)
    assert all(lang in ("python", "bash") for lang, *_ in found)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kettle.md").write_text("# Kettles\n\nTo descale a kettle, boil vinegar and water.\n")
    rows = [
        {"id": "n1", "text": "Descale the kettle every month.", "topic": "appliances"},
        {"id": "n2", "text": "Bread dough rises when the yeast is alive.", "topic": "baking"},
    ]
    (tmp_path / "notes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path


@pytest.mark.parametrize(("lang", "code"), runnable())
def test_readme_block_runs(lang: str, code: str, workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(HF_HUB_OFFLINE="1", MMA_DATASETS=str(DATASETS))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if "MMA_DATASETS" in code and not (DATASETS / "cranfield" / "corpus.jsonl").exists():
        pytest.skip(f"the block reads the shared datasets, not found at {DATASETS} (set MMA_DATASETS)")
    if lang == "python":
        proc = warm_python.run(code, [], cwd=workdir, env=env, timeout=900)
    else:
        cmd = ["bash", "-euo", "pipefail", "-c", code]
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
