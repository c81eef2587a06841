"""A trainee's reflections as a PDF for their CPD log, made on the server with fpdf2: who, which
course and when, then module by module each scenario's prompt, the choices that led there and what
the trainee wrote (``course.play.reflections`` gathers them)."""

from __future__ import annotations

from datetime import date
from itertools import groupby

from .documents import PolicyStamp
from .pdf import course_pdf, write
from .play.award import long_date
from .play.reflections import Reflections

TITLE = "My reflections — CPD evidence"
KEEP_WITH_HEADING = 40  # mm: a heading this near the foot of a page starts the next one


def reflections_pdf(gathered: Reflections, name: str, policy: PolicyStamp, made_on: date) -> bytes:
    """Every reflection gathered, on as many A4 pages as they take; ``name`` as the trainee typed
    it on the certificate page ("" if they did not)."""
    pdf = course_pdf(f"{TITLE}: {name}" if name else TITLE, policy["organisation"])
    pdf.add_page()
    write(pdf, policy["organisation"], 13, "B")
    write(pdf, TITLE, 20, "B", gap=4)
    if name:
        write(pdf, f"Written by {name}", 13, "B")
    count = len(gathered.entries)
    write(
        pdf,
        f"{count} reflection{'' if count == 1 else 's'} written in the {policy['organisation']}'s "
        f"interactive course on its {policy['title']}, each with the scenario it is on and the choices "
        f"made there. Made on {long_date(made_on)} by the course server.",
        gap=6,
    )
    for module, entries in groupby(gathered.entries, key=lambda e: e.module):
        if pdf.will_page_break(KEEP_WITH_HEADING):
            pdf.add_page()
        pdf.start_section(module, level=0)  # the PDF's outline: a bookmark per module and scenario
        write(pdf, module, 15, "B", gap=3)
        for entry in entries:
            if pdf.will_page_break(KEEP_WITH_HEADING):
                pdf.add_page()
            pdf.start_section(entry.scenario, level=1)
            write(pdf, entry.scenario, 12, "B")
            saved = f"Last saved on {long_date(entry.saved.date())}. " if entry.saved else ""
            write(pdf, f"{saved}Policy version {entry.policy_version}.", 9)
            write(pdf, "Prompt", 10, "B", gap=0)
            write(pdf, entry.prompt, 10)
            if entry.path:
                write(pdf, "My choices", 10, "B", gap=0)
                write(pdf, "\n".join(f"{n}. {text}" for n, text in enumerate(entry.path, start=1)), 10)
            if entry.ending:
                write(pdf, f"Outcome: {entry.ending}", 10)
            write(pdf, "My reflection", 10, "B", gap=0)
            write(pdf, entry.text, 11, gap=6)
    if gathered.notes:
        write(pdf, "Left out", 12, "B")
        write(pdf, "\n".join(gathered.notes), 10)
    return bytes(pdf.output())
