"""The review-cycle rule on hand-made completions: revised clauses, the review period, unknown
versions and dates."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from course.cohort.review import COMPLETION_COLUMNS, REVIEW_COLUMNS, review_due
from course.policy import load_policy

from ..play.test_progress_and_certificate import revised

TODAY = date(2026, 11, 24)


def completions(*rows) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=COMPLETION_COLUMNS)
    frame["completed"] = pd.to_datetime(frame["completed"])
    return frame


@pytest.fixture(scope="module")
def clauses(course) -> dict[str, list[str]]:
    return {c.module.id: sorted(c.clauses) for c in course.modules}


def test_a_clause_revised_after_the_version_answered_under_lists_the_module(clauses):
    module, other = list(clauses)[:2]
    clause = next(c for c in clauses[module] if c not in clauses[other])
    policy = revised(load_policy(), clause, "2026-06")
    frame = completions(
        ["ann", module, "2026-01-10", "2021-09"],  # before the revision: due
        ["bob", module, "2026-08-01", "2026-06"],  # under the revised policy: not due
        ["cat", other, "2026-01-10", "2021-09"],  # a module without the clause: not due
    )
    review = review_due(frame, policy, clauses, TODAY)
    assert list(review.columns) == REVIEW_COLUMNS
    assert list(review["student"]) == ["ann"]
    row = review.iloc[0]
    assert row["revised_clauses"] == clause and not row["expired"]
    assert "answered under policy 2021-09" in row["reason"] and f"{clause} (revised 2026-06)" in row["reason"]


def test_a_completion_older_than_the_review_period_is_due(clauses):
    module = next(iter(clauses))
    policy = load_policy()
    months = policy.review_every_months
    frame = completions(
        ["old", module, "2025-05-23", "2021-09"],  # 18 months and a day before TODAY
        ["new", module, "2025-05-25", "2021-09"],  # just inside the period
    )
    review = review_due(frame, policy, clauses, TODAY)
    assert list(review["student"]) == ["old"] and bool(review.iloc[0]["expired"])
    assert f"completed 2025-05-23, more than {months} months ago" in review.iloc[0]["reason"]


def test_without_a_recorded_version_the_month_of_completion_counts(clauses):
    module = next(iter(clauses))
    clause = clauses[module][0]
    policy = revised(load_policy(), clause, "2026-06")
    frame = completions(
        ["early", module, "2026-03-01", ""],  # answered before the revision
        ["later", module, "2026-07-01", "not-a-version"],  # after it
    )
    review = review_due(frame, policy, clauses, TODAY)
    assert list(review["student"]) == ["early"]
    assert "answered under policy 2026-03" in review.iloc[0]["reason"]


def test_a_completion_without_a_date_is_listed_to_be_checked(clauses):
    module = next(iter(clauses))
    frame = completions(["nodate", module, None, "2021-09"])
    review = review_due(frame, load_policy(), clauses, TODAY)
    assert list(review["student"]) == ["nodate"]
    assert "no readable submission timestamp" in review.iloc[0]["reason"]


def test_bad_input_names_what_was_expected(clauses):
    with pytest.raises(ValueError, match="lacks column"):
        review_due(pd.DataFrame({"student": ["a"]}), load_policy(), clauses, TODAY)
    frame = completions(["a", "no-such-module", "2026-01-01", "2021-09"])
    with pytest.raises(ValueError, match="row 0: module 'no-such-module' is not in the course"):
        review_due(frame, load_policy(), clauses, TODAY)
