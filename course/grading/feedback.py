"""nbgrader feedback for trainees: explanations and scores, never code, nothing from a CDN."""

from __future__ import annotations

from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter
from nbformat import NotebookNode
from nbgrader.preprocessors import GetGrades, NbGraderPreprocessor

import course

from ..status import unmarked_text

FORMGRADER = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
NBGRADER_TEMPLATES = str(FORMGRADER / "templates")
# FeedbackExporter.extra_template_paths: where the page's bootstrap.min.css is (what nbgrader's
# GenerateFeedback gives HTMLExporter), and nbgrader's templates, which the course's page extends
# by name ("feedback/index.html.j2").
BOOTSTRAP_CSS = FORMGRADER / "static" / "node_modules" / "bootstrap" / "dist" / "css"
TEMPLATE_PATHS = [str(BOOTSTRAP_CSS), NBGRADER_TEMPLATES]
TEMPLATES = [
    # The course's templates (feedback, formgrade): nbgrader's own without MathJax from cdnjs...
    str(Path(course.__file__).parent / "share" / "jupyter" / "nbconvert" / "templates"),
    # ...which extends nbgrader's, so its folder is listed too.
    NBGRADER_TEMPLATES,
]


class FeedbackExporter(HTMLExporter):
    """The exporter of ``GenerateFeedback`` only (``GenerateFeedback.exporter_class``).

    Configured in its own section (``c.FeedbackExporter``), never as ``HTMLExporter``: the
    formgrader builds its grading page with an ``HTMLExporter`` from the same configuration, and
    a course-wide ``HTMLExporter.template_name`` replaced its template (HTTP 500 on every
    submission). A subclass's section also outranks the ``HTMLExporter.template_name =
    'feedback'`` that nbgrader's API and ``GenerateFeedback`` set, so every way of generating
    feedback uses the course's template."""



class GetGradesAndMarking(GetGrades):
    """nbgrader's ``GetGrades``, which also marks each answer still waiting for the tutor's mark
    (``awaiting`` in its cell's metadata) and counts them (``unmarked``, ``unmarked_text`` in the
    page's resources): the course's feedback template says "awaiting your tutor's mark" there,
    where nbgrader's shows a score of 0 for work nobody has read."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._waiting: list[float] = []
        nb, resources = super().preprocess(nb, resources)
        resources["nbgrader"]["unmarked"] = len(self._waiting)
        resources["nbgrader"]["unmarked_text"] = unmarked_text(len(self._waiting), sum(self._waiting))
        return nb, resources

    def _get_score(self, cell: NotebookNode, resources: dict) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"], self.notebook_id, self.assignment_id, self.student_id
        )
        cell.metadata.nbgrader["awaiting"] = bool(grade.needs_manual_grade)
        if grade.needs_manual_grade:
            self._waiting.append(grade.max_score)


class HideCode(NbGraderPreprocessor):
    """Drop the source of every code cell from the feedback page, and the bare points its grade
    cell returns (an "Out[2]: 0" means nothing to a trainee); keep the explanations."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = ""
                cell.metadata.setdefault("transient", {})["remove_source"] = True
                cell.outputs = [out for out in cell.outputs if out.output_type != "execute_result"]
        return nb, resources
