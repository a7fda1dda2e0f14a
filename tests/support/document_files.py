"""Real PDF, HTML and Word files, written on the spot by real writers (fpdf2, python-docx), for the reader tests.

``write_mixed_folder`` lays out what a user's notes folder holds: Markdown and text, a web page with
navigation around its main text, a three-page PDF manual with a text layer and a title, a scanned PDF
(an image, no text), a Word file with a title, a heading, a paragraph and a table, and files that are
not indexed: a picture, a damaged PDF, an empty text file.
"""

from __future__ import annotations

import io
from pathlib import Path

PDF_PAGES = (
    "Dishwasher manual. Load the dishwasher with the plates facing the centre. "
    "The filter at the bottom should be cleaned every week with warm water.",
    "Error codes. Error E24 means the drain hose is kinked or blocked. "
    "Error E15 means water has leaked into the base tray.",
    "Care. Descale the dishwasher every three months with citric acid.",
)
"""The text of each page of ``manual.pdf``; each page has words no other page has (E24, citric)."""

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Router setup</title>
<style>body { color: red }</style><script>var tracking = "do not index";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/shop">Shop cookies</a></nav>
<header>Site banner</header>
<main>
<h1>Resetting the router</h1>
<p>Hold the <b>reset</b> button for ten seconds &amp; wait for the light to blink.</p>
<ul><li>Unplug the modem.</li><li>Plug it back after a minute.</li></ul>
<table><tr><th>Light</th><th>Meaning</th></tr><tr><td>Orange</td><td>No internet</td></tr></table>
</main>
<footer>Copyright footer text</footer>
</body></html>
"""


def pdf_bytes(pages: tuple[str, ...] | list[str], *, title: str | None = None) -> bytes:
    """A PDF with a text layer, one page per text (fpdf2, core Helvetica font)."""
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def scanned_pdf_bytes(pages: int = 2) -> bytes:
    """A PDF of pictures and no text, as a scanner writes it."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(image).text((10, 50), "Scanned warranty card", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.image(io.BytesIO(buffer.getvalue()), x=10, y=10, w=150)
    return bytes(pdf.output())


def docx_bytes(*, title: str | None = "Washing machine") -> bytes:
    """A Word file: a title (properties and a Title paragraph), a heading, a paragraph and a table."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
        document.add_heading(title, 0)
    document.add_heading("Cleaning", 1)
    document.add_paragraph("Clean the lint trap after every wash so the drum dries quickly.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Code", (0, 1): "Meaning", (1, 0): "F05", (1, 1): "Pump blocked"}.items():
        table.cell(row, col).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write_mixed_folder(root: Path) -> Path:
    """The notes folder described in the module's docstring; returns it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "kettle.md").write_text("# Kettles\n\nTo descale a kettle, boil vinegar and water.\n", encoding="utf-8")
    (root / "bread.txt").write_text("Bread dough rises when the yeast is alive and warm.", encoding="utf-8")
    (root / "router.html").write_text(HTML_PAGE, encoding="utf-8")
    (root / "manuals").mkdir(exist_ok=True)
    (root / "manuals" / "manual.pdf").write_bytes(pdf_bytes(PDF_PAGES, title="Dishwasher manual"))
    (root / "manuals" / "washer.docx").write_bytes(docx_bytes())
    (root / "scan.pdf").write_bytes(scanned_pdf_bytes())
    (root / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntruncated")
    (root / "empty.txt").write_text("   \n", encoding="utf-8")
    (root / ".hidden").mkdir(exist_ok=True)
    (root / ".hidden" / "secret.txt").write_text("never walked into", encoding="utf-8")
    return root


INDEXED = ("bread.txt", "kettle.md", "manuals/manual.pdf", "manuals/washer.docx", "router.html")
SKIPPED = {
    "broken.pdf": "unreadable",
    "empty.txt": "empty",
    "photo.png": "unsupported type",
    "scan.pdf": "no text layer",
}
