"""Files to index: text and Markdown files, folders, JSONL files and BEIR folders, read and checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from milvus_model_adapters.errors import InvalidInputError
from milvus_model_adapters.tools.evaluation import document_text

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".rst")


@dataclass
class SourceDocument:
    """A file (or one record of a JSONL file) to be chunked and indexed."""

    source: str
    text: str
    fingerprint: str
    metadata: dict[str, Any] = field(default_factory=dict)
    doc_id: str | None = None


def read_sources(paths: Sequence[str]) -> Iterator[SourceDocument]:
    """Yield the documents under ``paths``: text files, folders, JSONL files and BEIR folders.

    Raises:
        InvalidInputError: For a missing path, an unreadable or non-UTF-8 file, or a malformed JSONL line.
    """
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InvalidInputError(f"no such file or folder: {raw}")
        if path.is_dir() and (path / "corpus.jsonl").is_file():
            yield from _read_jsonl(path / "corpus.jsonl")
        elif path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (*TEXT_SUFFIXES, ".jsonl"))
            if not found:
                raise InvalidInputError(f"no .txt, .md or .jsonl files in folder {raw}")
            for file in found:
                yield from _read_file(file)
        else:
            yield from _read_file(path)


def _read_file(path: Path) -> Iterator[SourceDocument]:
    if path.suffix.lower() == ".jsonl":
        yield from _read_jsonl(path)
        return
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise InvalidInputError(f"unsupported file type {path.suffix!r}: {path} (use .txt, .md or .jsonl)")
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path} is not UTF-8 text (byte {exc.start}); convert it first") from None
    yield SourceDocument(str(path), text, hashlib.sha256(data).hexdigest()[:16], {"source": str(path)})


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None


def _read_jsonl(path: Path) -> Iterator[SourceDocument]:
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
        meta = {k: v for k, v in row.items() if k not in ("text", "_id", "id", "metadata") and _json_scalar(v)}
        if isinstance(row.get("metadata"), dict):
            meta.update(row["metadata"])
        meta["source"] = f"{path}#{doc_id}"
        fp = hashlib.sha256(line.encode("utf-8")).hexdigest()[:16]
        yield SourceDocument(f"{path}#{doc_id}", text, fp, meta, doc_id)


def _json_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None
