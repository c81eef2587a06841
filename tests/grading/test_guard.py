"""The guard: spotting changed cells, and what it writes beside a reflection for the tutor.

The guard is run in-process on a scratch nbgrader course directory holding the real built course
(the rendering itself is tested in ``test_tutor_view.py``).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.api import Gradebook
from nbgrader.utils import compute_checksum
from traitlets.config import Config

from course.build.notebooks import build_course
from course.documents import DECISIONS_CELL, REFLECTION_CELL, Answers, grade_id, key_from_source, read_verdict
from course.grading.guard import NOTE_CELL, GuardSubmission, cell_changes
from course.grading.tutor_view import PATH_UNAVAILABLE, literal_markdown, path_markdown
from course.play.answers import save_answers
from course.status import VerdictStatus

from ..conftest import best_path

MODULE, STUDENT = "04-professional-conduct", "ana"


def released():
    cells = [new_markdown_cell("# Title"), new_code_cell("play()")]
    for cell, gid in zip(cells, ["title", "play"], strict=True):
        cell.metadata["nbgrader"] = {"grade_id": gid}
    return new_notebook(cells=cells)


def test_unchanged_notebook_has_no_changes_even_with_outputs():
    nb = released()
    nb.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    assert cell_changes(nb, released()) == []


def test_added_edited_and_removed_cells_are_named():
    nb = released()
    nb.cells[1].source = "import os; os.system('id')"
    nb.cells.append(new_code_cell("print('extra')"))
    assert cell_changes(nb, released()) == ["cell play was edited.", "1 cell(s) were added."]
    shorter = released()
    shorter.cells.pop()
    assert cell_changes(shorter, released()) == ["1 cell(s) were removed."]


@pytest.fixture(scope="module")
def built(course, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("build")
    build_course(course, source_dir=folder / "source", practice_dir=folder / "practice")
    return folder / "source" / MODULE


@pytest.fixture
def root(built, tmp_path) -> Path:
    """A course directory with the module's source, its release (the same notebooks: the guard
    only reads the cells and the public play document), the keys recorded in the gradebook as
    generating the release records them, and a submission by one trainee."""
    root = tmp_path / "course"
    for step in ("source", "release", f"submitted/{STUDENT}"):
        shutil.copytree(built, root / step / MODULE)
    for notebook in sorted((root / "source" / MODULE).glob("*.ipynb")):
        cells = [c for c in nbformat.read(notebook, as_version=4).cells if grade_id(c) == DECISIONS_CELL]
        if cells:
            record_key(root, notebook.stem, cells[0].source)
    return root


def record_key(root: Path, notebook: str, source: str) -> None:
    with Gradebook(db_url(root)) as gb:
        gb.update_or_create_assignment(MODULE)
        gb.update_or_create_notebook(notebook, MODULE)
        gb.update_or_create_source_cell(DECISIONS_CELL, notebook, MODULE, cell_type="code", source=source)


def db_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def released_key_source(root: Path, notebook: str) -> str:
    with Gradebook(db_url(root)) as gb:
        return gb.find_source_cell(DECISIONS_CELL, notebook, MODULE).source


def submitted(root: Path) -> Path:
    return root / "submitted" / STUDENT / MODULE


def run_guard(root: Path, notebook: str):
    config = Config()
    config.CourseDirectory.root = str(root)
    nb = nbformat.read(submitted(root) / f"{notebook}.ipynb", as_version=4)
    info = {"student": STUDENT, "assignment": MODULE, "notebook": notebook, "db_url": db_url(root)}
    resources = {"nbgrader": info}
    rebuilt, _ = GuardSubmission(config=config).preprocess(nb, resources)
    released = nbformat.read(root / "release" / MODULE / f"{notebook}.ipynb", as_version=4)
    return rebuilt, released, read_verdict(root / "autograded" / STUDENT / MODULE, notebook)


def reflection_index(nb) -> int:
    return next(
        i
        for i, c in enumerate(nb.cells)
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == REFLECTION_CELL
    )


HOSTILE = "<script>alert(1)</script>\n````\nstill text\n````"


def test_graded_reflection_is_shown_below_the_path_and_the_rubric(course, root):
    scn = course.module(MODULE).scenarios[0]
    choices = best_path(scn)
    save_answers(submitted(root), Answers(scenario=scn.id, choices=choices, reflection=HOSTILE))
    rebuilt, released, verdict = run_guard(root, scn.id)
    assert verdict.status == VerdictStatus.OK and verdict.choices == choices
    assert len(rebuilt.cells) == len(released.cells)  # no note: there is a reflection to grade
    i = reflection_index(rebuilt)
    source = rebuilt.cells[i].source
    key = key_from_source(released_key_source(root, scn.id), scn.id)
    assert source.startswith(path_markdown(key, choices))
    assert "\n\n**Rubric**\n\n" in source
    assert source.endswith("\n\n" + literal_markdown(HOSTILE))
    # A changed cell is what makes nbgrader put the reflection up for manual grading.
    assert compute_checksum(rebuilt.cells[i]) != compute_checksum(released.cells[i])
    others = [c for j, c in enumerate(rebuilt.cells) if j != i]
    assert others == [c for j, c in enumerate(released.cells) if j != i]


def test_unreadable_key_still_grades_the_reflection_with_a_note_and_a_warning(course, root, caplog):
    scn = course.module(MODULE).scenarios[1]
    record_key(root, scn.id, 'grade_scenario(json.loads(r"""{not json"""))')
    save_answers(submitted(root), Answers(scenario=scn.id, choices=best_path(scn), reflection="Mine."))
    with caplog.at_level(logging.WARNING):
        rebuilt, _, verdict = run_guard(root, scn.id)
    assert verdict.status == VerdictStatus.OK
    assert (
        rebuilt.cells[reflection_index(rebuilt)].source
        == f"{PATH_UNAVAILABLE}\n\n{literal_markdown('Mine.')}"
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(STUDENT in w and scn.id in w and "not valid JSON" in w for w in warnings), warnings


@pytest.mark.parametrize("case", ["tampered", "not-started", "no-reflection"])
def test_nothing_to_grade_leaves_the_reflection_cell_as_released_with_a_note_above(course, root, case):
    scn = course.module(MODULE).scenarios[2]
    if case != "not-started":
        save_answers(submitted(root), Answers(scenario=scn.id, choices=best_path(scn), reflection=HOSTILE))
    if case == "tampered":
        nb = nbformat.read(submitted(root) / f"{scn.id}.ipynb", as_version=4)
        nb.cells.append(new_code_cell("print('extra')"))
        nbformat.write(nb, submitted(root) / f"{scn.id}.ipynb")
    if case == "no-reflection":
        save_answers(submitted(root), Answers(scenario=scn.id, choices=best_path(scn), reflection=" \n"))
    rebuilt, released, verdict = run_guard(root, scn.id)
    status, words = {
        "tampered": (VerdictStatus.TAMPERED, "changed outside the course app"),
        "not-started": (VerdictStatus.NOT_STARTED, "not attempted"),
        "no-reflection": (VerdictStatus.OK, "no reflection was written"),
    }[case]
    assert verdict.status == status
    i = reflection_index(rebuilt)
    assert rebuilt.cells[i] == released.cells[reflection_index(released)]  # nbgrader scores it 0 itself
    note = rebuilt.cells[i - 1]
    assert note.id == NOTE_CELL and note.cell_type == "markdown" and words in note.source
    assert "nbgrader" not in note.metadata
    assert rebuilt.cells[: i - 1] + rebuilt.cells[i:] == released.cells


def test_knowledge_check_is_rebuilt_unchanged(course, root):
    check = course.module(MODULE).check
    save_answers(submitted(root), Answers(scenario=check.id, choices=best_path(check)))
    rebuilt, released, verdict = run_guard(root, check.id)
    assert verdict.status == VerdictStatus.OK and verdict.choices == best_path(check)
    assert rebuilt.cells == released.cells
