"""The parts of the course's collect that need no exchange: times, ids, printing, notebooks."""

from __future__ import annotations

from datetime import datetime

import pytest
from nbgrader.exchange.abc import Exchange

from course.cohort.roster import ID_PATTERN
from course.grading.collect import TRAINEE_ID, Refusal, format_stamp, notebook_problem, parse_stamp
from course.grading.files import printable


def test_a_time_as_nbgrader_writes_it_round_trips():
    exchange = Exchange()
    exchange.set_timestamp()  # nbgrader's own default format and time zone
    parsed = parse_stamp(exchange.timestamp)
    assert format_stamp(parsed) == exchange.timestamp
    assert parse_stamp("2026-11-28 17:16:37 UTC") == datetime(2026, 11, 28, 17, 16, 37)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-28 17:16:37.123456 /home/alice/zone",  # dateutil would open the file as a zone
        "2026-11-28 17:16:37.123456 Europe/London",
        "2026-11-28 17:16:37.123456 UTC+9",
        "2026-11-28 17:16:37.123456",
        "\ufeff2026-11-28 17:16:37.123456 UTC",
        "2026-11-28 23:59:60.000000 UTC",
        "2026-02-30 10:00:00.000000 UTC",
        "99999-11-28 17:16:37.123456 UTC",
        "not a time",
    ],
)
def test_anything_else_is_refused_without_any_zone_lookup(text):
    with pytest.raises(Refusal, match="not a"):
        parse_stamp(text)


def test_collect_accepts_exactly_the_ids_the_roster_accepts():
    assert TRAINEE_ID.pattern == ID_PATTERN.pattern


def test_printable_shows_control_characters_as_escapes_and_cuts_long_text():
    assert printable("\x1b[31mred\n") == "\\x1b[31mred\\n"
    assert printable("\ud800") == "\\ud800"
    assert len(printable("x" * 500, 50)) == 50


def test_notebook_problems_are_named():
    assert notebook_problem(b"not json") == "NotJSONError"
    assert notebook_problem(b'{"cells": "no"}') == "ValidationError"
    assert notebook_problem(b"[" * 100_000) is not None
