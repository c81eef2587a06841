"""Autograde's execution step without a kernel.

nbgrader's ``Execute`` starts a kernel in the trainee's autograded folder, and that folder comes
first on the kernel's import path: a file or folder a trainee submitted under a module's name
(``course/``, ``json.py``...) would be imported and run as the tutor. Every score is already
decided from data (the guard's verdict), so this preprocessor takes ``Execute``'s place in
``Autograde.autograde_preprocessors`` and writes each grade cell's outputs in the grading
process itself: the explanation as HTML and the points as the cell's result, which nbgrader reads
as partial credit. No kernel starts, no cell source is executed, and nothing in the autograded
folder is imported, whatever its name. It is also why grading cannot fail on a kernel that does
not start on a busy machine.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from ..documents import DECISIONS_CELL, KeyUnavailable, grade_id, read_verdict
from .released import key_or_reason
from .score import score


def _error(name: str, message: str) -> NotebookNode:
    # An error output: nbgrader gives the cell 0, as it would for a failing test.
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class ScoreWithoutKernel(NbGraderPreprocessor):
    """Fill the ``decisions`` cell's outputs from the verdict; every other code cell gets none."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        graded = Path(
            coursedir.format_path(coursedir.autograded_directory, info["student"], info["assignment"])
        )
        for number, cell in enumerate(nb.cells, start=1):
            if cell.cell_type != "code":
                continue
            cell.execution_count = None
            cell.outputs = []
            if grade_id(cell) == DECISIONS_CELL:
                cell.execution_count = number
                cell.outputs = self._decisions(number, info, graded)
        return nb, resources

    def _decisions(self, number: int, info: dict, graded: Path) -> list[NotebookNode]:
        # The key as released (the cell OverwriteCells restored holds the same source).
        key = key_or_reason(info["db_url"], info["assignment"], info["notebook"])
        if isinstance(key, KeyUnavailable):
            self.log.error("Not graded: %s", key)
            return [_error("KeyUnavailable", str(key))]
        result = score(key, read_verdict(graded, info["notebook"]))
        return [
            new_output("display_data", data={"text/html": result.html}),
            new_output(
                "execute_result",
                data={"text/plain": str(result.points)},
                execution_count=number,
            ),
        ]
