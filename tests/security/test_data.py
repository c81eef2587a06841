"""Bad data in one item costs that item only: a notebook left out, a lone surrogate."""

from __future__ import annotations

import csv

import pytest

from course.grading.results import grading_results

from .conftest import (
    BROKEN,
    DELETED,
    MODULE,
    ORDERS,
    SURROGATE,
    assert_only_the_first_item_flagged,
    decisions,
    points,
)

pytestmark = pytest.mark.slow


def test_a_deleted_notebook_reads_not_started_scores_zero_and_exports(attacked_cohort):
    cohort = attacked_cohort
    first, second, *rest = cohort.items
    results = grading_results(cohort.root).set_index(["student", "scenario"])
    assert results.loc[(DELETED, second.id), "status"] == "not-started"
    assert results.loc[(DELETED, second.id), "score"] == 0
    assert "not in the submission" in results.loc[(DELETED, second.id), "reasons"]
    assert decisions(cohort, DELETED) == {
        second.id: 0,
        **{s.id: points(cohort, DELETED, s) for s in (first, *rest)},
    }
    with open(cohort.root / "exports" / "gradebook-moodle.csv", encoding="utf-8-sig", newline="") as fh:
        rows = [row for row in csv.reader(fh)]
    (row,) = [r for r in rows if DELETED in r]
    assert "failed" not in row
    with open(cohort.root / "exports" / "grades.csv", encoding="utf-8-sig", newline="") as fh:
        (graded,) = [
            r for r in csv.DictReader(fh) if r["student_id"] == DELETED and r["assignment"] == MODULE
        ]
    assert graded["status"] != "failed"


def test_a_lone_surrogate_in_a_reflection_flags_that_item_and_grades_the_rest(attacked_cohort):
    assert_only_the_first_item_flagged(attacked_cohort, SURROGATE, "not valid Unicode")


def test_a_recorded_order_no_page_could_show_flags_that_item_and_grades_the_rest(attacked_cohort):
    assert_only_the_first_item_flagged(attacked_cohort, ORDERS, "not an order of its options")


def test_a_notebook_that_is_not_a_notebook_flags_that_item_and_grades_the_rest(attacked_cohort):
    """nbgrader reads every notebook before any preprocessor and fails the whole module on one it
    cannot read: collect grades the released notebook in its place and the guard flags the item."""
    assert_only_the_first_item_flagged(attacked_cohort, BROKEN, "was not a valid notebook (ValidationError)")
