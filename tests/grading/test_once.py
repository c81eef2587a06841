"""What grading one submission reads alike for every notebook is read once, for that submission only."""

from __future__ import annotations

import pytest

from course.cohort import cycle
from course.documents import DECISIONS_CELL, KeyUnavailable, key_source
from course.grading.gradebook import open_gradebook
from course.grading.once import once, one_submission
from course.grading.released import key_or_reason, released_key

from ..conftest import make_nbgrader_course

MODULE = "09-keeping-up-to-date"


def test_a_read_is_kept_within_one_submission_and_made_afresh_outside():
    reads = []

    def read() -> int:
        reads.append(1)
        return len(reads)

    assert [once("x", read), once("x", read)] == [1, 2]  # outside: every call reads
    with one_submission():
        assert [once("x", read), once("x", read), once("y", read)] == [3, 3, 4]
    with one_submission():
        assert once("x", read) == 5  # the next submission reads again


@pytest.fixture(scope="module")
def released(tmp_path_factory, course):
    nbc = make_nbgrader_course(tmp_path_factory.mktemp("once"), course)
    assert all(r.ok for r in cycle.release(nbc.root, [MODULE]))
    return nbc


@pytest.mark.slow
def test_keys_read_once_per_submission_are_the_keys_as_released(released, course):
    with open_gradebook(released.root) as gb:
        db_url = f"sqlite:///{released.root / 'gradebook.db'}"
        expected = {i.id: released_key(gb, MODULE, i.id) for i in course.module(MODULE).items}
    first = course.module(MODULE).items[0].id
    with one_submission():
        assert {name: key_or_reason(db_url, MODULE, name) for name in expected} == expected
        assert isinstance(key_or_reason(db_url, MODULE, "reading"), KeyUnavailable)
        assert isinstance(key_or_reason(db_url, "no-such-module", first), KeyUnavailable)

        # The key changes in the gradebook (the module generated again): this submission keeps
        # the key it started with, the next one reads the new one.
        changed = {**expected[first], "max_points": expected[first]["max_points"] + 1}
        with open_gradebook(released.root) as gb:
            gb.find_source_cell(DECISIONS_CELL, first, MODULE).source = key_source(changed)
            gb.db.commit()
        assert key_or_reason(db_url, MODULE, first) == expected[first]
    with one_submission():
        assert key_or_reason(db_url, MODULE, first) == changed
    assert key_or_reason(db_url, MODULE, first) == changed
