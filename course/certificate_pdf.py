"""The CPD certificate as a PDF, made on the server with fpdf2 (a QR code by segno): what the
certificate page shows, plus the certificate number and a link, printed and as a QR code, to the
course server's page that confirms it."""

from __future__ import annotations

import io
from functools import partial

import segno

from .pdf import FONT, course_pdf, write
from .play.award import Certificate, hours_minutes, long_date


def certificate_pdf(cert: Certificate, number: str, verify_url: str) -> bytes:
    """One A4 page: issuer, title, name, course and policy version, each module with its CPD time
    and learning outcome, the total, the date, the number and how to verify it."""
    pdf = course_pdf(f"CPD certificate: {cert.name}", cert.policy["organisation"])
    pdf.add_page()
    width = pdf.epw
    line = partial(write, pdf)
    line(cert.policy["organisation"], 13, "B", "C")
    line("Certificate of Continuing Professional Development", 20, "B", "C", 6)
    line("This certifies that", 11, "", "C")
    line(cert.name, 18, "B", "C", 4)
    line(
        f"has completed the following modules of the interactive course on the {cert.policy['organisation']} "
        f"{cert.policy['title']}, version {cert.policy['version']}, each with its scenarios and a knowledge "
        "check passed at its pass mark.",
        11,
        "",
        "C",
        5,
    )
    pdf.set_font(FONT, "", 10)
    with pdf.table(col_widths=(30, 55, 15), text_align=("LEFT", "LEFT", "RIGHT"), line_height=5.5) as table:
        head = table.row()
        for title in ("Module", "Learning outcome: the member can", "CPD time"):
            head.cell(title)
        for module in cert.modules:
            row = table.row()
            row.cell(module.title)
            row.cell(module.outcome[:1].lower() + module.outcome[1:])
            row.cell(hours_minutes(module.minutes))
    pdf.ln(4)
    line(f"Total CPD time: {hours_minutes(cert.minutes)}", 12, "B")
    line(f"Completed on {long_date(cert.completed_on)}", 11)
    line(f"Certificate number: {number}", 11, "B", gap=4)
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=4, border=2)
    top = pdf.get_y()
    pdf.image(qr, x=pdf.l_margin, y=top, w=32, alt_text="QR code of the verification link")
    pdf.set_xy(pdf.l_margin + 36, top)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(
        width - 36,
        4.5,
        "To verify this certificate, scan the code or open the link below. The course server "
        "confirms the name, modules, CPD time, date and policy version it was issued for; a changed "
        "certificate does not verify.",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_text_color(11, 87, 208)
    pdf.multi_cell(width - 36, 4.5, verify_url, link=verify_url, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
