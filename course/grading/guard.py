"""An nbgrader sanitize preprocessor that makes autograde run only what the course authored.

Runs first in ``Autograde.sanitize_preprocessors``. For each submitted notebook it:

1. compares the cells with the released notebook and records any added, removed or edited cell;
2. validates the trainee's answers file as data against the scenario;
3. writes its verdict beside the notebook for the kernel-side grader to read;
4. replaces the notebook's cells with the released ones (nbgrader's OverwriteCells then restores
   the hidden tests), copying the reflection into its manually graded cell as literal text, below
   the path the trainee took and the scenario's rubric (see ``tutor_view``).

So no cell a trainee wrote or edited is ever executed, and a tampered scenario scores 0 without
touching anyone else's grading.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from ..documents import (
    ANSWERS_SUFFIX,
    MAX_ANSWERS_BYTES,
    REFLECTION_CELL,
    SCENARIO_SUFFIX,
    VERDICT_SUFFIX,
    GradingKey,
    InvalidAnswers,
    KeyUnavailable,
    ScenarioData,
    Verdict,
    answers_path,
    grade_id,
    parse_answers,
    read_play_document,
)
from ..status import VerdictStatus
from .collect import NOTES, SECRET, TIMESTAMP, collect_notes
from .files import UnsafeFile, printable, read_regular
from .released import key_or_reason
from .tutor_view import note_markdown, reflection_markdown

NOTE_CELL = "reflection-note"  # the cell above a reflection that has nothing to grade


def cell_changes(submitted: NotebookNode, released: NotebookNode) -> list[str]:
    """What differs between the submitted and released cells (outputs are ignored)."""
    changes = []
    for i, (sub, rel) in enumerate(zip(submitted.cells, released.cells, strict=False), start=1):
        name = grade_id(rel) or f"#{i}"
        if sub.get("cell_type") != rel.cell_type or sub.get("source") != rel.source:
            changes.append(f"cell {name} was edited.")
        elif grade_id(sub) != grade_id(rel):
            changes.append(f"cell {name} has altered grading metadata.")
    extra = len(submitted.cells) - len(released.cells)
    if extra > 0:
        changes.append(f"{extra} cell(s) were added.")
    elif extra < 0:
        changes.append(f"{-extra} cell(s) were removed.")
    return changes


def show_reflection(
    nb: NotebookNode, verdict: Verdict, key: Callable[[], GradingKey | KeyUnavailable]
) -> str | None:
    """Fill the reflection cell of the rebuilt notebook for the tutor; return why the path could
    not be shown, if so. Knowledge checks have no reflection cell and are left alone.

    With nothing to grade (not started, tampered, no reflection written) the cell stays exactly
    as released, so nbgrader scores it 0 itself instead of asking the tutor; a note above says why.
    """
    index = next((i for i, cell in enumerate(nb.cells) if grade_id(cell) == REFLECTION_CELL), None)
    if index is None:
        return None
    note = note_markdown(verdict)
    if note is not None:
        cell = new_markdown_cell(note)
        cell.id = NOTE_CELL
        nb.cells.insert(index, cell)
        return None
    nb.cells[index].source, problem = reflection_markdown(verdict.reflection, verdict.choices, key())
    return problem


def remove_unexpected(
    graded_dir: Path, coursedir: CourseDirectory, assignment: str, log: logging.Logger
) -> None:
    """Keep in the autograded folder only what the course put there or grades: the module's source
    files (copied by nbgrader), its notebooks, answers files and verdicts, nbgrader's timestamp
    and secret. Anything else a submission brought (collected by other means than the course's
    collect) is removed from this working copy; the submitted folder keeps it."""
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    notebooks = {p.stem for p in source.glob("*.ipynb")}
    kept = {p.name for p in source.iterdir()} | {TIMESTAMP, SECRET, NOTES}
    kept |= {f"{n}{suffix}" for n in notebooks for suffix in (".ipynb", ANSWERS_SUFFIX, VERDICT_SUFFIX)}
    for entry in os.scandir(graded_dir):
        if entry.name in kept and entry.is_file(follow_symlinks=False):
            continue
        log.warning("Removed from %s (not part of the course): %s", graded_dir, printable(entry.name))
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)


class GuardSubmission(NbGraderPreprocessor):
    """Rebuild each submission from the released notebook and judge its answers as data."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources["nbgrader"]
        student, assignment, notebook = info["student"], info["assignment"], info["notebook"]
        coursedir = CourseDirectory(config=self.config)
        released_dir = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
        submitted_dir = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        graded_dir = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        released = nbformat.read(released_dir / f"{notebook}.ipynb", as_version=4)

        reasons = cell_changes(nb, released)
        broken = collect_notes(submitted_dir).get(notebook)
        if broken:
            reasons.append(broken)
        verdict = Verdict(scenario=notebook, status=VerdictStatus.OK)
        # Answers are checked against the scenario as released, which the trainee played.
        if (released_dir / f"{notebook}{SCENARIO_SUFFIX}").exists():
            scenario: ScenarioData = read_play_document(released_dir, notebook)["scenario"]
            answers_file = answers_path(submitted_dir, notebook)
            if os.path.lexists(answers_file):
                try:
                    # Never through a link, never more than the app writes.
                    answers = parse_answers(read_regular(answers_file, MAX_ANSWERS_BYTES), scenario)
                    verdict.choices, verdict.reflection = answers.choices, answers.reflection
                except (InvalidAnswers, UnsafeFile) as exc:
                    reasons.append(f"The answers file is invalid: {exc}.")
                except Exception as exc:  # whatever else the data provokes: this item only
                    self.log.error("Answers of %s/%s/%s could not be checked", student, assignment, notebook)
                    reasons.append(f"The answers file could not be checked ({type(exc).__name__}).")
            elif not reasons:
                verdict.status = VerdictStatus.NOT_STARTED
        if reasons:
            verdict = Verdict(scenario=notebook, status=VerdictStatus.TAMPERED, reasons=reasons)
            self.log.warning(
                "Tampered submission %s/%s/%s: %s",
                student,
                assignment,
                notebook,
                printable(" ".join(reasons), 400),
            )
        graded_dir.mkdir(parents=True, exist_ok=True)
        verdict.write(graded_dir)
        remove_unexpected(graded_dir, coursedir, assignment, self.log)

        rebuilt = copy.deepcopy(released)
        key = lambda: key_or_reason(info["db_url"], assignment, notebook)  # noqa: E731 - read only if shown
        problem = show_reflection(rebuilt, verdict, key)
        if problem:
            self.log.warning(
                "The path taken is not shown beside %s's reflection in %s/%s: %s",
                student,
                assignment,
                notebook,
                problem,
            )
        return rebuilt, resources
