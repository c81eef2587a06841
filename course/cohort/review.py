"""The review cycle: which trainees must retake which modules.

The policy is "regularly reviewed every 18 months" (``review_every_months`` in
course/policy.yaml). A completed module is due again when

- a clause it rests on was revised after the policy version the trainee answered under (the
  same rule the trainee app uses to mark a module "needs retake": ``course.documents.revised_since``),
  or
- it was completed longer ago than the policy's review period.

:func:`read_completions` gathers when each module was completed and under which version, from
the gradebook and the submitted answers; :func:`review_due` is the pure rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ..documents import revised_since
from ..grading.gradebook import course_directory, submitted_times
from ..policy import VERSION_PATTERN, Policy
from .frames import require_columns

COMPLETION_COLUMNS = ["student", "module", "completed", "policy_version"]
REVIEW_COLUMNS = [
    "student",
    "module",
    "completed",
    "policy_version",
    "revised_clauses",
    "expired",
    "reason",
]
_VERSION = re.compile(VERSION_PATTERN)


def read_completions(
    course_dir: Path, answered: pd.DataFrame, times: Mapping[tuple[str, str], datetime | None] | None = None
) -> pd.DataFrame:
    """One row per collected submission: the trainee, the module, when it was submitted
    (``completed``: nbgrader's timestamp.txt, as a naive UTC Timestamp; NaT if unreadable) and the
    oldest policy version its answers files record (``answered``:
    :attr:`course.cohort.choices.CohortAnswers.answered`), "" when no valid file records one.
    A submission whose grading failed still counts: the trainee completed the module. ``times``:
    :func:`course.grading.gradebook.submitted_times`, for a caller that has read them already."""
    if times is None:
        times = submitted_times(course_directory(course_dir))
    rows = [[student, module, pd.Timestamp(t) if t else pd.NaT] for (student, module), t in times.items()]
    frame = pd.DataFrame(rows, columns=COMPLETION_COLUMNS[:3])
    frame["completed"] = pd.to_datetime(frame["completed"], utc=True).dt.tz_localize(None)
    valid = answered[answered["policy_version"].map(lambda v: bool(_VERSION.match(str(v))))]
    oldest: dict[tuple[str, str], str] = {}  # (student, module) -> the oldest version recorded
    for pair, version in zip(
        zip(valid["student"].tolist(), valid["module"].tolist(), strict=True),
        valid["policy_version"].tolist(),
        strict=True,
    ):
        if pair not in oldest or version < oldest[pair]:
            oldest[pair] = version
    pairs = zip(frame["student"].tolist(), frame["module"].tolist(), strict=True)
    frame["policy_version"] = [oldest.get(pair, "") for pair in pairs]
    return frame[COMPLETION_COLUMNS]


def review_due(
    completions: pd.DataFrame,
    policy: Policy,
    module_clauses: Mapping[str, Iterable[str]],
    today: date,
) -> pd.DataFrame:
    """The completions due for a retake (columns :data:`REVIEW_COLUMNS`), sorted by trainee.

    ``module_clauses`` maps each module to the clauses it rests on, as released (its
    ``module.json``). A completion without a valid
    recorded version is taken to have been answered under the version current in the month it
    was completed. ``revised_clauses`` lists the clauses revised since; ``expired`` is True when
    the completion is older than the review period; ``reason`` says both in words. A completion
    without a date (NaT) is listed too, asking the tutor to check it.
    """
    require_columns(completions, COMPLETION_COLUMNS, "completions")
    period = policy.review_every_months
    cutoff = pd.Timestamp(today) - pd.DateOffset(months=period)
    revisions = {module: policy.revisions(clauses) for module, clauses in module_clauses.items()}
    rows = []
    for index, row in zip(completions.index, completions.to_dict("records"), strict=True):
        if row["module"] not in revisions:
            raise ValueError(f"completions row {index}: module {row['module']!r} is not in the course")
        completed = pd.Timestamp(row["completed"])
        version = row["policy_version"] if _VERSION.match(str(row["policy_version"])) else ""
        if pd.isna(completed):  # nbgrader's timestamp.txt was missing or unreadable
            under, expired = version or policy.version, False
            reasons = ["no readable submission timestamp: check this submission"]
        else:
            under, expired = version or completed.strftime("%Y-%m"), bool(completed < cutoff)
            reasons = []
        revised = revised_since(revisions[row["module"]], under)
        if revised:
            changes = ", ".join(f"{c} (revised {revisions[row['module']][c]})" for c in sorted(revised))
            reasons.append(f"answered under policy {under}; since then: {changes}")
        if expired:
            reasons.append(
                f"completed {completed.date().isoformat()}, more than {period} months ago "
                f"(the policy's review period)"
            )
        if not reasons:
            continue
        rows.append(
            {
                "student": row["student"],
                "module": row["module"],
                "completed": completed,
                "policy_version": version,
                "revised_clauses": ", ".join(sorted(revised)),
                "expired": expired,
                "reason": "; ".join(reasons),
            }
        )
    frame = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    return frame.sort_values(["student", "module"], ignore_index=True)
