"""A module's reading page: each part quotes its clauses from the policy, then explains them."""

from __future__ import annotations

import os
from contextlib import suppress
from html import escape
from pathlib import Path

import ipywidgets as widgets
from IPython.display import display

from ..documents import ReadingDocument, read_reading_document
from ..render import clause_html, nav_html, paragraphs
from ..status import Mode
from .learner import answers_folder, learner_root
from .progress import mark_read


def reading_html(document: ReadingDocument) -> str:
    module = document["module"]
    parts = "".join(
        f'<section class="mip-reading-part"><h2>{escape(part["heading"])}</h2>'
        + "".join(clause_html(c["text"], c.get("place", "")) for c in part["clauses"])
        + f"{paragraphs(part['text'])}</section>"
        for part in document["parts"]
    )
    return (
        f'<article class="mip-reading"><p>{escape(module["summary"])}</p>'
        f'<p class="mip-cpd">Estimated time for this module: {module["cpd_minutes"]} minutes (CPD). '
        f"Policy version {escape(document['policy_version'])}.</p>{parts}"
        f"{nav_html(document['navigation'])}</article>"
    )


def show_reading(folder: Path | None = None) -> None:
    if os.environ.get("NBGRADER_EXECUTION"):
        return  # autograde re-runs every notebook; nobody reads this one there
    folder = folder or Path.cwd()
    document = read_reading_document(folder)
    # An assessed module folder holds only what is submitted; a read-only copy of the course
    # just does not tick the reading on the landing page.
    if document["mode"] == Mode.PRACTICE:
        with suppress(OSError):
            mark_read(answers_folder(folder, document["mode"], learner_root()))
    # An HTML widget keeps the navigation links plain (see landing.py).
    display(widgets.HTML(reading_html(document)))
