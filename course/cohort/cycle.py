"""The cohort cycle through nbgrader's own API, in one process (not one command per trainee):
release, collect, autograde (in parallel worker processes), feedback.

Each step returns one :class:`StepResult` per module (or per trainee and module, for
autograde), so a failure is reported with its reason and never stops the rest of the cohort.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.apps.api import NbGraderAPI
from nbgrader.converters import GenerateFeedback
from nbgrader.exchange import ExchangeFactory
from nbgrader.utils import capture_log, temp_attrs
from tqdm import tqdm

from ..documents import read_verdict
from ..grading.collect import SafeCollect
from ..grading.extensions import refresh_due_dates
from ..grading.files import printable
from ..grading.gradebook import course_directory, open_gradebook, submitted_folders
from ..grading.once import one_submission
from ..grading.release_feedback import SafeReleaseFeedback
from ..status import VerdictStatus

LOCKED = "database is locked"  # SQLite: another worker is writing; wait and try again
RETRIES = 3
# The line of a traceback that names the exception, e.g. "nbformat.reader.NotJSONError: ...".
EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w*(?:Error|Exception|Timeout|Exit)\w*): (.+)$")
CONVERTING = re.compile(r"Converting notebook (\S+)")


@dataclass(frozen=True)
class StepResult:
    """One nbgrader action on one module (and trainee, for autograde)."""

    action: str
    module: str
    student: str = ""
    ok: bool = True
    reason: str = ""  # why it failed, in a line
    # Scenarios graded but flagged by the guard as tampered with: "scenario: reason".
    tampered: tuple[str, ...] = ()
    # What the tutor should know of a step that worked: submissions set aside, files left out.
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        # Ids, reasons and folder names can come from trainees: never print their control codes.
        who = f" {printable(self.student)}" if self.student else ""
        if not self.ok:
            return f"{self.action} {self.module}{who}: FAILED - {printable(self.reason, 400)}"
        flagged = "; ".join(printable(t, 400) for t in self.tampered)
        line = f"{self.action} {self.module}{who}: ok" + (f" (tampered: {flagged})" if flagged else "")
        return "\n    ".join([line, *(printable(n, 400) for n in self.notes)])


def api(course_dir: Path) -> NbGraderAPI:
    """nbgrader's API on the course at ``course_dir``, configured as its own commands are."""
    coursedir = course_directory(course_dir)
    config = coursedir.config
    return NbGraderAPI(coursedir=coursedir, config=config, exchange=ExchangeFactory(config=config))


def failure_reason(outcome: dict) -> str:
    """What went wrong, in a line, from the traceback and log nbgrader's API captured: the notebook
    being converted and the exception that stopped it, else the last error line."""
    text = "\n".join(str(outcome.get(k) or "") for k in ("log", "error"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # nbgrader ends with its own "see the above traceback" exception: the cause is the one before.
    exceptions = [m for m in map(EXCEPTION_LINE.match, lines) if m and "above traceback" not in m.group(2)]
    notebooks = CONVERTING.findall(text)
    where = f"{Path(notebooks[-1]).name}: " if notebooks else ""
    if exceptions:
        name, message = exceptions[-1].groups()
        return f"{where}{name}: {message}"[:300]
    errors = [line for line in lines if line.startswith(("[ERROR]", "[CRITICAL]")) and "above" not in line]
    return where + (errors or lines or ["nbgrader reported a failure without a message"])[-1][:300]


def _result(action: str, module: str, outcome: dict, student: str = "") -> StepResult:
    ok = bool(outcome.get("success"))
    return StepResult(action, module, student, ok, "" if ok else failure_reason(outcome))


def due_day(duedate: datetime | None) -> str:
    """A due date as the tutor gave it: a day, meaning its end (nbgrader keeps it in UTC)."""
    return f"{duedate:%-d %B %Y} (end of day, UTC)" if duedate else "no due date"


def release(course_dir: Path, modules: Iterable[str], duedate: datetime | None = None) -> list[StepResult]:
    """Generate each module's student version from ``source/`` (recording ``duedate`` in the
    gradebook: nbgrader's lateness, and the report's overdue flag) and release it to the exchange.
    A module released already is not released again: its due date is changed if one is given."""
    nb = api(course_dir)
    released = set(nb.get_released_assignments())
    results = []
    for module in tqdm(list(modules), desc="release", unit="module"):
        with open_gradebook(course_dir) as gb:
            try:
                before = gb.find_assignment(module).duedate
            except MissingEntry:
                before = None
            if duedate is not None:
                gb.update_or_create_assignment(module, duedate=duedate)
        if module in released:
            if duedate is None or duedate == before:
                note = (
                    f"released already, due {due_day(before)}: nothing changed (--due changes the due date)"
                )
            else:
                note = f"released already: due date changed from {due_day(before)} to {due_day(duedate)}"
            results.append(StepResult("release", module, notes=(note,)))
            continue
        generated = _result("generate", module, nb.generate_assignment(module))
        results.append(generated)
        if generated.ok:
            outcome = _result("release", module, nb.release_assignment(module))
            if outcome.ok:
                outcome = replace(outcome, notes=(f"released to the exchange, due {due_day(duedate)}",))
            results.append(outcome)
    return results


def collect(course_dir: Path, modules: Iterable[str]) -> list[StepResult]:
    """Copy every trainee's latest trustworthy submission of each module out of the exchange
    (the course's :class:`SafeCollect`, as ``nbgrader collect --update`` runs it); what was set
    aside, and why, and what was left out of a submission, comes back in the result's notes."""
    nb = api(course_dir)
    results = []
    for module in tqdm(list(modules), desc="collect", unit="module"):
        with temp_attrs(nb.coursedir, assignment_id=module):
            app = nb.exchange.Collect(coursedir=nb.coursedir, authenticator=nb.authenticator, parent=nb)
            app.update = True
            outcome = capture_log(app)
        result = _result("collect", module, outcome)
        if not isinstance(app, SafeCollect):
            result = StepResult(
                "collect", module, ok=False, reason="the course's SafeCollect is not configured"
            )
        elif result.ok:
            counts = len(app.collected), len(app.unchanged), len(app.refused)
            notes = ["collected {}, unchanged {}, set aside {}".format(*counts)]
            notes += [f"set aside {folder}" for folder in app.refused]
            notes += [
                f"left out of {c.student}'s: {', '.join(c.left_out)}" for c in app.collected if c.left_out
            ]
            result = replace(result, notes=tuple(notes))
        results.append(result)
    return results


def submitted_students(course_dir: Path, module: str) -> list[str]:
    """Trainees with a collected submission of ``module``."""
    return sorted(student for student, m, _ in submitted_folders(course_directory(course_dir)) if m == module)


def default_workers() -> int:
    """One per core: each worker runs one grading kernel at a time, and more processes than cores
    was measured slower here."""
    return max(1, os.cpu_count() or 1)


def quiet_library_warnings() -> None:
    """nbgrader's use of SQLAlchemy warns on every grading (``SAWarning``: an object not in the
    session); a tutor reading the output cannot act on it, and it buries what they can."""
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", category=SAWarning)


def graded_already(course_dir: Path, module: str, student: str) -> bool:
    """Whether the trainee's collected submission of ``module`` is the one last autograded: the
    autograded copy carries the submission's own timestamp (nbgrader copies it across)."""
    coursedir = course_directory(course_dir)
    submitted = coursedir.format_path(coursedir.submitted_directory, student, module)
    graded = coursedir.format_path(coursedir.autograded_directory, student, module)
    stamp = coursedir.get_existing_timestamp(submitted)
    return stamp is not None and Path(graded).is_dir() and coursedir.get_existing_timestamp(graded) == stamp


def autograde(
    course_dir: Path,
    modules: Iterable[str],
    students: Sequence[str] | None = None,
    workers: int | None = None,
    *,
    only_new: bool = False,
) -> list[StepResult]:
    """Autograde every collected submission of ``modules`` (or only ``students``'; with
    ``only_new``, only those not autograded since they were collected), ``workers`` submissions
    at a time (default :func:`default_workers`; 1 grades in this process).

    Returns one result per trainee and module graded, in module then trainee order. Trainees not
    on the roster are not graded."""
    jobs = [
        (module, student)
        for module in modules
        for student in submitted_students(course_dir, module)
        if (students is None or student in students)
        and not (only_new and graded_already(course_dir, module, student))
    ]
    missing, strangers = _check_gradebook(course_dir, jobs)
    results: dict[tuple[str, str], StepResult] = {}
    for m, s in jobs:
        if m in missing:
            results[m, s] = StepResult(
                "autograde", m, s, False, f"module {m} is not in the gradebook: release it first"
            )
        elif s in strangers:
            results[m, s] = StepResult(
                "autograde", m, s, False, f"{s} is not on the cohort's roster: not graded"
            )
    todo = [job for job in jobs if job not in results]
    workers = workers or default_workers()
    with tqdm(total=len(todo), desc="autograde", unit="submission") as bar:
        if workers == 1:
            for module, student in todo:
                results[module, student] = autograde_one(course_dir, module, student)
                bar.update()
        else:
            # "spawn": fresh workers that share no SQLite connection or thread with this process.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {pool.submit(autograde_one, course_dir, m, s): (m, s) for m, s in todo}
                for future in as_completed(futures):
                    module, student = futures[future]
                    try:
                        results[module, student] = future.result()
                    except Exception:
                        # A worker killed or starved by the machine says nothing about the
                        # submission: grade it again here before reporting anything.
                        results[module, student] = autograde_one(course_dir, module, student)
                    bar.update()
    return [results[job] for job in jobs]


def _check_gradebook(course_dir: Path, jobs: Sequence[tuple[str, str]]) -> tuple[set[str], set[str]]:
    """The modules the gradebook lacks, and the trainees it does not know (not on the roster:
    nbgrader would add them as students; they are never graded). Creates the gradebook first,
    so the workers only ever add their own submission's rows."""
    with open_gradebook(course_dir) as gb:
        known = {student.id for student in gb.students}
        missing = set()
        for module in {m for m, _ in jobs}:
            try:
                gb.find_assignment(module)
            except MissingEntry:
                missing.add(module)
    return missing, {s for _, s in jobs} - known


def autograde_one(course_dir: Path, module: str, student: str) -> StepResult:
    """One trainee's module (in a worker process, or this one); retried while another worker
    holds the gradebook's write lock."""
    quiet_library_warnings()  # in a worker process too
    nb = api(course_dir)
    for _ in range(RETRIES):
        with one_submission():  # what every notebook reads alike is read once (grading.once)
            outcome = nb.autograde(module, student, force=True, create=False)
        said = f"{outcome.get('error') or ''}{outcome.get('log') or ''}"
        if outcome.get("success") or LOCKED not in said:
            break
    result = _result("autograde", module, outcome, student)
    if not result.ok:
        return result
    graded = Path(nb.coursedir.format_path(nb.coursedir.autograded_directory, student, module))
    flagged = []
    for notebook in sorted(graded.glob("*.ipynb")):
        verdict = read_verdict(graded, notebook.stem)
        if verdict is not None and verdict.status == VerdictStatus.TAMPERED:
            flagged.append(f"{notebook.stem}: {' '.join(verdict.reasons)}"[:300])
    return StepResult("autograde", module, student, tampered=tuple(flagged))


def unmarked(course_dir: Path, modules: Iterable[str]) -> list[tuple[str, str, str]]:
    """The answers still waiting for a tutor's mark (a reflection nbgrader marks as needing a
    manual grade), as ``(module, trainee, scenario)``: feedback released now shows them as 0.
    Only completed gradings count: a failed one has no graded copy, and gets no feedback."""
    wanted, coursedir = set(modules), course_directory(course_dir)
    with open_gradebook(course_dir) as gb:
        return sorted(
            (assignment.name, submission.student.id, notebook.name)
            for assignment in gb.assignments
            if assignment.name in wanted
            for submission in assignment.submissions
            if Path(
                coursedir.format_path(coursedir.autograded_directory, submission.student.id, assignment.name)
            ).is_dir()
            for notebook in submission.notebooks
            if notebook.needs_manual_grade
        )


def feedback(course_dir: Path, modules: Iterable[str]) -> list[StepResult]:
    """Generate feedback pages for every graded submission of each module and release them.

    ``GenerateFeedback`` directly (``NbGraderAPI.generate_feedback`` sets nbgrader's stock
    template as ``HTMLExporter``'s, which the course's ``FeedbackExporter`` section now outranks,
    so either gives the course's page); the release is :func:`release_feedback`, per trainee."""
    nb = api(course_dir)
    results = []
    for module in tqdm(list(modules), desc="feedback", unit="module"):
        refresh_due_dates(course_dir, module)  # penalties from the scores as marked now
        with temp_attrs(nb.coursedir, assignment_id=module):
            app = GenerateFeedback(coursedir=nb.coursedir, parent=nb)
            app.force = True
            generated = _result("generate_feedback", module, capture_log(app))
        results.append(generated)
        if generated.ok:
            results += release_feedback(nb, module)
    return results


def release_feedback(nb: NbGraderAPI, module: str) -> list[StepResult]:
    """Release the module's feedback to every trainee who has some; one result for the module,
    and one per trainee whose feedback could not be released, with the reason."""
    with temp_attrs(nb.coursedir, assignment_id=module):
        app = nb.exchange.ReleaseFeedback(coursedir=nb.coursedir, authenticator=nb.authenticator, parent=nb)
        outcome = capture_log(app)
    result = _result("release_feedback", module, outcome)
    if not isinstance(app, SafeReleaseFeedback):
        return [
            StepResult(
                "release_feedback",
                module,
                ok=False,
                reason="the course's SafeReleaseFeedback is not configured",
            )
        ]
    failed = [StepResult("release_feedback", module, student, False, why) for student, why in app.problems]
    return [replace(result, notes=(f"released to {len(app.released)} trainee(s)",)), *failed]
