"""Per-trainee extensions: a later due date for one trainee on one module.

The course keeps them in one place, ``extensions.json`` in the cohort's folder (module -> trainee
-> the last day, ``YYYY-MM-DD``), because an extension is usually granted before the trainee has
submitted, and nbgrader can only hold one (``SubmittedAssignment.extension``) on a submission row
autograde has created. Everything that needs a trainee's due date reads it from here
(:func:`trainee_due`); nbgrader's gradebook gets it as its own extension:

- at autograde, :class:`GrantExtensions` (an autograde preprocessor placed before nbgrader's
  ``AssignLatePenalties``) grants the recorded extension on the submission row nbgrader has just
  made, so nbgrader's lateness and late penalty, the formgrader and its exports use it;
- on a submission autograded already, :func:`extend` grants it at once and recomputes the late
  penalty with nbgrader's own ``AssignLatePenalties`` (:func:`recompute_penalties`).

Like a module's due date, the day given is the trainee's last: work handed in by its end (23:59:59
UTC) is on time.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from nbconvert.exporters.exporter import ResourcesDict
from nbformat import NotebookNode
from nbformat.v4 import new_notebook
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties, NbGraderPreprocessor

from .gradebook import course_directory, open_gradebook
from .once import once
from .released import released_modules

RECORD = "extensions.json"
Extensions = dict[str, dict[str, str]]  # module -> trainee -> last day (ISO date)


class ExtensionError(ValueError):
    """An extension that cannot be granted or removed, in a sentence; nothing was changed."""


def end_of_day(day: date) -> datetime:
    """A due day as nbgrader keeps it: its last second, naive UTC (work handed in during it is on time)."""
    return datetime.combine(day, time(23, 59, 59))


def said(day: datetime) -> str:
    return f"{day:%-d %B %Y} (end of day, UTC)"


def parse_day(text: str) -> date:
    """A day as the tutor types it (YYYY-MM-DD); :class:`ExtensionError` saying what was wrong."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ExtensionError(f"{text!r} is not a date written YYYY-MM-DD ({exc})") from exc


def read_extensions(course_dir: Path) -> Extensions:
    """The cohort's recorded extensions (none when the file does not exist)."""
    path = Path(course_dir) / RECORD
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("expected an object of modules")
        return {
            str(module): {str(t): parse_day(str(d)).isoformat() for t, d in trainees.items()}
            for module, trainees in data.items()
        }
    except (ValueError, AttributeError, ExtensionError) as exc:
        raise ExtensionError(f"{path} is not a readable record of extensions: {exc}") from exc


def _write_extensions(course_dir: Path, extensions: Extensions) -> None:
    """Replace the record in one step, so a reader never sees half of it."""
    kept = {module: dict(sorted(t.items())) for module, t in sorted(extensions.items()) if t}
    handle, temporary = tempfile.mkstemp(prefix=f".{RECORD}.", dir=course_dir)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        json.dump(kept, fh, indent=1)
        fh.write("\n")
    os.replace(temporary, Path(course_dir) / RECORD)


def extended_until(extensions: Extensions, module: str, trainee: str) -> datetime | None:
    """The end of the trainee's extended last day on ``module``, if one is recorded."""
    day = extensions.get(module, {}).get(trainee)
    return end_of_day(date.fromisoformat(day)) if day else None


def extended_days(course_dir: Path) -> dict[tuple[str, str], date]:
    """Every recorded extension as ``(trainee, module) -> last day`` (for the report's overdue flag)."""
    return {
        (trainee, module): date.fromisoformat(day)
        for module, trainees in read_extensions(course_dir).items()
        for trainee, day in trainees.items()
    }


def trainee_due(module_due: datetime | None, until: datetime | None) -> datetime | None:
    """A trainee's own due date: the module's, or their extension where it is later."""
    if module_due is None or until is None:
        return module_due
    return max(module_due, until)


def extension_interval(module_due: datetime | None, until: datetime | None) -> timedelta | None:
    """The extension as nbgrader keeps it (time added to the module's due date), None for none."""
    if module_due is None or until is None or until <= module_due:
        return None
    return until - module_due


def _grant(gb: Gradebook, module: str, trainee: str, until: datetime | None) -> bool:
    """Set nbgrader's extension on the trainee's submission row; False when there is no row yet."""
    try:
        submission = gb.find_submission(module, trainee)
    except MissingEntry:
        return False
    wanted = extension_interval(submission.assignment.duedate, until)
    if submission.extension != wanted:
        submission.extension = wanted
        gb.db.commit()
    return True


class GrantExtensions(NbGraderPreprocessor):
    """Autograde: give the submission nbgrader has just recorded the trainee's recorded extension
    (or none), before ``AssignLatePenalties`` reads its lateness. Changes nothing in the notebook."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        info = resources["nbgrader"]
        # The course directory as the converter was configured with it (course_directory sets it).
        # Once per submission (the row is the submission's, not the notebook's): course.grading.once.
        once(("extension", info["db_url"], info["assignment"], info["student"]), lambda: self._grant(info))
        return nb, resources

    def _grant(self, info: dict) -> None:
        root = Path(CourseDirectory(config=self.config).root)
        until = extended_until(read_extensions(root), info["assignment"], info["student"])
        with Gradebook(info["db_url"]) as gb:
            _grant(gb, info["assignment"], info["student"], until)


def recompute_penalties(course_dir: Path, module: str, trainee: str) -> float | None:
    """The trainee's late penalty on ``module`` computed again by nbgrader's own
    ``AssignLatePenalties`` with the cohort's configured plugin, from each notebook's present score
    (manual marks included) and the submission's due date with its extension; the new total, or
    None when the submission has not been autograded."""
    coursedir = course_directory(course_dir)
    with open_gradebook(course_dir) as gb:
        try:
            submission = gb.find_submission(module, trainee)
        except MissingEntry:
            return None
        notebooks = [notebook.name for notebook in submission.notebooks]
    for notebook in notebooks:
        resources = {
            "nbgrader": {
                "notebook": notebook,
                "assignment": module,
                "student": trainee,
                "db_url": coursedir.db_url,
            }
        }
        AssignLatePenalties(config=coursedir.config).preprocess(new_notebook(), resources)
    with open_gradebook(course_dir) as gb:
        return gb.find_submission(module, trainee).late_submission_penalty


def refresh_due_dates(course_dir: Path, module: str) -> int:
    """After the module's due date changed, and before feedback or an export (a mark given in the
    formgrader since autograde changes a penalty that is a share of the score): every autograded
    submission of ``module`` gets its recorded extension again (nbgrader keeps it as time added to
    the module's due date) and its late penalty recomputed (:func:`recompute_penalties`). How many
    submissions there were."""
    extensions = read_extensions(course_dir)
    with open_gradebook(course_dir) as gb:
        try:
            trainees = [submission.student.id for submission in gb.find_assignment(module).submissions]
        except MissingEntry:
            return 0
        for trainee in trainees:
            _grant(gb, module, trainee, extended_until(extensions, module, trainee))
    for trainee in trainees:
        recompute_penalties(course_dir, module, trainee)
    return len(trainees)


@dataclass(frozen=True)
class Extended:
    """What :func:`extend` did, for the tutor."""

    module: str
    trainee: str
    module_due: datetime
    until: datetime | None  # None: removed
    penalty: float | None  # the recomputed late penalty, None when not autograded yet

    def summary(self) -> str:
        if self.until is None:
            head = f"{self.trainee}'s extension on {self.module} removed: due {said(self.module_due)}"
        else:
            head = (
                f"{self.trainee} has an extension on {self.module}: due {said(self.until)} "
                f"instead of {said(self.module_due)}"
            )
        if self.penalty is None:
            return head + "; autograde gives it to nbgrader when the submission is graded"
        return (
            f"{head}; their autograded submission now has this due date in the gradebook, "
            f"and its late penalty was recomputed: {self.penalty:g} point(s)"
        )


def extend(course_dir: Path, module: str, trainee: str, until: date | None) -> Extended:
    """Record (``until`` a day) or remove (``until`` None) the trainee's extension on ``module``;
    on a submission autograded already, grant it in the gradebook and recompute its late penalty.
    :class:`ExtensionError`, with nothing changed, for a trainee not on the roster, a module not
    released or without a due date, or a day not after the module's due date."""
    with open_gradebook(course_dir, must_exist=True) as gb:
        roster = {student.id for student in gb.students}
        dues = {assignment.name: assignment.duedate for assignment in gb.assignments}
    released = list(released_modules(course_dir))
    if module not in released:
        raise ExtensionError(
            f"module {module!r} is not released to this cohort; released: {', '.join(released) or 'none'}"
        )
    if trainee not in roster:
        raise ExtensionError(
            f"{trainee!r} is not on the cohort's roster "
            "(add them to the roster file and import it with `roster` first)"
        )
    due = dues[module]
    if due is None:
        raise ExtensionError(f"{module} has no due date: set one first with `release {module} --due DATE`")
    extensions = read_extensions(course_dir)
    if until is None:
        if trainee not in extensions.get(module, {}):
            raise ExtensionError(f"{trainee} has no extension on {module} to remove")
        extensions[module].pop(trainee)
        new = None
    else:
        new = end_of_day(until)
        if new <= due:
            raise ExtensionError(
                f"{until.isoformat()} is not after {module}'s due date, {said(due)}: an extension is later"
            )
        extensions.setdefault(module, {})[trainee] = until.isoformat()
    _write_extensions(course_dir, extensions)
    with open_gradebook(course_dir) as gb:
        autograded = _grant(gb, module, trainee, new)
    penalty = recompute_penalties(course_dir, module, trainee) if autograded else None
    return Extended(module, trainee, due, new, penalty)
