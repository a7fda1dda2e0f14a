"""The documentation a user reads: README.md and the site's pages, and the code blocks they hold.

A block preceded by ``<!-- ci: ... -->`` is not run by the tests: ``install`` is the install line ``.ci/run``
runs itself (from README.md), ``these are .ci/run's own steps`` the development commands, and ``not run:
<reason>`` a block that cannot run offline (a remote server, a paid API), with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"(?:<!-- ci: (?P<ci>[^>]*) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)
CI_MARKS = ("install", "these are .ci/run's own steps")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: str  # the path from the repository's root
    line: int
    lang: str
    code: str
    ci: str | None  # the ``<!-- ci: ... -->`` mark before it, if any

    @property
    def id(self) -> str:
        """A test id: the page and the line."""
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """README.md, then every Markdown page of the site's source."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def page_texts() -> dict[str, str]:
    """Each page's text by its path from the repository's root, included files not expanded."""
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in pages()}


def blocks() -> list[Block]:
    """Every Python and bash block of every page, in page order."""
    found = []
    for page, text in page_texts().items():
        for match in _BLOCK.finditer(text):
            if match["lang"] in ("python", "bash"):
                line = text.count("\n", 0, match.start("code"))
                found.append(Block(page, line, match["lang"], match["code"], match["ci"]))
    return found


def runnable() -> list[Block]:
    """The blocks the tests run: unmarked ones, each distinct code once (a quickstart may stand on two pages)."""
    seen: set[str] = set()
    unique = []
    for block in blocks():
        if block.ci is None and block.code not in seen:
            seen.add(block.code)
            unique.append(block)
    return unique
