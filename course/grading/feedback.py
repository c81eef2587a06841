"""nbgrader feedback for trainees: explanations and scores, never code, nothing from a CDN."""

from __future__ import annotations

from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

import course

TEMPLATES = [
    # The course's templates (feedback, formgrade): nbgrader's own without MathJax from cdnjs...
    str(Path(course.__file__).parent / "share" / "jupyter" / "nbconvert" / "templates"),
    # ...which extends nbgrader's, so its folder is listed too.
    str(Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"),
]


class FeedbackExporter(HTMLExporter):
    """The exporter of ``GenerateFeedback`` only (``GenerateFeedback.exporter_class``).

    Configured in its own section (``c.FeedbackExporter``), never as ``HTMLExporter``: the
    formgrader builds its grading page with an ``HTMLExporter`` from the same configuration, and
    a course-wide ``HTMLExporter.template_name`` replaced its template (HTTP 500 on every
    submission). A subclass's section also outranks the ``HTMLExporter.template_name =
    'feedback'`` that nbgrader's API and ``GenerateFeedback`` set, so every way of generating
    feedback uses the course's template."""


class HideCode(NbGraderPreprocessor):
    """Drop the source of every code cell from the feedback page; keep the outputs."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = ""
                cell.metadata.setdefault("transient", {})["remove_source"] = True
        return nb, resources
