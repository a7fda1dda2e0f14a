"""Reading PDF, HTML and Word files: their text, their pages and their title (the ``documents`` extra).

The libraries are imported when a file of their kind is read: pypdf for PDF (a page's text layer,
page by page), lxml for HTML (the main text: ``<main>``, ``<article>`` or the body without navigation,
scripts and styles) and python-docx for Word's ``.docx`` (paragraphs and tables in order). A file
they cannot parse raises :class:`UnreadableError`; a PDF whose pages hold no text (a scan) raises
:class:`NoTextLayerError`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from milvus_model_adapters._deps import require
from milvus_model_adapters.errors import InvalidInputError

EXTRA = "documents"
INSTALL_HINT = f'pip install "milvus-model-adapters[{EXTRA}]"'

FORMATS: dict[str, str] = {".pdf": "pdf", ".html": "html", ".htm": "html", ".xhtml": "html", ".docx": "docx"}
"""The suffixes read by this module and their format."""

_LIBRARY = {
    "pdf": ("pypdf", "reading PDF files"),
    "html": ("lxml", "reading HTML files"),
    "docx": ("docx", "reading Word files"),
}


class UnreadableError(InvalidInputError):
    """A file that cannot be read or parsed (damaged, encrypted, not of its format, not UTF-8 text).

    Attributes:
        detail: What is wrong, without the file's name (the message names it).
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


class NoTextLayerError(UnreadableError):
    """A PDF whose pages hold no text: a scan, or pictures of text, to be run through OCR first."""


@dataclass
class Extracted:
    """The text of a document file.

    Attributes:
        text: The whole text, paragraphs separated by blank lines.
        title: The document's title, where the file holds one (PDF and Word properties, HTML ``<title>``).
        pages: For a PDF, the text of each page, the first page first; ``None`` for other formats.
    """

    text: str
    title: str | None = None
    pages: list[str] | None = None


def read_document(path: Path, data: bytes) -> Extracted:
    """Extract the text of a PDF, HTML or Word file whose bytes are ``data``.

    Raises:
        MissingDependencyError: If the ``documents`` extra is not installed (the message names it).
        UnreadableError: If the file cannot be parsed.
        NoTextLayerError: If a PDF has pages but no text on any of them.
        InvalidInputError: If the suffix is not one of :data:`FORMATS`.
    """
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidInputError(f"unsupported file type {path.suffix!r}: {path}")
    module, purpose = _LIBRARY[kind]
    require(module, extra=EXTRA, purpose=purpose)
    if kind == "pdf":
        return _read_pdf(path, data)
    if kind == "html":
        return _read_html(path, data)
    return _read_docx(path, data)


# ---------------------------------------------------------------------- PDF
def _read_pdf(path: Path, data: bytes) -> Extracted:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableError(f"cannot read PDF {path}: encrypted with a password", "encrypted with a password")
        pages = [_clean(page.extract_text() or "") for page in reader.pages]
        info = reader.metadata
        title = _title(info.get("/Title")) if info is not None else None
    except UnreadableError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files  # noqa: BLE001
        raise UnreadableError(f"cannot read PDF {path}: {_reason(exc)}", _reason(exc)) from None
    if pages and not any(p.strip() for p in pages):
        detail = f"no text on any of its {len(pages)} page(s); a scan? run it through OCR first"
        raise NoTextLayerError(f"{path} has no text layer: {detail}", detail)
    return Extracted("\n\n".join(p for p in pages if p.strip()), title, pages)


def _clean(text: str) -> str:
    """A page's text with the NUL and control characters some PDFs hold removed."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", " ", text).strip()


# ---------------------------------------------------------------------- HTML
_DROPPED = ("script", "style", "noscript", "template", "svg", "nav", "aside", "form", "button", "iframe", "select")
_BLOCK_NAMES = (
    "address article aside blockquote body br caption dd details div dl dt fieldset figcaption figure footer h1 "
    "h2 h3 h4 h5 h6 header hr li main ol p pre section summary table tbody thead tfoot tr ul"
)
_BLOCKS = frozenset(_BLOCK_NAMES.split())
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _read_html(path: Path, data: bytes) -> Extracted:
    from lxml import etree, html

    if not data.strip():
        return Extracted("")  # an empty page: reported as empty, not as unreadable
    if b"\x00" in data[:4096]:
        raise UnreadableError(f"cannot read HTML {path}: binary data, not HTML", "binary data, not HTML")
    try:
        source = _decode_html(data)
        root = html.document_fromstring(source)
    except (etree.ParserError, ValueError) as exc:
        raise UnreadableError(f"cannot read HTML {path}: {_reason(exc)}", _reason(exc)) from None
    title = _title(root.findtext(".//title")) or _title(_meta(root, "og:title")) or _title(_first_text(root, "h1"))
    content = next(
        (found[0] for xpath in ("//main", "//article", "//*[@role='main']") if (found := root.xpath(xpath))),
        None,
    )
    dropped = _DROPPED if content is not None else (*_DROPPED, "header", "footer")
    if content is None:
        content = root.find("body") if root.find("body") is not None else root
    for element in list(content.iter(*dropped)):
        if element is not content:
            element.drop_tree()
    return Extracted("\n\n".join(_paragraphs(content)), title)


def _decode_html(data: bytes) -> str:
    """The page's text: its BOM or ``<meta charset>``, else UTF-8, else Windows-1252 (what browsers do)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            text = data.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            text = None
        if text is not None:
            return _strip_xml_declaration(text)
    try:
        return _strip_xml_declaration(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _strip_xml_declaration(data.decode("cp1252", errors="replace"))


def _strip_xml_declaration(text: str) -> str:
    # lxml refuses a str that declares its encoding.
    return re.sub(r"^\s*<\?xml[^>]*\?>", "", text)


def _meta(root: Any, prop: str) -> str | None:
    found = root.xpath(f"//meta[@property='{prop}']/@content")
    return str(found[0]) if found else None


def _first_text(root: Any, tag: str) -> str | None:
    element = root.find(f".//{tag}")
    return None if element is None else str(element.text_content())


def _paragraphs(content: Any) -> Iterator[str]:
    """The text of ``content``, a paragraph for each block element, whitespace collapsed."""
    from lxml import etree

    parts: list[str] = []

    def flush() -> Iterator[str]:
        text = " ".join("".join(parts).split())
        parts.clear()
        if text:
            yield text

    for event, element in etree.iterwalk(content, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else None
        block = tag is not None and tag.lower() in _BLOCKS
        if event == "start":
            if block:
                yield from flush()
            elif tag in ("td", "th"):
                parts.append(" ")
            if tag is not None and element.text:
                parts.append(element.text)
            continue
        if block:
            yield from flush()
        elif tag in ("td", "th"):
            parts.append(" ")
        if element is not content and element.tail:
            parts.append(element.tail)
    yield from flush()


# ---------------------------------------------------------------------- Word
def _read_docx(path: Path, data: bytes) -> Extracted:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs: list[str] = []
        style_title: str | None = None
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                paragraphs.extend(_table_rows(block))
                continue
            text = block.text.strip()
            if text and style_title is None and block.style is not None and block.style.name == "Title":
                style_title = text
            if text:
                paragraphs.append(text)
        title = _title(document.core_properties.title) or style_title
    except Exception as exc:  # a damaged package raises zipfile, KeyError or lxml errors  # noqa: BLE001
        raise UnreadableError(f"cannot read Word file {path}: {_reason(exc)}", _reason(exc)) from None
    return Extracted("\n\n".join(paragraphs), title)


def _table_rows(table: Any) -> Iterator[str]:
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):  # a merged cell repeats in each column it spans
                cells.append(text)
        if cells:
            yield " | ".join(cells)


# ---------------------------------------------------------------------- helpers
def _title(value: object) -> str | None:
    text = " ".join(str(value).split()) if isinstance(value, str) else ""
    return text or None


def _reason(exc: BaseException) -> str:
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def citation(metadata: Mapping[str, Any]) -> str:
    """Where a chunk comes from, for a person: ``manual.pdf p. 3`` or ``manual.pdf pp. 3-4``, then its title.

    Args:
        metadata: A chunk's metadata as ``mma index`` (or the loaders) wrote it: ``source``, and
            ``page_start`` / ``page_end`` and ``title`` where the file had them.
    """
    where = str(metadata.get("source", ""))
    start, end = metadata.get("page_start"), metadata.get("page_end")
    if start is not None:
        where += f" p. {start}" if end in (None, start) else f" pp. {start}-{end}"
    title = metadata.get("title")
    return f'{where}  "{title}"' if title else where
