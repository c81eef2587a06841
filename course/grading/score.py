"""Kernel-side scoring, run by nbgrader autograde in the hidden test cell of each scenario.

The cell's value is the score (nbgrader's partial credit); the HTML it displays is the feedback
the trainee sees once it is released. It reads only the guard's verdict, never trainee files.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from IPython.display import HTML, display

from ..play.engine import walk
from ..play.render import grading_html, walk_score
from .verdict import NOT_STARTED, TAMPERED, read_verdict


def _message(text: str) -> None:
    # Reasons can quote what a trainee submitted: escape, never render it as markup.
    display(HTML(f'<section class="mip-grading"><p><strong>{escape(text)}</strong></p></section>'))


def grade_scenario(key: Mapping[str, Any], folder: Path | None = None) -> int:
    scenario = key["scenario"]
    verdict = read_verdict(folder or Path.cwd(), scenario["id"])
    if verdict is None:
        _message(
            "Not graded: the course's submission guard did not run for this notebook. "
            "Check that grading/nbgrader_config.py is the configuration in use."
        )
        return 0
    if verdict.status == NOT_STARTED:
        _message("This scenario was not attempted: no answers were saved.")
        return 0
    if verdict.status == TAMPERED:
        _message("Scored 0: this submission was changed outside the course app. " + " ".join(verdict.reasons))
        return 0
    played = walk(scenario, verdict.choices)
    display(HTML(grading_html(played, key)))
    return walk_score(played)
