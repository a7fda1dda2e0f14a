"""Every code block of README.md and of the documentation's pages runs, as a user would run it, in an empty folder.

Python blocks run as scripts, each in a new process forked from one that has imported the stack
(:mod:`tests.support.warm_python`); bash blocks run with ``bash -e`` beside the files they name (``docs/``,
``notes.jsonl``) and with ``MMA_DATASETS`` set. The same code on two pages (a quickstart) runs once. A block
preceded by ``<!-- ci: ... -->`` is one that ``.ci/run`` itself executes (the install line), ``.ci/run``'s own
steps, or one that cannot run offline, with its reason (:mod:`tests.support.doc_pages`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import doc_pages, warm_python
from tests.support.datasets import DATASETS

pytestmark = pytest.mark.docs_pages  # CI runs these on one stack (.ci/run)


def test_every_block_is_run_here_or_by_ci() -> None:
    found = doc_pages.blocks()
    assert len(doc_pages.runnable()) >= 20
    assert all(block.lang in ("python", "bash") for block in found)
    for block in found:
        if block.ci is not None:
            reason = block.ci.removeprefix("not run:").strip()
            assert block.ci in doc_pages.CI_MARKS or (block.ci.startswith("not run:") and len(reason) > 10), (
                f"{block.id}: a block CI does not run says why: <!-- ci: not run: <reason> -->"
            )
    ci_script = (doc_pages.ROOT / ".ci" / "run").read_text()
    assert "readme_install" in ci_script  # .ci/run runs the README's install line itself
    installs = {block.code for block in found if block.ci == "install"}
    assert len(installs) == 1, "every page shows the one install line .ci/run runs"
    assert any("pip install -e" in code for code in installs)


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


@pytest.mark.parametrize("block", doc_pages.runnable(), ids=lambda block: block.id)
def test_block_runs(block: doc_pages.Block, workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(HF_HUB_OFFLINE="1", MMA_DATASETS=str(DATASETS))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if "MMA_DATASETS" in block.code and not (DATASETS / "cranfield" / "corpus.jsonl").exists():
        pytest.skip(f"the block reads the shared datasets, not found at {DATASETS} (set MMA_DATASETS)")
    if block.lang == "python":
        proc = warm_python.run(block.code, [], cwd=workdir, env=env, timeout=900)
    else:
        cmd = ["bash", "-euo", "pipefail", "-c", block.code]
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"{block.id}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
