"""``course cohort``: the tutors' verbs, from roster to reports, each a thin call into the
package (the dashboard and the tests call the same functions).

Every verb works on one cohort: an nbgrader course directory (``--course-dir``, default
``grading/``, relative or absolute, before or after the verb), made by ``course cohort new``; a
folder that is not one is refused with what to do. Verbs that act on modules take module ids, or
all of them when none is given.
Exit status 1 when anything failed; what failed is printed with its reason.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ..cli_args import folder, voila_arguments
from ..paths import GRADING_DIR
from ..status import ModuleStatus
from .settings import CANVAS, LMS_NAMES, LOW_SCORE, MOODLE

if TYPE_CHECKING:
    import pandas as pd  # only for the annotations: building the parser imports nothing heavy


def trainee_names(roster: pd.DataFrame) -> dict[str, str]:
    """Each trainee's name as the roster gives it ("Chloé Dupont"), by id, printable."""
    from ..grading.files import printable
    from .labels import trainee_names as names

    return {student: printable(name or "no name given") for student, name in names(roster).items()}


def _report(results: Sequence) -> int:
    """Print what failed (and what was flagged); 1 if anything failed."""
    failed = [r for r in results if not r.ok]
    for result in results:
        if not result.ok or result.tampered or result.notes:
            print(f"  {result}", file=sys.stderr if not result.ok else sys.stdout)
    print(
        f"{len(results) - len(failed)} of {len(results)} done" + (f", {len(failed)} FAILED" if failed else "")
    )
    return 1 if failed else 0


def _pick(asked: list[str], available: list[str], what: str) -> list[str]:
    unknown = [m for m in asked if m not in available]
    if unknown:
        raise SystemExit(f"{what}: {', '.join(unknown)}; expected some of: {', '.join(available)}")
    return asked or available


def _course_modules(args: argparse.Namespace) -> list[str]:
    """The modules asked for (all of the course's when none), in course order."""
    from ..scenario.catalog import load_course

    known = [content.module.id for content in load_course(args.scenarios).modules]
    return _pick(args.modules, known, "unknown module(s)")


def _released_modules(args: argparse.Namespace) -> list[str]:
    """The modules asked for (all released to the cohort when none), in course order, as released."""
    from ..grading.released import released_modules

    released = list(released_modules(args.course_dir))
    return _pick(args.modules, released, "module(s) not released to this cohort")


def cmd_new(args: argparse.Namespace) -> int:
    from ..scenario.catalog import load_course
    from .setup import CohortExists, new_cohort

    try:
        made = new_cohort(args.folder, load_course(args.scenarios), exchange=args.exchange)
    except CohortExists as exc:
        print(exc, file=sys.stderr)
        return 1
    print(made.summary())
    return 0


def in_cohort(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A verb that works on a cohort: refused, with what to do, where ``--course-dir`` is none."""

    def checked(args: argparse.Namespace) -> int:
        from ..grading.extensions import ExtensionError
        from .setup import require_cohort

        args.course_dir = require_cohort(args.course_dir)
        try:
            return run(args)
        except ExtensionError as exc:  # the cohort's extensions.json, edited by hand and broken
            print(f"{exc}. Fix the file (or remove it and grant the extensions again).", file=sys.stderr)
            return 2

    return checked


def cmd_roster(args: argparse.Namespace) -> int:
    from .roster import ImportFailed, RosterError, import_roster, read_roster

    try:
        entries = read_roster(args.file)
        print(import_roster(args.course_dir, entries).summary())
    except (RosterError, ImportFailed) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from ..grading.extensions import end_of_day
    from .cycle import release

    # A due date is a day: work handed in during it is on time (its end, as nbgrader keeps it: UTC).
    due = end_of_day(args.due) if args.due else None
    if args.due and args.due < date.today():
        print(
            f"warning: the due date {args.due.isoformat()} is in the past: every submission will count "
            "as late, and the report flags the module as overdue for anyone who has not submitted.",
            file=sys.stderr,
        )
    modules = _course_modules(args)
    status = _report(release(args.course_dir, modules, duedate=due))
    if due is not None:
        _refresh_due_dates(args.course_dir, modules)
    return status


def _refresh_due_dates(course_dir: Path, modules: list[str]) -> None:
    """A new due date moves every graded submission's lateness: nbgrader's extension and penalty follow."""
    from ..grading.extensions import refresh_due_dates

    for module in modules:
        if graded := refresh_due_dates(course_dir, module):
            print(f"{module}: extensions and late penalties of {graded} graded submission(s) recomputed")


def cmd_collect(args: argparse.Namespace) -> int:
    from .cycle import collect
    from .submissions import status_table, submission_status

    modules = _released_modules(args)
    status = _report(collect(args.course_dir, modules))
    for module in modules:  # who has handed in, when, and on time or not; who has not
        print(status_table(module, submission_status(args.course_dir, module)))
    return status


def cmd_autograde(args: argparse.Namespace) -> int:
    from ..grading.results import grading_results
    from .cycle import autograde, default_workers, quiet_library_warnings, submitted_students
    from .submissions import status_table, submission_status, with_grading

    quiet_library_warnings()
    modules = _released_modules(args)
    workers = args.workers or default_workers()
    # What is new since the last run, unless every submission (--all) or named trainees are asked for.
    only_new = not (args.all or args.student)
    results = autograde(args.course_dir, modules, args.student or None, workers, only_new=only_new)
    collected = sum(len(submitted_students(args.course_dir, m)) for m in modules)
    if only_new:
        print(
            f"autograded {len(results)} new submission(s) with {workers} worker(s); "
            f"{collected - len(results)} graded already (--all grades every submission again)"
        )
    else:
        print(f"autograded {len(results)} submission(s) with {workers} worker(s)")
    status = _report(results)
    graded = grading_results(args.course_dir)
    for module in modules:  # every trainee: submitted or not, and how the grading went
        frame = submission_status(args.course_dir, module)
        print(status_table(module, with_grading(graded, module, frame)))
    return status


def cmd_feedback(args: argparse.Namespace) -> int:
    from ..grading.results import grading_results
    from .cycle import feedback, unmarked
    from .submissions import status_table, submission_status, with_feedback, with_grading

    modules = _released_modules(args)
    waiting = unmarked(args.course_dir, modules)
    if waiting and not args.anyway:
        trainees = len({trainee for _, trainee, _ in waiting})
        print(
            f"{len(waiting)} reflection(s) of {trainees} trainee(s) are not marked yet: feedback released "
            "now would say 'awaiting your tutor's mark' for each, with a provisional score. Mark them "
            "first (the dashboard's Mark reflections view, or the formgrader), or run `feedback "
            "--anyway` to release it now.",
            file=sys.stderr,
        )
        if not (sys.stdin.isatty() and input("Release the feedback anyway? [y/N] ").strip().lower() == "y"):
            print("Nothing was released.", file=sys.stderr)
            return 1
    status = _report(feedback(args.course_dir, modules))
    graded = grading_results(args.course_dir)
    for module in modules:  # every trainee: graded how, and whether their feedback is out
        frame = with_grading(graded, module, submission_status(args.course_dir, module))
        print(status_table(module, with_feedback(args.course_dir, module, frame)))
    return status


def cmd_export(args: argparse.Namespace) -> int:
    from ..grading.extensions import refresh_due_dates
    from ..grading.late_penalty import penalty_explanation
    from ..grading.released import released_modules
    from .exports import GRADES, export
    from .report import cohort_report

    for module in released_modules(args.course_dir):  # late penalties from the scores as marked now
        refresh_due_dates(args.course_dir, module)
    report = cohort_report(args.course_dir)
    for kind in (GRADES, *args.lms):
        for path in export(report, args.course_dir, kind, args.to):
            print(f"wrote {path}")
    print(penalty_explanation(args.course_dir))
    waiting = report.grid[report.grid["status"] == ModuleStatus.AWAITING_MARKING]
    if len(waiting):
        print(
            f"warning: {awaiting_marking_line(report.grid)}: grades.csv says 'awaiting-marking' and "
            "gives their provisional scores; the Moodle and Canvas files leave them blank. Mark the "
            "reflections, then export again.",
            file=sys.stderr,
        )
    failed = report.grid[report.grid["status"] == ModuleStatus.FAILED]
    if len(failed):
        listed = ", ".join(f"{s}/{m}" for s, m in failed[["student", "module"]].itertuples(index=False))
        print(
            f"warning: {len(failed)} grading(s) failed and show as 'failed': {listed}. Moodle refuses a "
            "file containing them; re-run autograde for those trainees or leave those columns out.",
            file=sys.stderr,
        )
    return 0


def cmd_extend(args: argparse.Namespace) -> int:
    from ..grading.extensions import ExtensionError, extend, parse_day

    try:
        until = None if args.remove else parse_day(args.until)
        print(extend(args.course_dir, args.module, args.trainee, until).summary())
    except ExtensionError as exc:
        print(f"extend: {exc}; nothing was changed", file=sys.stderr)
        return 1
    return 0


def awaiting_marking_line(grid) -> str:
    """How much marking is outstanding in a cohort grid, in a line: "5 reflection(s) of 2
    trainee(s) awaiting marking (4 module grade(s))"."""
    waiting = grid[grid["status"] == ModuleStatus.AWAITING_MARKING]
    return (
        f"{int(waiting['unmarked'].sum())} reflection(s) of {waiting['student'].nunique()} trainee(s) "
        f"awaiting marking ({len(waiting)} module grade(s))"
    )


def cmd_report(args: argparse.Namespace) -> int:
    from .analytics import by_severity
    from .exports import REPORT, export
    from .report import cohort_report

    report = cohort_report(args.course_dir, low_score=args.low_score, today=args.today)
    written = export(report, args.course_dir, REPORT, args.to)
    summary = report.summary
    print(
        f"cohort {report.name}: {len(summary)} trainee(s), {len(report.modules)} module(s) released; "
        f"mean completion {summary['completion'].mean():.0%}; {int(summary['at_risk'].sum())} at risk"
    )
    if summary["unmarked"].sum():
        print(f"  provisional: {awaiting_marking_line(report.grid)}; percentages count what is marked so far")
    names = trainee_names(report.roster)
    for row in by_severity(summary[summary["at_risk"]]).itertuples(index=False):
        print(f"  at risk: {row.student} ({names.get(row.student, 'not on the roster')}): {row.reasons}")
    print(f"wrote {len(written)} table(s) to {written[0].parent}")
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from .lms import gradebook_students
    from .report import cohort_report

    review = cohort_report(args.course_dir, today=args.today).review
    if review.empty:
        print("no trainee is due a retake")
        return 0
    names = trainee_names(gradebook_students(args.course_dir))
    # "completed" is the day the module was submitted, whatever it scored: the review cycle asks
    # for the latest policy, not a better mark (low scores are the at-risk report's concern).
    print("A module counts as completed on the day it was submitted, whatever its score.")
    for student, rows in review.groupby("student", sort=False):
        print(f"{student} ({names.get(student, 'not on the roster')}) must retake {len(rows)} module(s):")
        for row in rows.itertuples(index=False):
            print(f"  {row.module}: {row.reason}")
    if args.csv:
        from .csv_safe import write_csv

        write_csv(review, args.csv)
        print(f"wrote {args.csv}")
    return 0


def cmd_notify(args: argparse.Namespace) -> int:
    from .notify import NotifyError, notify

    (module,) = _released_modules(args)
    try:
        report = notify(args.course_dir, args.kind, module, send_mail=args.send)
    except NotifyError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(report.summary())
    return 0 if report.ok else 1


def cmd_trainee(args: argparse.Namespace) -> int:
    from .trainee import UnknownTrainee, record_text, trainee_record

    try:
        print(record_text(trainee_record(args.course_dir, args.trainee)))
    except UnknownTrainee as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from .dashboard.serve import serve_dashboard

    cohorts = args.cohort or [args.course_dir]
    print(f"Serving the tutor dashboard at http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    serve_dashboard(port=args.port, cohorts=cohorts, voila_args=voila_arguments(args.voila_args))
    return 0


COHORT_ENV = "COURSE_COHORT"  # the default cohort where there is one (the hub's grading service sets it)
COURSE_DIR_HELP = f"the cohort's folder, relative or absolute (default: ${COHORT_ENV}, else grading/)"


def default_cohort() -> Path:
    return Path(os.environ.get(COHORT_ENV) or GRADING_DIR)


def add_cohort_parser(sub: argparse._SubParsersAction) -> None:
    cohort = sub.add_parser("cohort", help="tutors: roster, release, collect, autograde, feedback, reports")
    cohort.add_argument("--course-dir", type=folder, default=default_cohort(), help=COURSE_DIR_HELP)
    verbs = cohort.add_subparsers(dest="verb", required=True)

    def verb_parser(name: str, help: str, run, *, cohort: bool = True) -> argparse.ArgumentParser:
        """A verb; ``--course-dir`` may come before it or after it (SUPPRESS: given after the
        verb it replaces the one before, else the one before stands)."""
        verb = verbs.add_parser(name, help=help, description=help)
        if run is not cmd_new:
            verb.add_argument("--course-dir", type=folder, default=argparse.SUPPRESS, help=COURSE_DIR_HELP)
        verb.set_defaults(run=in_cohort(run) if cohort else run)
        return verb

    new = verb_parser(
        "new",
        "make FOLDER a ready cohort: its nbgrader configuration, its source notebooks, its exchange",
        cmd_new,
        cohort=False,
    )
    new.add_argument("folder", type=Path, help="the cohort's folder (created if missing)")
    new.add_argument("--exchange", type=Path, help="nbgrader's exchange (default: FOLDER/exchange)")

    roster = verb_parser(
        "roster",
        "import a roster CSV: id,first_name,last_name,email and optionally lms_user_id, one trainee a row",
        cmd_roster,
    )
    roster.add_argument("file", type=Path)

    def modules_verb(name: str, help: str, run) -> argparse.ArgumentParser:
        verb = verb_parser(name, help, run)
        verb.add_argument("modules", nargs="*", help="module ids (default: all)")
        return verb

    release = modules_verb("release", "generate and release modules to the trainees", cmd_release)
    release.add_argument(
        "--due",
        type=date.fromisoformat,
        help="due date YYYY-MM-DD: work handed in by the end of that day is on time; on a module "
        "released already, changes its due date",
    )
    modules_verb("collect", "collect the trainees' submissions", cmd_collect)
    autograde = modules_verb("autograde", "autograde collected submissions in parallel", cmd_autograde)
    autograde.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    autograde.add_argument("--student", action="append", help="only this trainee (repeatable)")
    autograde.add_argument(
        "--all", action="store_true", help="every collected submission (default: those not graded yet)"
    )
    feedback = modules_verb("feedback", "generate and release feedback", cmd_feedback)
    feedback.add_argument(
        "--anyway", action="store_true", help="release even while reflections are not marked yet"
    )

    extend = verb_parser(
        "extend",
        "give one trainee a later due date on a module (an extension), or remove it with --remove",
        cmd_extend,
    )
    extend.add_argument("module", help="a released module's id")
    extend.add_argument("trainee", help="the trainee's id on the roster")
    until = extend.add_mutually_exclusive_group(required=True)
    until.add_argument(
        "--until", metavar="YYYY-MM-DD", help="their last day: work handed in by its end (UTC) is on time"
    )
    until.add_argument("--remove", action="store_true", help="remove their extension")

    export = verb_parser("export", "grades CSV (nbgrader's columns) and LMS gradebook CSVs", cmd_export)
    export.add_argument("--to", type=Path, help="folder (default: <course-dir>/exports)")
    export.add_argument("--lms", nargs="+", choices=LMS_NAMES, default=[MOODLE, CANVAS])

    report = verb_parser("report", "analytics tables as CSV, and who is at risk", cmd_report)
    report.add_argument("--to", type=Path, help="folder for report/ (default: <course-dir>/exports)")
    report.add_argument(
        "--low-score", type=float, default=LOW_SCORE, help="overall score below this is at risk"
    )
    report.add_argument("--today", type=date.fromisoformat, help="date to judge overdue work by")

    review = verb_parser(
        "review", "trainees due a retake (policy revised, or review period passed)", cmd_review
    )
    review.add_argument("--today", type=date.fromisoformat)
    review.add_argument("--csv", type=Path, help="also write the list as CSV")

    notify = verb_parser(
        "notify",
        "e-mail the trainees on the roster: feedback ready on MODULE, or a reminder to those who have "
        "not submitted it; written to <course-dir>/outbox/ unless --send",
        cmd_notify,
    )
    notify.add_argument("kind", choices=("feedback", "reminder"), help="which message")
    notify.add_argument("modules", nargs=1, metavar="MODULE", help="a module released to the cohort")
    notify.add_argument(
        "--send", action="store_true", help="send through the SMTP server in the cohort's nbgrader_config.py"
    )

    trainee = verb_parser(
        "trainee", "one trainee's modules, choices, reflections, marks, feedback and history", cmd_trainee
    )
    trainee.add_argument("trainee", help="the trainee's id")

    dashboard = verb_parser("dashboard", "serve the tutor dashboard with Voila", cmd_dashboard, cohort=False)
    dashboard.add_argument(
        "--cohort", type=Path, action="append", help="a cohort's course directory (repeatable)"
    )
    dashboard.add_argument("--port", type=int, default=8867)
    dashboard.add_argument("voila_args", nargs=argparse.REMAINDER, help="after --, Voila's own options")
