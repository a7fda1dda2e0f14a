"""The documentation holds to the code: the tests it names exist, its pictures and references cover the package.

Pages are README.md and the site's source under ``docs/`` (:mod:`tests.support.doc_pages`); ``mkdocs build
--strict`` (run by ``.ci/run``) checks links, the navigation and the API reference's names.
"""

from __future__ import annotations

import importlib
import re

import pytest
import yaml

from tests.support import doc_pages

ROOT = doc_pages.ROOT
TEXTS = doc_pages.page_texts()
REFERENCES = sorted(
    {(page, *ref) for page, text in TEXTS.items() for ref in re.findall(r"(tests/[\w/]+\.py)(?:::(\w+))?", text)}
)


def test_the_pages_name_tests() -> None:
    assert len({(path, name) for _, path, name in REFERENCES}) >= 30


@pytest.mark.parametrize(("page", "path", "name"), REFERENCES)
def test_every_test_a_page_names_exists(page: str, path: str, name: str) -> None:
    source = ROOT / path
    assert source.is_file(), f"{page} names {path}, which does not exist"
    if name:
        assert re.search(rf"^(async )?def {name}\b", source.read_text(encoding="utf-8"), re.M), (
            f"{page}: {path}::{name}"
        )


def test_every_guarantee_names_a_test() -> None:
    rows = [line for line in TEXTS["docs/guarantees.md"].splitlines() if line.startswith("| ") and "---" not in line]
    promises = rows[1:]  # the header row first
    assert len(promises) >= 25
    for row in promises:
        assert "tests/" in row or ".ci/" in row, f"a guarantee without the test that proves it: {row[:100]}"


def test_the_architecture_page_names_every_folder_and_module() -> None:
    text = TEXTS["docs/design/architecture.md"]
    start = text.index("```")
    picture = text[start : text.index("```", start + 3)]
    package = ROOT / "milvus_model_adapters"
    for path in sorted(package.rglob("*.py")):
        if path.name == "__init__.py":
            name = path.parent.name
            assert path.parent == package or f"{name}/" in picture, f"the architecture picture lacks {name}/"
        elif path.stem not in ("_version", "_fields"):
            assert path.stem in picture, f"the architecture picture lacks {path.relative_to(package)}"


def _nav() -> list[tuple[tuple[str, ...], str]]:
    """Every page of the navigation with the titles leading to it."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))

    def walk(items: list[object], trail: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
        found = []
        for item in items:
            assert isinstance(item, dict)
            ((title, value),) = item.items()
            if isinstance(value, list):
                found += walk(value, (*trail, title))
            else:
                found.append(((*trail, title), value))
        return found

    return walk(config["nav"], ())


def test_every_page_is_in_the_navigation_once() -> None:
    in_nav = [page for _, page in _nav()]
    on_disk = sorted(str(p.relative_to(doc_pages.DOCS)) for p in doc_pages.DOCS.rglob("*.md"))
    assert sorted(in_nav) == on_disk


@pytest.mark.parametrize(
    ("question", "page", "heading"),
    [
        ("how to filter in LangChain", "frameworks/langchain.md", "## Filters"),
        ("how to move to a Milvus server", "operations/server.md", "# From Milvus Lite to a Milvus server"),
        ("what hybrid search costs against the official integrations", "benchmarks/peers.md", "# Against"),
        ("which Milvus Lite to install", "operations/choosing-lite.md", "# Choosing a Milvus Lite"),
    ],
)
def test_a_newcomers_questions_are_two_clicks_away(question: str, page: str, heading: str) -> None:
    trails = {target: trail for trail, target in _nav()}
    assert page in trails, f"{question}: {page} is not in the navigation"
    assert len(trails[page]) <= 2, f"{question}: {' > '.join(trails[page])} is more than two clicks"
    assert re.search(rf"^{re.escape(heading)}", TEXTS[f"docs/{page}"], re.M), f"{question}: {page} lacks {heading}"


PUBLIC_FACES = (
    "milvus_model_adapters",
    "milvus_model_adapters.store",
    "milvus_model_adapters.rerank",
    "milvus_model_adapters.langchain",
    "milvus_model_adapters.llama_index",
)


def _public_names() -> list[tuple[str, str]]:
    names = []
    for face in PUBLIC_FACES:
        exports = getattr(importlib.import_module(face), "_EXPORTS", None)
        for name in importlib.import_module(face).__all__:
            names.append((face, name if exports is None else f"{exports[name]}.{name}"))
    return names


def test_the_api_reference_documents_every_public_name() -> None:
    reference = "\n".join(text for page, text in TEXTS.items() if page.startswith("docs/reference/api/"))
    directives = set(re.findall(r"^::: ([\w.]+)", reference, re.M))
    for face, name in _public_names():
        if "." not in name:  # a framework face: find where the name is defined
            module = getattr(importlib.import_module(face), name).__module__
            name = f"{module}.{name}"
        module = name.rsplit(".", 1)[0]
        assert name in directives or module in directives, f"{face}: {name} has no ::: entry in docs/reference/api"
