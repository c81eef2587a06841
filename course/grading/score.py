"""Scoring one scenario from the guard's verdict: the value of its ``decisions`` grade cell.

The course grades without a kernel (:class:`course.grading.execute.ScoreWithoutKernel` puts this
result into the cell in the grading process), so nothing a trainee submitted is ever imported or
run. ``grade_scenario`` is what the cell's own source calls, for anyone who runs a source
notebook in a kernel; both give the same result. Only the verdict is read, never trainee files.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path

from ..documents import GradingKey, Verdict, read_verdict
from ..engine import walk, walk_score
from ..render import grading_html
from ..status import VerdictStatus


@dataclass(frozen=True)
class Score:
    points: int
    html: str  # what the trainee's feedback page shows for the decisions


def _message(text: str) -> str:
    # Reasons can quote what a trainee submitted: escape, never render it as markup.
    return f'<section class="mip-grading"><p><strong>{escape(text)}</strong></p></section>'


def score(key: GradingKey, verdict: Verdict | None) -> Score:
    """The points and the explanation for the path the verdict records."""
    if verdict is None:
        return Score(
            0,
            _message(
                "Not graded: the course's submission guard did not run for this notebook. "
                "Check that grading/nbgrader_config.py is the configuration in use."
            ),
        )
    if verdict.status == VerdictStatus.NOT_STARTED:
        return Score(0, _message("This scenario was not attempted: no answers were saved."))
    if verdict.status == VerdictStatus.TAMPERED:
        return Score(
            0,
            _message(
                "Scored 0: this submission was changed outside the course app. " + " ".join(verdict.reasons)
            ),
        )
    played = walk(key["scenario"], verdict.choices)
    return Score(walk_score(played), grading_html(played, key))


def grade_scenario(key: GradingKey, folder: Path | None = None) -> int:
    """In a kernel: show the explanation and return the points (nbgrader's partial credit)."""
    from IPython.display import HTML, display

    result = score(key, read_verdict(folder or Path.cwd(), key["scenario"]["id"]))
    display(HTML(result.html))
    return result.points
