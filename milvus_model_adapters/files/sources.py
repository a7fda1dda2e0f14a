"""Files to index: text, Markdown, PDF, HTML and Word files, folders, JSONL files and BEIR folders, read and checked.

A file named on the command line that cannot be read is an error. In a folder, every file that is
not indexed is reported with its reason (:data:`SKIP_REASONS`): nothing is left out silently, except
hidden files and folders (``.git``, ``.DS_Store``), which are never walked into, and what the
``include`` / ``exclude`` patterns leave out.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.files.readers import FORMATS, NoTextLayerError, UnreadableError, read_document

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".rst")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".jsonl", *FORMATS)
SKIP_REASONS = ("unsupported type", "empty", "no text layer", "unreadable")
"""Why a file is not indexed, in the order the summary lists them."""


@dataclass
class SourceDocument:
    """A file (or one record of a JSONL file) to be chunked and indexed.

    ``pages`` holds a PDF's text page by page (``text`` is their concatenation); chunks of such a
    document carry the pages they come from.
    """

    source: str
    text: str
    fingerprint: str
    metadata: dict[str, Any] = field(default_factory=dict)
    doc_id: str | None = None
    pages: list[str] | None = None


@dataclass(frozen=True)
class Skipped:
    """A file (or JSONL record) that was not indexed, and why: one of :data:`SKIP_REASONS`."""

    source: str
    reason: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        """The JSON form ``mma index --json`` prints."""
        return {"source": self.source, "reason": self.reason, "detail": self.detail}


@dataclass
class Sources:
    """What paths hold: the documents to index, what was skipped and why, how many files the patterns left out."""

    documents: list[SourceDocument] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    excluded: int = 0

    def skipped_by_reason(self) -> dict[str, int]:
        """How many were skipped for each reason, in the order of :data:`SKIP_REASONS`."""
        counts = Counter(s.reason for s in self.skipped)
        return {reason: counts[reason] for reason in SKIP_REASONS if counts[reason]}


def collect_sources(paths: Sequence[str], *, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Sources:
    """Read every document under ``paths`` (see :func:`iter_sources`) and keep what was skipped.

    Raises:
        InvalidInputError: As :func:`iter_sources`.
        MissingDependencyError: If a PDF, HTML or Word file is met without the ``documents`` extra.
    """
    found = Sources()
    counter = [0]
    found.documents = list(
        iter_sources(paths, include=include, exclude=exclude, skipped=found.skipped, excluded=counter)
    )
    found.excluded = counter[0]
    return found


def iter_sources(
    paths: Sequence[str],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    skipped: list[Skipped] | None = None,
    excluded: list[int] | None = None,
) -> Iterator[SourceDocument]:
    """Yield the documents under ``paths``: files, folders (walked in name order), JSONL files and BEIR folders.

    Args:
        paths: Files and folders.
        include: Glob patterns (``*.pdf``, ``guides/*``); when given, only files matching one are read.
        exclude: Glob patterns of files not to read. Patterns match a file's path relative to the
            folder given, or its name; ``*`` matches across ``/``.
        skipped: Filled with the files and records not indexed, by reason.
        excluded: ``excluded[0]`` counts the files the patterns left out.

    Raises:
        InvalidInputError: For a missing path, a folder holding no file to index, and for a file
            named in ``paths`` that is of an unsupported type or cannot be read (non-UTF-8 text,
            a damaged PDF, HTML or Word file), or a malformed JSONL line anywhere. An empty file or
            a PDF without a text layer named in ``paths`` is skipped and reported, not an error.
        MissingDependencyError: If a PDF, HTML or Word file is met without the ``documents`` extra.
    """
    skipped = [] if skipped is None else skipped
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InvalidInputError(f"no such file or folder: {raw}")
        if path.is_dir() and (path / "corpus.jsonl").is_file():
            yield from _read_jsonl(path / "corpus.jsonl", skipped)
        elif path.is_dir():
            files = sorted(_walk(path))
            chosen = [f for f in files if _chosen(f.relative_to(path).as_posix(), include, exclude)]
            if excluded is not None:
                excluded[0] += len(files) - len(chosen)
            if not chosen:
                left_out = f" ({len(files)} left out by --include/--exclude)" if files else ""
                raise InvalidInputError(f"no files to index in folder {raw}{left_out}")
            for file in chosen:
                yield from _read_in_folder(file, skipped)
        elif _chosen(path.as_posix(), include, exclude):
            try:
                yield from _read_file(path, skipped)
            except NoTextLayerError as exc:  # reported like an empty file, not an error
                skipped.append(Skipped(str(path), "no text layer", exc.detail))
        elif excluded is not None:
            excluded[0] += 1


def _walk(folder: Path) -> Iterator[Path]:
    """The files under ``folder``, hidden files and folders left out."""
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def _chosen(relative: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]

    def matches(patterns: Sequence[str]) -> bool:
        return any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(name, p) for p in patterns)

    return (not include or matches(include)) and not matches(exclude)


def _read_in_folder(path: Path, skipped: list[Skipped]) -> Iterator[SourceDocument]:
    """A file met in a folder: one that cannot be read is skipped, with its reason."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        skipped.append(Skipped(str(path), "unsupported type", path.suffix.lower() or "no suffix"))
        return
    try:
        yield from _read_file(path, skipped)
    except NoTextLayerError as exc:
        skipped.append(Skipped(str(path), "no text layer", exc.detail))
    except UnreadableError as exc:
        skipped.append(Skipped(str(path), "unreadable", exc.detail))


def _read_file(path: Path, skipped: list[Skipped]) -> Iterator[SourceDocument]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        yield from _read_jsonl(path, skipped)
        return
    if suffix not in SUPPORTED_SUFFIXES:
        raise InvalidInputError(
            f"unsupported file type {path.suffix!r}: {path} (use .txt, .md, .pdf, .html, .docx or .jsonl)"
        )
    data = _read_bytes(path)
    fingerprint = hashlib.sha256(data).hexdigest()[:16]
    metadata: dict[str, Any] = {"source": str(path)}
    pages = None
    if suffix in FORMATS:
        extracted = read_document(path, data)
        text, pages = extracted.text, extracted.pages
        if extracted.title:
            metadata["title"] = extracted.title
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            detail = f"not UTF-8 text (byte {exc.start}); convert it first"
            raise UnreadableError(f"{path} is {detail}", detail) from None
    if not text.strip():
        skipped.append(Skipped(str(path), "empty", "no text"))
        return
    yield SourceDocument(str(path), text, fingerprint, metadata, pages=pages)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableError(f"cannot read {path}: {exc.strerror}", str(exc.strerror)) from None


def _read_jsonl(path: Path, skipped: list[Skipped]) -> Iterator[SourceDocument]:
    data = _read_bytes(path)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path} is not UTF-8 text (byte {exc.start})") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InvalidInputError(f'{path}:{n}: each line needs a "text" string')
        text = document_text(str(row.get("title") or ""), row["text"])
        doc_id = str(row.get("_id", row.get("id", n)))
        if not text.strip():
            skipped.append(Skipped(f"{path}#{doc_id}", "empty", f"line {n} has no text"))
            continue
        meta = {k: v for k, v in row.items() if k not in ("text", "_id", "id", "metadata") and _json_scalar(v)}
        if isinstance(row.get("metadata"), dict):
            meta.update(row["metadata"])
        meta["source"] = f"{path}#{doc_id}"
        fp = hashlib.sha256(line.encode("utf-8")).hexdigest()[:16]
        yield SourceDocument(f"{path}#{doc_id}", text, fp, meta, doc_id)


def document_text(title: str | None, body: str | None) -> str:
    """The text indexed for a titled document: the title, then the body, unless the body starts with it.

    Used wherever a BEIR or JSONL record becomes a document (``mma index``, ``mma eval``, the
    benchmarks), so every path indexes the same text.
    """
    title, body = (title or "").strip(), (body or "").strip()
    if not title or body.lower().startswith(title.lower()):
        return body
    return f"{title}. {body}" if body else title


def _json_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None
