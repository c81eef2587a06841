"""The ``course`` command: one verb per stage, each a thin call into the package."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .cli_args import folder
from .cohort.cli import COURSE_DIR_HELP, add_cohort_parser, default_cohort
from .hub.cli import add_hub_parser
from .nbgrader_settings import NotACohort
from .paths import NOTEBOOKS_DIR, PRACTICE_DIR, PROGRESS_DIR, SCENARIOS_DIR, SOURCE_DIR
from .scenario.catalog import Course, load_course
from .scenario.errors import ScenarioError


def _check(root: Path) -> Course:
    course = load_course(root)
    checks = sum(1 for m in course.modules if m.check)
    print(
        f"ok: {len(course.modules)} module(s), {len(course.scenarios)} scenario(s), "
        f"{checks} knowledge check(s) in {root}"
    )
    return course


def cmd_check(args: argparse.Namespace) -> int:
    _check(args.scenarios)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from .build.notebooks import build_course

    # Both by default; asked for one, only that one (a cohort's source never rebuilds self-study).
    source, practice = args.source, args.practice
    if source is None and practice is None:
        source, practice = SOURCE_DIR, PRACTICE_DIR
    report = build_course(_check(args.scenarios), source_dir=source, practice_dir=practice)
    built = " and ".join(str(folder) for folder in (source, practice) if folder)
    print(f"built {len(report.written)} file(s): {built}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .build.notebooks import build_course
    from .cli_args import voila_arguments
    from .serve import serve

    if args.root is None and not args.no_build:
        build_course(_check(args.scenarios))
    print(f"Serving the course at http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    voila_args = voila_arguments(args.voila_args)
    serve(port=args.port, root=args.root or NOTEBOOKS_DIR, progress=args.progress, voila_args=voila_args)
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from .cohort.cli import trainee_names
    from .cohort.lms import gradebook_students
    from .cohort.setup import require_cohort
    from .grading.files import printable
    from .grading.results import grading_results
    from .status import Result

    table = grading_results(require_cohort(args.course_dir))
    if args.csv:
        table.to_csv(args.csv, index=False)
        print(f"wrote {len(table)} row(s) to {args.csv}")
    else:
        print(table.to_string(index=False) if len(table) else "no submissions collected yet")
    names = trainee_names(gradebook_students(args.course_dir))
    absent = [student for student in names if student not in set(table["student"])]
    if absent:  # on the roster, nothing collected: results list submissions only
        listed = ", ".join(f"{printable(student)} ({names[student]})" for student in absent)
        print(f"no submission collected from {len(absent)} trainee(s) on the roster: {listed}")
    waiting = table[table["status"] == Result.AWAITING_MARKING]
    if len(waiting):
        print(
            f"{len(waiting)} scenario(s) of {waiting['student'].nunique()} trainee(s) awaiting marking "
            f"({int(waiting['unmarked'].sum())} reflection(s)): their scores are provisional."
        )
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from .policy import load_policy
    from .scenario.coverage import coverage_matrix, uncovered

    matrix = coverage_matrix(_check(args.scenarios), load_policy())
    if args.csv:
        matrix.to_csv(args.csv)
        print(f"wrote the {matrix.shape[0]} x {matrix.shape[1]} clause x item matrix to {args.csv}")
    for clause, row in matrix.iterrows():
        items = [item for item, n in row.items() if n]
        print(f"{clause:40} {len(items):3} item(s)  {', '.join(items)}")
    missing = uncovered(matrix)
    if missing:
        print(
            f"{len(missing)} clause(s) tested by no graded decision or question: {', '.join(missing)}",
            file=sys.stderr,
        )
        return 1
    print(f"every one of the {matrix.shape[0]} clauses is tested")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from .policy import load_policy
    from .scenario.cues import measure, summary_lines
    from .scenario.lint import lint, project_words

    course = _check(args.scenarios)
    findings, minutes = lint(course, load_policy(), project_words(args.scenarios))
    for content in course.modules:
        module = content.module
        print(f"{module.id:28} reading time {minutes[module.id]:5.1f} min, CPD {module.cpd_minutes} min")
    print("\n".join(summary_lines(measure(course))))
    for finding in findings:
        print(f"  {finding}", file=sys.stderr)
    if findings:
        print(f"{len(findings)} lint finding(s)", file=sys.stderr)
        return 1
    print("lint clean: spelling, clause quotes, CPD minutes and answer cues")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="course", description="MIP Social Media Policy course tools")
    p.add_argument("--scenarios", type=Path, default=SCENARIOS_DIR, help="authored scenario folder")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="validate every scenario file").set_defaults(run=cmd_check)
    build = sub.add_parser("build", help="generate nbgrader source and practice notebooks")
    build.add_argument(
        "--source",
        type=Path,
        help=f"nbgrader source notebooks here (default, with --practice's: {SOURCE_DIR})",
    )
    build.add_argument(
        "--practice", type=Path, help=f"self-study notebooks here (default, with --source's: {PRACTICE_DIR})"
    )
    build.set_defaults(run=cmd_build)
    serve = sub.add_parser("serve", help="build, then serve the course with Voila (self-study)")
    serve.add_argument("--port", type=int, default=8866)
    serve.add_argument("--no-build", action="store_true", help="serve what was built last")
    serve.add_argument(
        "--root",
        type=Path,
        help="serve this folder instead (e.g. a trainee's "
        "fetched assignments, for assessed mode); nothing is built",
    )
    serve.add_argument(
        "--progress",
        type=Path,
        default=PROGRESS_DIR,
        help="where self-study answers are kept, one folder per learner (default: progress/)",
    )
    serve.add_argument(
        "voila_args",
        nargs=argparse.REMAINDER,
        help="after --, Voila's own options, e.g. -- --MappingKernelManager.cull_idle_timeout=300",
    )
    serve.set_defaults(run=cmd_serve)
    coverage = sub.add_parser("coverage", help="clause x item matrix; fails if a clause is untested")
    coverage.add_argument("--csv", type=Path, help="write the matrix as CSV")
    coverage.set_defaults(run=cmd_coverage)
    sub.add_parser(
        "lint", help="spelling, clause quotes in feedback, reading time, answer cues"
    ).set_defaults(run=cmd_lint)
    results = sub.add_parser("results", help="per trainee and scenario: graded, tampered or failed")
    results.add_argument("--course-dir", type=folder, default=default_cohort(), help=COURSE_DIR_HELP)
    results.add_argument("--csv", type=Path, help="write the table as CSV")
    results.set_defaults(run=cmd_results)
    add_cohort_parser(sub)
    add_hub_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except NotACohort as exc:
        print(f"course: {exc}", file=sys.stderr)
        return 2
    except ScenarioError as exc:
        print(f"{len(exc.problems)} problem(s) in the scenario files:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
