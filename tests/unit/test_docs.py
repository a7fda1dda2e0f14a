"""What the README says is proved by a test names a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REFERENCES = sorted(set(re.findall(r"(tests/[\w/]+\.py)(?:::(\w+))?", README)))


def test_the_readme_names_tests() -> None:
    assert len(REFERENCES) >= 30


@pytest.mark.parametrize(("path", "name"), REFERENCES)
def test_every_test_the_readme_names_exists(path: str, name: str) -> None:
    source = ROOT / path
    assert source.is_file(), f"the README names {path}, which does not exist"
    if name:
        assert re.search(rf"^(async )?def {name}\b", source.read_text(encoding="utf-8"), re.M), f"{path}::{name}"


def test_the_architecture_section_names_every_folder_and_module() -> None:
    start = README.index("## Architecture")
    picture = README[start : README.index("```", README.index("```", start) + 3)]
    package = ROOT / "milvus_model_adapters"
    for path in sorted(package.rglob("*.py")):
        if path.name == "__init__.py":
            name = path.parent.name
            assert path.parent == package or f"{name}/" in picture, f"the architecture picture lacks {name}/"
        elif path.stem not in ("_version", "_fields"):
            assert path.stem in picture, f"the architecture picture lacks {path.relative_to(package)}"
