"""MkDocs hooks: the command-line reference from the parser itself, and llms.txt from the pages.

- ``<!-- mma-cli-reference -->`` in a page becomes the help of ``mma`` and of each of its commands, as
  ``argparse`` prints it, so the reference cannot drift from the code.
- ``<!-- include: PATH -->`` in a page becomes the file at PATH (relative to the repository's root), with its
  links into ``docs/`` (written for reading the file where it lies, ``../docs/page.md``) made relative to the site.
- After the build, ``llms.txt`` (an index of the pages, https://llmstxt.org) and ``llms-full.txt`` (every page's
  Markdown in navigation order, API pages expanded from the docstrings) are written to the site's root.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

CLI_MARKER = "<!-- mma-cli-reference -->"
_DIRECTIVE = re.compile(r"^::: (?P<path>[\w.]+)(?P<options>\n(?:[ \t]+.*\n?)*)?", re.M)
_INCLUDE = re.compile(r"^<!-- include: (?P<path>[\w./-]+) -->$", re.M)
_DOCS_LINK = re.compile(r"\]\(\.\./docs/")

_pages: dict[str, tuple[str, str, str]] = {}  # src path -> (title, url, markdown)


def cli_reference() -> str:
    """The help of ``mma`` and of every command, each in a text block under its own heading."""
    from milvus_model_adapters.tools.cli import build_parser

    os.environ["COLUMNS"] = "88"  # argparse wraps at the terminal's width: fix it for a stable page
    parser = build_parser()
    parser.prog = "mma"
    parts = ["### `mma`", "", "```text", parser.format_help().rstrip(), "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                command.prog = f"mma {name}"
                parts += [f"### `mma {name}`", "", "```text", command.format_help().rstrip(), "```", ""]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Expand the command-line reference and the included files."""
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    root = Path(config.config_file_path).parent
    markdown = _INCLUDE.sub(lambda m: _DOCS_LINK.sub("](../", (root / m["path"]).read_text(encoding="utf-8")), markdown)
    _pages[page.file.src_uri] = (page.title or "", page.url, markdown)
    return markdown


def _docstring_text(path: str) -> str:
    """An API object's signature and docstring as plain Markdown (for ``llms-full.txt``)."""
    import griffe

    package = griffe.load(path.split(".")[0], search_paths=["."], resolve_aliases=False)
    try:
        obj = package[path.split(".", 1)[1]] if "." in path else package
        while obj.is_alias:
            obj = obj.final_target
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return f"`{path}`\n"
    heading = f"#### `{path}`"
    docstring = obj.docstring.value if obj.docstring else ""
    members = []
    if obj.is_class:
        for name, member in obj.members.items():
            if name.startswith("_") or member.is_alias or not member.docstring:
                continue
            first = member.docstring.value.strip().splitlines()[0]
            members.append(f"- `{name}`: {first}")
    return "\n\n".join(part for part in (heading, docstring, "\n".join(members)) if part) + "\n"


def on_post_build(config: Any) -> None:
    """Write ``llms.txt`` and ``llms-full.txt`` from the pages, in navigation order."""
    site = Path(config["site_dir"])
    order = [page.file.src_uri for page in _nav_pages]
    pages = [_pages[src] for src in order if src in _pages]
    index = [f"# {config['site_name']}", "", f"> {' '.join(config['site_description'].split())}", ""]
    index.append("The pages of the documentation, in the order of its navigation; `llms-full.txt` holds them whole.")
    index.append("")
    section = None
    for src, (title, url, markdown) in zip(order, pages, strict=False):
        top = src.split("/")[0] if "/" in src else "Start"
        if top != section:
            section = top
            index += ["", f"## {section.replace('-', ' ').capitalize()}", ""]
        index.append(f"- [{title}]({url or './'}): {_summary(markdown)}")
    (site / "llms.txt").write_text("\n".join(index) + "\n", encoding="utf-8")
    full = [f"# {config['site_name']}", ""]
    for title, url, markdown in pages:
        body = _DIRECTIVE.sub(lambda m: _docstring_text(m["path"]), markdown)
        full += [f"<!-- page: {url or './'} ({title}) -->", body.strip(), ""]
    (site / "llms-full.txt").write_text("\n".join(full) + "\n", encoding="utf-8")


def _summary(markdown: str) -> str:
    """The first prose paragraph of a page, on one line."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    for block in re.split(r"\n\s*\n", prose):
        text = block.strip()
        if text and not text.startswith(("#", "```", "|", "<!--", ":::", "!!!", "-", "*", "![")):
            return " ".join(text.split())[:300]
    return ""


_nav_pages: list[Any] = []


def on_nav(nav: Any, config: Any, files: Any) -> Any:
    """Keep the navigation's page order for ``llms.txt``."""
    _nav_pages[:] = nav.pages
    return nav
