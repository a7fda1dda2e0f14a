"""PDF, HTML and Word files: their text, pages and titles, the skipped-file report, and ``mma index`` / ``mma search`` on them.

Every file is written by the test with a real writer (fpdf2, python-docx) or is a plain HTML string
(:mod:`tests.support.document_files`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from milvus_model_adapters.errors import InvalidInputError, MissingDependencyError
from milvus_model_adapters.files import (
    NoTextLayerError,
    UnreadableError,
    chunk_document,
    citation,
    collect_sources,
    iter_chunks,
    read_document,
)
from milvus_model_adapters.store import HybridStore
from milvus_model_adapters.tools.cli import main
from tests.support.document_files import (
    HTML_PAGE,
    INDEXED,
    PDF_PAGES,
    SKIPPED,
    docx_bytes,
    pdf_bytes,
    scanned_pdf_bytes,
    write_mixed_folder,
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def words(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------- readers
def test_pdf_text_by_page_and_title(tmp_path: Path) -> None:
    data = pdf_bytes(PDF_PAGES, title="Dishwasher manual")
    found = read_document(tmp_path / "manual.pdf", data)
    assert found.title == "Dishwasher manual"
    assert found.pages is not None and len(found.pages) == 3
    for page, expected in zip(found.pages, PDF_PAGES, strict=True):
        assert words(page) == words(expected)  # fpdf2 wraps lines; the words are the page's, in order
    assert words(found.text) == words(" ".join(PDF_PAGES))


def test_pdf_chunks_carry_the_pages_their_words_come_from(tmp_path: Path) -> None:
    path = tmp_path / "manual.pdf"
    path.write_bytes(pdf_bytes(PDF_PAGES, title="Dishwasher manual"))
    (doc,) = collect_sources([str(path)]).documents
    page_of = {w: n for n, text in enumerate(PDF_PAGES, start=1) for w in words(text)}
    chunks = chunk_document(doc, chunk_words=20, chunk_overlap=5)
    assert len(chunks) > 3
    spans_pages = False
    for chunk in chunks:
        meta = chunk.metadata
        assert meta["source"] == str(path) and meta["title"] == "Dishwasher manual"
        assert 1 <= meta["page_start"] <= meta["page_end"] <= 3
        # The first and the last word of the chunk are on its first and last page (each page's words are its own
        # but for a few shared ones: "dishwasher", "Error", "the"...; the checked words are unique to a page).
        unique = [w for w in words(chunk.text) if sum(w in words(t) for t in PDF_PAGES) == 1]
        assert {page_of[w] for w in unique} <= set(range(meta["page_start"], meta["page_end"] + 1))
        assert min(page_of[w] for w in unique) == meta["page_start"]
        assert max(page_of[w] for w in unique) == meta["page_end"]
        spans_pages = spans_pages or meta["page_end"] > meta["page_start"]
    assert spans_pages
    assert [c.metadata["chunk"] for c in chunks] == list(range(len(chunks)))
    # The same file gives the same ids: a re-run replaces, never duplicates.
    assert [c.id for c in chunk_document(doc, chunk_words=20, chunk_overlap=5)] == [c.id for c in chunks]


def test_html_main_text_without_navigation_scripts_or_footer(tmp_path: Path) -> None:
    found = read_document(tmp_path / "router.html", HTML_PAGE.encode("utf-8"))
    assert found.title == "Router setup" and found.pages is None
    paragraphs = found.text.split("\n\n")
    assert paragraphs[:2] == [
        "Resetting the router",
        "Hold the reset button for ten seconds & wait for the light to blink.",  # inline <b>, entity
    ]
    assert "Unplug the modem." in paragraphs and "Orange No internet" in paragraphs
    for boilerplate in ("Shop cookies", "tracking", "color", "Site banner", "Copyright"):
        assert boilerplate not in found.text


def test_html_encodings_and_a_page_without_main(tmp_path: Path) -> None:
    latin = '<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><p>cr\xe8me br\xfbl\xe9e</p>'
    found = read_document(tmp_path / "a.html", latin.encode("cp1252"))
    assert found.title == "Café" and found.text == "crème brûlée"
    page = '<?xml version="1.0" encoding="utf-8"?><html><body><header>Banner</header><div>Über <i>uns</i></div>'
    page += "<footer>Footer</footer></body></html>"
    found = read_document(tmp_path / "b.xhtml", page.encode("utf-8"))
    assert found.text == "Über uns" and found.title is None
    found = read_document(tmp_path / "c.htm", b"<h1>Heading only</h1>")
    assert found.title == "Heading only" and found.text == "Heading only"
    for empty in (b"", b"  \n", b"<html><body><nav>Menu</nav></body></html>"):
        found = read_document(tmp_path / "d.html", empty)
        assert found.text == "" and found.title is None
    found = read_document(tmp_path / "e.html", "<p>na\xefve caf\xe9</p>".encode("cp1252"))  # no charset, not UTF-8
    assert found.text == "naïve café"


def test_docx_paragraphs_tables_and_title(tmp_path: Path) -> None:
    found = read_document(tmp_path / "washer.docx", docx_bytes())
    assert found.title == "Washing machine" and found.pages is None
    assert found.text.split("\n\n") == [
        "Washing machine",
        "Cleaning",
        "Clean the lint trap after every wash so the drum dries quickly.",
        "Code | Meaning",
        "F05 | Pump blocked",
    ]
    assert read_document(tmp_path / "untitled.docx", docx_bytes(title=None)).title is None


def test_a_scanned_pdf_is_reported_as_having_no_text_layer(tmp_path: Path) -> None:
    with pytest.raises(NoTextLayerError, match="no text layer.*2 page"):
        read_document(tmp_path / "scan.pdf", scanned_pdf_bytes())


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bad.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntruncated", "cannot read PDF"),
        ("bad.pdf", b"this is no PDF at all", "cannot read PDF"),
        ("bad.docx", b"PK\x03\x04 not a zip", "cannot read Word file"),
        ("bad.docx", b"plain text", "cannot read Word file"),
        ("bad.html", b"\x00\x01\x02binary", "cannot read HTML"),
    ],
)
def test_damaged_files_are_one_clear_error(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    with pytest.raises(UnreadableError, match=message) as caught:
        read_document(tmp_path / name, data)
    assert name in str(caught.value) and "\n" not in str(caught.value)


# ---------------------------------------------------------------------- folders
def test_a_folder_lists_what_it_does_not_index_by_reason(tmp_path: Path) -> None:
    root = write_mixed_folder(tmp_path / "notes")
    found = collect_sources([str(root)])
    assert sorted(Path(d.source).relative_to(root).as_posix() for d in found.documents) == sorted(INDEXED)
    assert {Path(s.source).name: s.reason for s in found.skipped} == SKIPPED  # .hidden/ is never walked into
    assert found.skipped_by_reason() == {"unsupported type": 1, "empty": 1, "no text layer": 1, "unreadable": 1}
    titles = {Path(d.source).name: d.metadata.get("title") for d in found.documents}
    assert titles == {
        "bread.txt": None,
        "kettle.md": None,
        "manual.pdf": "Dishwasher manual",
        "washer.docx": "Washing machine",
        "router.html": "Router setup",
    }


@pytest.mark.parametrize(
    ("include", "exclude", "indexed", "excluded"),
    [
        (["*.pdf"], [], ["broken.pdf", "manuals/manual.pdf", "scan.pdf"], 6),
        (["manuals/*"], [], ["manuals/manual.pdf", "manuals/washer.docx"], 7),
        ([], ["manuals/*", "*.png", "*.pdf"], ["bread.txt", "empty.txt", "kettle.md", "router.html"], 5),
        (["*.txt", "*.md"], ["bread.*"], ["empty.txt", "kettle.md"], 7),
    ],
)
def test_include_and_exclude_patterns(
    tmp_path: Path, include: list[str], exclude: list[str], indexed: list[str], excluded: int
) -> None:
    root = write_mixed_folder(tmp_path / "notes")
    found = collect_sources([str(root)], include=include, exclude=exclude)
    read = sorted(
        [Path(d.source).relative_to(root).as_posix() for d in found.documents]
        + [Path(s.source).relative_to(root).as_posix() for s in found.skipped]
    )
    assert read == indexed and found.excluded == excluded


def test_a_named_scan_or_empty_file_is_reported_and_nothing_else_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "scan.pdf").write_bytes(scanned_pdf_bytes(1))
    (tmp_path / "ok.txt").write_text("Some text.")
    found = collect_sources([str(tmp_path / "scan.pdf"), str(tmp_path / "ok.txt")])
    assert [s.reason for s in found.skipped] == ["no text layer"] and len(found.documents) == 1
    with pytest.raises(InvalidInputError, match="no files to index in folder"):
        collect_sources([str(tmp_path)], include=["*.docx"])


def test_the_chunks_iterator_is_what_the_loaders_yield(tmp_path: Path) -> None:
    root = write_mixed_folder(tmp_path / "notes")
    skipped: list = []  # type: ignore[type-arg]
    chunks = list(iter_chunks([str(root)], chunk_words=40, chunk_overlap=5, skipped=skipped))
    assert len(skipped) == 4
    assert {Path(c.metadata["source"]).name for c in chunks} == {Path(p).name for p in INDEXED}
    pdf = [c for c in chunks if c.metadata["source"].endswith(".pdf")]
    assert all("page_start" in c.metadata for c in pdf)
    assert not any("page_start" in c.metadata for c in chunks if c not in pdf)


def test_citation() -> None:
    assert citation({"source": "a.pdf", "page_start": 3, "page_end": 3}) == "a.pdf p. 3"
    assert citation({"source": "a.pdf", "page_start": 3, "page_end": 4, "title": "T"}) == 'a.pdf pp. 3-4  "T"'
    assert citation({"source": "b.md"}) == "b.md"


# ---------------------------------------------------------------------- the command line
def test_mma_index_and_search_a_mixed_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_mixed_folder(tmp_path / "notes")
    db = str(tmp_path / "docs.db")
    code, out, _ = run(
        capsys, "index", str(root), "--db", db, "--no-progress", "--chunk-words", "30", "--chunk-overlap", "5"
    )
    assert code == 0
    summary, *details = out.splitlines()
    assert summary.startswith("indexed 5 document(s) as ")
    assert "skipped 4 (1 unsupported type, 1 empty, 1 no text layer, 1 unreadable)" in summary
    assert sorted(line.split()[2] for line in details) == sorted(str(root / name) for name in SKIPPED)
    assert any("scan.pdf (no text layer: no text on any of its 2 page(s)" in line for line in details)
    with HybridStore(db) as store:
        stored = {d.id: d for d in store.documents()}
    pdf_chunks = [d for d in stored.values() if d.metadata["source"].endswith("manual.pdf")]
    assert len(pdf_chunks) > 1 and {d.metadata["title"] for d in pdf_chunks} == {"Dishwasher manual"}
    assert {d.metadata["page_start"] for d in pdf_chunks} >= {1, 2}

    # Re-running on unchanged files writes nothing; --json lists the same skipped files.
    code, out, _ = run(
        capsys, "index", str(root), "--db", db, "--no-progress", "--chunk-words", "30", "--chunk-overlap", "5", "--json"
    )
    report = json.loads(out)
    assert report["indexed_documents"] == 0 and report["indexed_chunks"] == 0 and report["unchanged"] == 5
    assert report["chunks_in_collection"] == len(stored)
    assert {Path(s["source"]).name: s["reason"] for s in report["skipped"]} == SKIPPED
    assert report["skipped_by_reason"] == {"unsupported type": 1, "empty": 1, "no text layer": 1, "unreadable": 1}
    with HybridStore(db) as store:
        assert {d.id for d in store.documents()} == set(stored)

    code, out, _ = run(capsys, "search", "what does error E24 mean", "--db", db, "-k", "1")
    line = out.splitlines()[0]
    assert code == 0 and "manual.pdf pp. " in line and '"Dishwasher manual"' in line  # pages, then the title
    code, out, _ = run(capsys, "search", "what does error E24 mean", "--db", db, "-k", "1", "--json")
    (hit,) = json.loads(out)
    assert "E24" in hit["text"] and hit["metadata"]["page_start"] <= 2 <= hit["metadata"]["page_end"]
    code, out, _ = run(capsys, "search", "pump blocked washing machine", "--db", db, "-k", "1", "--json")
    (hit,) = json.loads(out)
    assert hit["metadata"]["source"].endswith("washer.docx") and hit["metadata"]["title"] == "Washing machine"
    code, out, _ = run(
        capsys, "search", "reset the router", "--db", db, "-k", "1", "--filter", '{"title": "Router setup"}'
    )
    assert code == 0 and "router.html" in out

    # A changed PDF replaces its chunks, the others stay.
    (root / "manuals" / "manual.pdf").write_bytes(pdf_bytes(PDF_PAGES[:1], title="Dishwasher manual"))
    code, out, _ = run(
        capsys, "index", str(root), "--db", db, "--no-progress", "--chunk-words", "30", "--chunk-overlap", "5"
    )
    assert out.startswith("indexed 1 document(s)") and "4 unchanged" in out
    with HybridStore(db) as store:
        pages = {d.metadata["page_end"] for d in store.documents() if d.metadata["source"].endswith(".pdf")}
    assert pages == {1}


def test_mma_index_include_exclude(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_mixed_folder(tmp_path / "notes")
    db = str(tmp_path / "docs.db")
    code, out, err = run(capsys, "index", str(root), "--db", db, "--chunk-words", "30")
    assert code == 2 and err == "error: --chunk-overlap (30) must be at least 0 and below --chunk-words (30)\n"
    code, out, _ = run(
        capsys,
        "index",
        str(root),
        "--db",
        db,
        "--no-progress",
        "--include",
        "*.md",
        "--include",
        "*.txt",
        "--exclude",
        "empty.txt",
    )
    assert code == 0
    assert out.splitlines() == [
        f"indexed 2 document(s) as 2 chunk(s); 0 unchanged; 7 left out by --include/--exclude; 2 chunk(s) in {db}"
    ]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("broken.pdf", "cannot read PDF"),
        ("bad.html", "cannot read HTML"),
        ("bad.docx", "cannot read Word file"),
        ("scan.pdf", "nothing to index: every input was skipped"),
        ("empty_folder_of_scans", "nothing to index: every input was skipped"),
    ],
)
def test_mma_index_errors_are_one_line_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    if setup == "broken.pdf":
        (tmp_path / setup).write_bytes(b"%PDF-1.4 garbage")
    elif setup == "bad.html":
        (tmp_path / setup).write_bytes(b"\x00\x00binary")
    elif setup == "bad.docx":
        (tmp_path / setup).write_bytes(b"not a zip")
    elif setup == "scan.pdf":
        (tmp_path / setup).write_bytes(scanned_pdf_bytes(1))
    else:
        (tmp_path / setup).mkdir()
        (tmp_path / setup / "scan.pdf").write_bytes(scanned_pdf_bytes(1))
    code, out, err = run(capsys, "index", str(tmp_path / setup), "--db", str(tmp_path / "new.db"), "--no-progress")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert setup.split("_")[0] in err or "scan.pdf" in err
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("module", ["pypdf", "lxml", "docx"])
def test_the_missing_extra_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    root = write_mixed_folder(tmp_path / "notes")
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed: find_spec finds nothing
    with pytest.raises(MissingDependencyError, match=r'pip install "milvus-model-adapters\[documents\]"'):
        collect_sources([str(root)])
    code, out, err = run(capsys, "index", str(root), "--db", str(tmp_path / "new.db"), "--no-progress")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert 'install it with: pip install "milvus-model-adapters[documents]"' in err
    assert not (tmp_path / "new.db").exists()


def test_in_a_folder_a_non_utf8_text_file_is_unreadable_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "ok.md").write_text("Fine text.")
    (tmp_path / "blank.html").write_text("<html><body><nav>Menu</nav></body></html>")
    found = collect_sources([str(tmp_path)])
    assert [Path(d.source).name for d in found.documents] == ["ok.md"]
    assert [(Path(s.source).name, s.reason) for s in found.skipped] == [
        ("blank.html", "empty"),
        ("latin1.txt", "unreadable"),
    ]
    assert "not UTF-8" in found.skipped[1].detail
    with pytest.raises(UnreadableError, match="latin1.txt is not UTF-8"):
        collect_sources([str(tmp_path / "latin1.txt")])
