"""The grading key is the one nbgrader recorded in its gradebook when the module was generated for
release: a key written into a submitted notebook is never the one a grade is computed with,
however it is dressed (nbgrader's metadata kept, its checksum recomputed, a second cell with the
key's id), and a notebook whose key cell is not where it was released is flagged.

Each attacker plays the worst path and forges their first item only: a forged key gives every
option its step's full points, so if it were used the worst path would score full marks."""

from __future__ import annotations

import nbformat
import pytest
from nbgrader.utils import compute_checksum

from course.documents import key_from_source, key_source
from course.engine import walk, walk_score
from course.grading.released import released_keys
from course.grading.results import grading_results

from ..conftest import graded_status
from .conftest import (
    FORGED_KEY,
    FORGED_META,
    FORGED_TWIN,
    MODULE,
    MOVED,
    Cohort,
    built_key,
    decisions,
    decisions_cells,
    forged_key,
    pick_for,
    worst_points,
)

pytestmark = pytest.mark.slow


def submitted(cohort: Cohort, trainee: str, scenario: str) -> nbformat.NotebookNode:
    """The notebook as collect copied it into submitted/ (what the trainee sent)."""
    return nbformat.read(cohort.root / "submitted" / trainee / MODULE / f"{scenario}.ipynb", as_version=4)


def assert_graded_from_the_released_key(cohort: Cohort, trainee: str, *reasons: str) -> None:
    """The first item is flagged tampered (each of ``reasons`` in its reasons) and scores 0, never
    the forged key's full marks; every other item is graded and scores the worst path's points,
    from the model; the graded notebook holds the released key and nothing of the forgery.

    (The worst path is worth 0 under the real key too: the status is what tells "tampered" from
    "graded", the score what tells the real key from the forged one.)"""
    first, *rest = cohort.items
    key = built_key(cohort, first.id)
    forged = forged_key(key)
    # The forgery is worth having: with it, this trainee's worst path would score full marks.
    worst = pick_for("worst", first)
    assert walk_score(walk(forged["scenario"], worst)) == key["max_points"] > worst_points(cohort, first)

    results = grading_results(cohort.root)
    mine = results[results["student"] == trainee].set_index("scenario")
    assert dict(mine["status"]) == {
        first.id: "tampered",
        **{s.id: graded_status(s, "Reflection.") for s in rest},
    }
    assert all(words in mine.loc[first.id, "reasons"] for words in reasons), mine.loc[first.id, "reasons"]
    got = decisions(cohort, trainee)
    assert got == {first.id: 0, **{s.id: worst_points(cohort, s) for s in rest}}
    assert got[first.id] != key["max_points"]
    assert cohort.gradebook[(trainee, first.id, "decisions")][2] == key["max_points"]  # max unchanged

    graded = nbformat.read(cohort.root / "autograded" / trainee / MODULE / f"{first.id}.ipynb", as_version=4)
    (cell,) = decisions_cells(graded)
    assert key_from_source(cell.source, "autograded") == key
    assert not any(key_source(forged) in c.source for c in graded.cells)


def test_a_forged_key_in_the_decisions_cell_is_flagged_and_scores_zero(attacked_cohort):
    """The decisions cell's source replaced by a forged key in key_source's exact format (nbgrader's
    checksum left stale): flagged as an edit of the decisions cell, 0, never full marks."""
    cohort, first = attacked_cohort, attacked_cohort.items[0].id
    (cell,) = decisions_cells(submitted(cohort, FORGED_KEY, first))
    assert cell.source == key_source(forged_key(built_key(cohort, first)))  # collect did not undo it
    assert cell.metadata.nbgrader.checksum != compute_checksum(cell)
    assert_graded_from_the_released_key(cohort, FORGED_KEY, "cell decisions was edited")


def test_a_forged_key_with_nbgraders_metadata_and_checksum_is_still_flagged(attacked_cohort):
    """The same forgery with nbgrader's metadata kept and its checksum recomputed: the cell looks
    pristine to nbgrader, but the guard compares it with the released notebook, not the checksum."""
    cohort, first = attacked_cohort, attacked_cohort.items[0].id
    (cell,) = decisions_cells(submitted(cohort, FORGED_META, first))
    assert cell.source == key_source(forged_key(built_key(cohort, first)))
    assert cell.metadata.nbgrader.checksum == compute_checksum(cell)
    assert cell.metadata.nbgrader.grade_id == "decisions" and cell.metadata.nbgrader.locked
    assert_graded_from_the_released_key(cohort, FORGED_META, "cell decisions was edited")


def test_a_second_decisions_cell_with_a_forged_key_is_flagged(attacked_cohort):
    """The released decisions cell left untouched and a second one after it (nbgrader's metadata,
    a valid checksum, the forged key), the one nbgrader's DeduplicateIds would keep: flagged as an
    added cell, 0, never full marks."""
    cohort, first = attacked_cohort, attacked_cohort.items[0].id
    released = nbformat.read(cohort.root / "release" / MODULE / f"{first}.ipynb", as_version=4)
    original, twin = decisions_cells(submitted(cohort, FORGED_TWIN, first))
    assert original == decisions_cells(released)[0]
    assert twin.source == key_source(forged_key(built_key(cohort, first)))
    assert twin.metadata.nbgrader.checksum == compute_checksum(twin)
    assert_graded_from_the_released_key(cohort, FORGED_TWIN, "1 cell(s) were added")


def test_a_decisions_cell_moved_below_the_reflection_is_flagged(attacked_cohort):
    """The released decisions cell, untouched, moved to the end: nbgrader finds its cells by grade
    id wherever they are (OverwriteCells, SaveAutoGrades, the gradebook's key), so the notebook is
    pristine to nbgrader; the guard compares positions with the released notebook and flags it."""
    cohort, first = attacked_cohort, attacked_cohort.items[0].id
    released = nbformat.read(cohort.root / "release" / MODULE / f"{first}.ipynb", as_version=4)
    sent = submitted(cohort, MOVED, first)
    assert sent.cells[-1] == decisions_cells(released)[0] and sent.cells != released.cells
    assert sorted(c.id for c in sent.cells) == sorted(c.id for c in released.cells)
    assert_graded_from_the_released_key(cohort, MOVED, "cell decisions was edited", "reflection was edited")


def test_the_gradebook_still_holds_the_released_keys_after_grading(attacked_cohort):
    """Nothing a trainee submitted reaches the keys nbgrader recorded: after grading every
    attacker, every released scenario's key is still the one `course build` wrote."""
    cohort = attacked_cohort
    keys, problems = released_keys(cohort.root)
    assert problems == {}
    assert keys == {MODULE: {scn.id: built_key(cohort, scn.id) for scn in cohort.items}}
