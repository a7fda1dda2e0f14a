"""PDF extraction speed, and ``mma index`` of a folder of mixed files against text files of the same content.

    python benchmarks/documents.py [--docs N] [--pdf FILE ...]

1. Pages per second of the PDF reader (pypdf, through ``read_document``) on a PDF written by fpdf2
   from the shared texts (one document per page), and on any real PDFs given with ``--pdf``.
2. N shared documents (default 300) written twice: as a folder of mixed files (a quarter each PDF,
   HTML, Word and Markdown) and as a folder of ``.txt`` files of the same texts. Reading (files to
   chunks, no model) and ``mma index --no-cache`` (read, check, encode with MiniLM, write) of each
   folder, best of two alternating runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from collections.abc import Callable
from html import escape
from pathlib import Path

from _common import shared_texts, table

from milvus_model_adapters.files import iter_chunks, read_document
from milvus_model_adapters.tools.cli import main


def latin1(text: str) -> str:
    """fpdf2's core fonts are Latin-1."""
    return text.encode("latin-1", errors="replace").decode("latin-1")


def pdf_of(pages: list[str], title: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.set_font("helvetica", size=10)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 5, latin1(text))
    return bytes(pdf.output())


def docx_of(text: str, title: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def html_of(text: str, title: str) -> str:
    nav = "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
    return (
        f"<html><head><title>{escape(title)}</title></head><body>{nav}<main><p>{escape(text)}</p></main></body></html>"
    )


def best_of_two(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(2):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pdf_speed(texts: list[str], extra: list[Path]) -> list[list[object]]:
    rows: list[list[object]] = []
    files = [("written by fpdf2", pdf_of(texts[:200], "shared texts"))]
    files += [(path.name, path.read_bytes()) for path in extra]
    for name, data in files:
        pages = len(read_document(Path("x.pdf"), data).pages or [])
        seconds = best_of_two(lambda data=data: read_document(Path("x.pdf"), data))
        rows.append([name, pages, seconds, pages / seconds])
    return rows


def write_folders(texts: list[str], root: Path) -> tuple[Path, Path]:
    mixed, plain = root / "mixed", root / "text"
    mixed.mkdir()
    plain.mkdir()
    for i, text in enumerate(texts):
        title = f"Document {i}"
        (plain / f"doc{i:05d}.txt").write_text(text, encoding="utf-8")
        kind = i % 4
        if kind == 0:
            words = text.split()  # two pages, as a short report would have
            half = max(1, len(words) // 2)
            (mixed / f"doc{i:05d}.pdf").write_bytes(pdf_of([" ".join(words[:half]), " ".join(words[half:])], title))
        elif kind == 1:
            (mixed / f"doc{i:05d}.html").write_text(html_of(text, title), encoding="utf-8")
        elif kind == 2:
            (mixed / f"doc{i:05d}.docx").write_bytes(docx_of(text, title))
        else:
            (mixed / f"doc{i:05d}.md").write_text(text, encoding="utf-8")
    return mixed, plain


def run_index(folder: Path, db: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["index", str(folder), "--db", str(db), "--no-progress", "--no-cache"]) == 0


def main_benchmark(n: int, extra_pdfs: list[Path]) -> None:
    texts = [t for t in shared_texts() if t.strip()][:n]
    print(table(["PDF", "pages", "seconds (best of 2)", "pages/s"], pdf_speed(texts, extra_pdfs)))
    print()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        mixed, plain = write_folders(texts, root)
        chunks = {name: len(list(iter_chunks([str(folder)]))) for name, folder in (("mixed", mixed), ("text", plain))}
        reading = {
            name: best_of_two(lambda f=folder: list(iter_chunks([str(f)])))
            for name, folder in (("mixed", mixed), ("text", plain))
        }
        run_index(plain, root / "warm.db")  # loads the model once for both
        indexing: dict[str, list[float]] = {"mixed": [], "text": []}
        for attempt in range(2):
            for name, folder in (("mixed", mixed), ("text", plain)):
                start = time.perf_counter()
                run_index(folder, root / f"{name}{attempt}.db")
                indexing[name].append(time.perf_counter() - start)
    rows = []
    for name in ("text", "mixed"):
        read_s, index_s = reading[name], min(indexing[name])
        rows.append(
            [
                "text files (.txt)" if name == "text" else "mixed (PDF, HTML, Word, Markdown)",
                n,
                chunks[name],
                read_s,
                n / read_s,
                read_s / reading["text"],
                index_s,
                n / index_s,
                index_s / min(indexing["text"]),
            ]
        )
    headers = ["folder", "files", "chunks", "read s", "files/s read", "read x text", "index s", "files/s indexed"]
    print(table([*headers, "index x text"], rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--pdf", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    sys.exit(main_benchmark(args.docs, args.pdf))
