"""Due dates as a tutor sets and changes them: a day (work handed in during it is on time), said
back in words; changing it on a module already released says so and changes only the date; a
date in the past is warned about."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from course.grading.gradebook import open_gradebook

from ..conftest import make_nbgrader_course
from .conftest import cohort_cli

MODULE = "09-keeping-up-to-date"
pytestmark = pytest.mark.slow  # nbgrader generates and releases the module


def duedate(root) -> datetime | None:
    with open_gradebook(root) as gb:
        return gb.find_assignment(MODULE).duedate


def test_a_due_date_is_set_said_changed_and_a_past_one_warned_about(tmp_path, course):
    cohort = make_nbgrader_course(tmp_path, course)
    first = date.today() + timedelta(days=14)
    status, out = cohort_cli(cohort.root, "release", MODULE, "--due", first.isoformat())
    assert status == 0, out
    assert f"released to the exchange, due {first:%-d %B %Y} (end of day, UTC)" in out
    assert duedate(cohort.root) == datetime.combine(first, datetime.max.time()).replace(microsecond=0)
    assert "warning" not in out

    # An extension for everyone: the date changes, the release stands, nothing says FAILED.
    later = first + timedelta(days=7)
    status, out = cohort_cli(cohort.root, "release", MODULE, "--due", later.isoformat(), after=True)
    assert status == 0 and "FAILED" not in out and "--force" not in out, out
    assert f"due date changed from {first:%-d %B %Y} (end of day, UTC) to {later:%-d %B %Y}" in out
    assert duedate(cohort.root).date() == later

    # Released again without a date: nothing changes, and the tutor is told how to change it.
    status, out = cohort_cli(cohort.root, "release", MODULE)
    assert status == 0 and "nothing changed" in out and f"due {later:%-d %B %Y}" in out
    assert duedate(cohort.root).date() == later

    # A typo in the year: the date is in the past. It is set (the tutor may mean it) and warned about.
    past = date.today() - timedelta(days=300)
    status, out = cohort_cli(cohort.root, "release", MODULE, "--due", past.isoformat())
    assert status == 0 and f"the due date {past.isoformat()} is in the past" in out
    assert duedate(cohort.root).date() == past
