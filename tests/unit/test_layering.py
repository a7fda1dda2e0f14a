"""The package's imports run one way, down the layers below, and form no circle.

Every import statement counts, wherever it stands (module level, inside a function, under
``TYPE_CHECKING``): a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "milvus_model_adapters"
ROOT = "milvus_model_adapters"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("errors", "_messages", "_deps", "_validate", "_progress", "_cache", "_version")),
    ("text analysis", ("text",)),
    ("BM25", ("bm25",)),
    ("encoders", ("encoders",)),
    ("rerankers", ("rerank",)),
    (
        "the collection",
        (
            "store.schema",
            "store.fields",
            "store.field_inference",
            "store.framework_fields",
            "store.types",
            "store.connection",
            "store.lite_files",
            "store.engine",
            "store.steps",
            "store.aio",
        ),
    ),
    ("filters", ("store.filters",)),
    ("documents and tenants", ("store.documents", "store.tenants")),
    ("sparse sources", ("store.sparse", "store.routes")),
    ("writes and opening", ("store.writes", "store.opening")),
    ("search", ("store.search",)),
    ("the store", ("store.collection", "store.hybrid", "store")),
    ("files to chunks", ("files",)),
    ("tools", ("tools",)),
    ("framework adapters", ("_fields", "langchain", "llama_index")),
    ("the package", ("",)),
]
"""From the bottom up; a module imports modules of its own layer or of layers below."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    inner = module[len(ROOT) + 1 :] if module != ROOT else ""
    best, depth = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = inner == prefix or (prefix and inner.startswith(prefix + "."))
            if matches and len(prefix) > depth:
                best, depth = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def imports_of(module: str) -> set[str]:
    """The package's modules that ``module`` imports (a name imported from a package is its module if it is one)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in MODULES else base)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imports_of(module) for module in MODULES}


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_runs_up_a_layer(module: str) -> None:
    up = [name for name in GRAPH[module] if layer_of(name) > layer_of(module)]
    names = [f"{name} ({LAYERS[layer_of(name)][0]})" for name in sorted(up)]
    assert not up, f"{module} ({LAYERS[layer_of(module)][0]}) imports up: {', '.join(names)}"


def test_no_import_circles() -> None:
    circles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for name in sorted(GRAPH[module]):
            if state.get(name) == 1:
                circles.append([*stack[stack.index(name) :], name])
            elif name not in state:
                visit(name)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("store.sparse", "store.hybrid"),
        ("store.sparse", "store.search"),
        ("store.sparse", "store.writes"),
        ("store.search", "store.writes"),
        ("store.filters.parse", "store.filters.emit"),
        ("store.filters.parse", "store.engine"),
        ("bm25.params", "bm25.encoder"),
        ("bm25.settings", "bm25.encoder"),
        ("encoders.onnx", "encoders.dense"),
        ("langchain", "llama_index"),
        ("llama_index", "langchain"),
        ("langchain", "tools"),
        ("llama_index", "tools"),
    ],
)
def test_named_rules(importer: str, imported: str) -> None:
    def inside(module: str, prefix: str) -> bool:
        full = f"{ROOT}.{prefix}"
        return module == full or module.startswith(full + ".")

    broken = sorted(
        f"{a} -> {b}" for a, targets in GRAPH.items() for b in targets if inside(a, importer) and inside(b, imported)
    )
    assert not broken, f"{importer} must not import {imported}: {', '.join(broken)}"


def test_the_core_imports_no_framework() -> None:
    frameworks = ("langchain_core", "llama_index", "langchain_milvus", "pydantic")
    for module, path in MODULES.items():
        if layer_of(module) >= layer_of(f"{ROOT}.langchain"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not [n for n in names if n.split(".")[0] in frameworks], f"{module} imports {names}"


FACES = ("store", "encoders", "rerank")
"""The core packages that the framework adapters reach through their ``__init__`` only."""


@pytest.mark.parametrize("adapter", ["langchain", "llama_index"])
def test_the_adapters_import_the_core_through_its_faces(adapter: str) -> None:
    deep = sorted(
        f"{module} -> {name}"
        for module in GRAPH
        if module.startswith(f"{ROOT}.{adapter}")
        for name in GRAPH[module]
        if any(name.startswith(f"{ROOT}.{face}.") for face in FACES)
    )
    assert not deep, "deep imports of the core:\n" + "\n".join(deep)
