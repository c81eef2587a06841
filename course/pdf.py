"""What the course's PDFs share (the certificate, the reflections): made on the server with fpdf2,
in one font, with text written as plain text that reads back as it was written."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf.bidi import BidiParagraph, auto_detect_base_direction
from fpdf.enums import TextDirection

FONT = "DejaVu"  # any name a trainee types prints: DejaVu covers Latin, Greek, Cyrillic, Hebrew, Arabic
# Every other character (an emoji, say) is drawn from Last Resort, a placeholder glyph per Unicode
# block, and stays the character itself in the PDF's text: copied or searched, it is what was typed.
# (Without it fpdf2 leaves the character out.) Loaded only when needed: it takes a second or two.
FALLBACK_FONT = "LastResort"
_RIGHT_TO_LEFT = {"R", "AL", "RLE", "RLO", "RLI"}
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # drawn as nothing useful; a tab as a gap


def _font_files() -> tuple[Path, Path, Path]:
    """DejaVu Sans, regular and bold, and Last Resort, as matplotlib (a dependency already) ships them."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf", folder / "LastResortHE-Regular.ttf"


def course_pdf(title: str, author: str) -> FPDF:
    """An empty A4 document in the course's font, for :func:`write` to fill."""
    regular, bold, _ = _font_files()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_lang("en-GB")
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_auto_page_break(True, margin=18)
    return pdf


def _fall_back_if_needed(pdf: FPDF, text: str) -> None:
    """Add the fallback font the first time ``text`` holds a character the course's font lacks."""
    if FALLBACK_FONT.lower() in pdf.fonts:
        return
    known = pdf.current_font.cmap
    if any(ord(c) not in known for c in set(text) - {"\n"}):
        pdf.add_font(FALLBACK_FONT, "", str(_font_files()[2]))
        pdf.set_fallback_fonts([FALLBACK_FONT], exact_match=False)


def write(pdf: FPDF, text: str, size: float = 11, style: str = "", align: str = "L", gap: float = 2) -> None:
    """``text`` as plain text (never markup), wrapped to the page's width, then a gap below. A line
    in a right-to-left script is laid out right to left (Unicode's bidirectional algorithm), so that
    it reads, and is read back from the PDF, as written; such a paragraph is aligned right."""
    pdf.set_font(FONT, style, size)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    _fall_back_if_needed(pdf, text)
    if not any(unicodedata.bidirectional(c) in _RIGHT_TO_LEFT for c in text):
        pdf.multi_cell(pdf.epw, size * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
    else:
        for paragraph in text.split("\n"):
            direction = auto_detect_base_direction(paragraph)
            rtl = direction == TextDirection.RTL
            lines = pdf.multi_cell(pdf.epw, size * 0.5, paragraph, dry_run=True, output="LINES")
            for line in lines:
                shown = BidiParagraph(line, direction).get_reordered_string()
                where = "R" if rtl and align == "L" else align
                pdf.cell(pdf.epw, size * 0.5, shown, align=where, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)
