"""Grading under load: with both cores saturated by other work, the cohort's gradebook is the
same as on a quiet machine (the course starts no kernel; a worker that dies is graded again)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_a_saturated_machine_grades_the_same_gradebook(honest_cohort):
    cohort = honest_cohort
    status, output = cohort.outputs["loaded"]
    assert status == 0, output
    assert cohort.gradebook  # not two empty gradebooks
    assert cohort.loaded_gradebook == cohort.gradebook
    assert cohort.load_average > 1.0  # the busy processes really ran (2 cores here)
