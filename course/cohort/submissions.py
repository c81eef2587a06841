"""Who has handed a module in, when, and whether on time: the cohort's submission status, as a
tutor reads it after ``course cohort collect``.

Every trainee on the roster is listed, in the roster's order: with the time of their collected
submission (nbgrader's ``timestamp.txt``, UTC) against their own due date (the module's, or their
extension's: "extended to ..."), or as not submitted.
Submissions collect set aside (an id not on the roster, a backdated folder...) are not here: collect
lists them with their reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..grading.extensions import extended_until, read_extensions, said, trainee_due
from ..grading.files import printable
from ..grading.gradebook import course_directory, open_gradebook, submitted_times
from ..status import Result, unmarked_text
from .lms import gradebook_students

COLUMNS = ["student", "name", "submitted", "status"]
ON_TIME, NOT_SUBMITTED = "on time", "not submitted"


def late_by(submitted: datetime, due: datetime) -> str:
    """How late, in the largest units that say it: "late by 3 days 2 h", "late by 40 min"."""
    minutes = int((submitted - due).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"late by {days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    return f"late by {hours} h {minutes} min" if hours else f"late by {max(minutes, 1)} min"


def submission_status(course_dir: Path, module: str) -> pd.DataFrame:
    """Every trainee on the roster with their submission of ``module`` (columns :data:`COLUMNS`;
    ``submitted`` a naive UTC Timestamp, NaT when none)."""
    return submission_statuses(course_dir, [module])[module]


def submission_statuses(
    course_dir: Path,
    modules: Sequence[str],
    times: Mapping[tuple[str, str], datetime | None] | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`submission_status` of each of ``modules``, reading the gradebook, the roster and the
    submitted folders once for all of them. ``times``:
    :func:`course.grading.gradebook.submitted_times`, for a caller that has read them already."""
    with open_gradebook(course_dir, must_exist=True) as gb:
        dues = {assignment.name: assignment.duedate for assignment in gb.assignments}
    if times is None:
        times = submitted_times(course_directory(course_dir))
    extensions = read_extensions(course_dir)
    roster = gradebook_students(course_dir)
    names = [" ".join(p for p in (t.first_name, t.last_name) if p) for t in roster.itertuples(index=False)]
    frames = {}
    for module in modules:
        due = dues.get(module)
        stamps = {}
        for (student, found), stamp in times.items():
            if found == module:
                stamp = pd.Timestamp(stamp or pd.NaT)
                stamps[student] = stamp.tz_convert(None) if stamp is not pd.NaT and stamp.tzinfo else stamp
        rows = []
        for trainee, name in zip(roster["id"], names, strict=True):
            when = stamps.get(trainee)
            until = extended_until(extensions, module, trainee)
            own_due = trainee_due(due, until)
            if trainee not in stamps:
                status = NOT_SUBMITTED
            elif pd.isna(when):
                status = "submitted; its time is unreadable: check it"
            elif own_due is not None and when > pd.Timestamp(own_due):
                status = late_by(when.to_pydatetime(), own_due)
            else:
                status = ON_TIME
            if until is not None and own_due != due:
                status += f", extended to {said(own_due)}"
            rows.append([trainee, name, pd.NaT if when is None else when, status])
        frames[module] = pd.DataFrame(rows, columns=COLUMNS)
    return frames


def with_grading(results: pd.DataFrame, module: str, frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`submission_status` with each trainee's grading of ``module`` (column ``grading``),
    from the cohort's :func:`course.grading.results.grading_results` (read once for all modules):
    "graded", "awaiting marking: 2 reflections (4 points)", "failed: why", with the scenarios
    flagged as tampered with; "" where nothing is graded yet."""
    results = results[results["module"] == module]
    said = {}
    for student, rows in results.groupby("student"):
        failed = rows[rows["status"] == Result.FAILED]
        waiting = rows[rows["status"] == Result.AWAITING_MARKING]
        if len(failed):
            text = "failed: " + "; ".join(sorted(set(failed["reasons"])))
        elif len(waiting):
            text = "awaiting marking: " + unmarked_text(
                int(waiting["unmarked"].sum()), float(waiting["unmarked_points"].sum())
            ).removesuffix(" awaiting marking")
        else:
            text = "graded"
        tampered = rows.loc[rows["status"] == Result.TAMPERED, "scenario"]
        if len(tampered):
            text += f"; tampered with: {', '.join(tampered)}"
        said[student] = text
    return frame.assign(grading=[said.get(student, "") for student in frame["student"]])


def with_feedback(course_dir: Path, module: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with whether each trainee's feedback on ``module`` is released (column ``feedback``)."""
    from .notify import feedback_released  # imports the exchange: only where feedback is asked for

    released = feedback_released(course_dir, module)
    return frame.assign(feedback=["released" if s in released else "" for s in frame["student"]])


def status_table(module: str, frame: pd.DataFrame) -> str:
    """The status as lines a tutor reads: a count, then one line per trainee, with the grading and
    feedback columns when ``frame`` has them (:func:`with_grading`, :func:`with_feedback`)."""
    handed_in = frame[~frame["status"].str.startswith(NOT_SUBMITTED)]
    late = handed_in["status"].str.startswith("late").sum()
    head = (
        f"{module}: {len(handed_in)} of {len(frame)} trainee(s) submitted ({late} late), "
        f"{len(frame) - len(handed_in)} not submitted"
    )
    width = max([len(str(s)) for s in frame["student"]] + [7])
    names = max([len(str(n)) for n in frame["name"]] + [4])
    extra = [c for c in ("grading", "feedback") if c in frame.columns]
    status = max([len(str(s)) for s in frame["status"]] + [6]) if extra else 0
    more = "".join(f"  {c.title()}" for c in extra)
    heading = f"  {'Trainee':{width}}  {'Name':{names}}  {'Submitted (UTC)':16}  {'Status':{status}}{more}"
    lines = [head, heading.rstrip()]
    for row in frame.itertuples(index=False):
        when = "" if pd.isna(row.submitted) else f"{row.submitted:%Y-%m-%d %H:%M}"
        # Ids and names come from a roster file: never print their control codes.
        student, name = printable(str(row.student)), printable(str(row.name))
        cells = "".join(f"  {printable(str(getattr(row, c)), 400)}" for c in extra)
        lines.append(f"  {student:{width}}  {name:{names}}  {when:16}  {row.status:{status}}{cells}".rstrip())
    return "\n".join(lines)
