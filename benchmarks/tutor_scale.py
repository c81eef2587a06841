"""The tutor's report and dashboard over a synthetic cohort of N trainees x 8 modules (issue 16:
report under 3 s, a dashboard filter change under 1 s at 10,000 trainees).

Run: ``python3 -m uv run python benchmarks/tutor_scale.py [--trainees 10000] [--baseline 1000]``.

Each cohort is built in a temp folder in the form the real tools read it:

- ``course cohort new`` and ``release`` of the course's first 8 modules (nbgrader's generate and
  release: the gradebook's assignments, notebooks, cells and released grading keys, and each
  module's ``module.json``), once, then copied for each size;
- the roster: a CSV read and imported by the course's own ``read_roster`` / ``import_roster``;
- per trainee x module, what collect and autograde leave: ``submitted/<id>/<module>/`` with
  nbgrader's ``timestamp.txt``, the notebooks and the app's answers files (choices walked through
  the released scenario, option orders shuffled, a policy version), and ``autograded/<id>/<module>/``
  with the notebooks and the guard's verdicts; a few scenarios left out, tampered with (an answers
  file that does not follow the scenario) or whose autograde failed (no verdict), a few extensions;
- the gradebook rows autograde writes (submissions, notebooks, grades, comments), bulk-inserted
  into nbgrader's own tables (nbgrader's ``add_submission`` takes about 0.1 s a submission, hours
  for 80,000): decision cells scored with the points of the path taken, reflections marked or
  still awaiting marking, late penalties. The gradebook is then read back with nbgrader's
  ``Gradebook`` API and checked: counts, and a sample of notebook scores.

Timed, each in its own process (so that its peak memory, ``ru_maxrss``, is its own), the median of
``--repeat`` runs: ``cohort_report`` plus the report's CSVs as ``course cohort report`` writes them
(the CLI's own function, in process), the CLI as a tutor starts it (a new Python), and the
dashboard: its first build (``Dashboard``: every report, the download links and the page) and a
filter change (setting the module filter's value, as the widget does, which redraws the page).
Each figure is printed with its ratio to the same operation at ``--baseline`` trainees.

The report keeps what it derived from each file in the cohort's ``.report-cache/`` (and the
dashboard its charts): the first run after a fresh collect reads every file, the next ones only
what changed. ``--cold`` removes the cache before each run, to time the first.

``--compare REF`` writes every report table, export and dashboard page (all modules and each
module) of a ``--compare-trainees`` cohort with the code at git ``REF`` and with this tree's, and
fails unless they are the same. ``--profile`` prints cProfile's top functions of each operation.
This is not part of the test suite's pass or fail.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import filecmp
import io
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULES = 8
DUE = datetime(2026, 12, 15, 23, 59, 59)  # every module's due date (end of day, as the CLI sets it)
TODAY = date(2026, 12, 20)  # the day the report judges overdue work and the review cycle by
SEED = 20261129
FIGURES = "figures.json"  # every figure measured in the work folder, by size and operation
OLD_POLICY = "2021-09"  # some trainees answered under an old policy version: the review cycle lists them


# --- the synthetic cohort -------------------------------------------------------------------------


def released_template(folder: Path) -> Path:
    """A cohort made by ``course cohort new`` with the course's first 8 modules released."""
    from course.cohort.cycle import release
    from course.cohort.setup import new_cohort
    from course.scenario.catalog import load_course

    course = load_course()
    made = new_cohort(folder, course)
    modules = [m.module.id for m in course.modules][:MODULES]
    with contextlib.redirect_stderr(io.StringIO()):
        results = release(made.root, modules, duedate=DUE)
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"release failed: {failed}")
    return made.root


def copy_cohort(template: Path, root: Path) -> Path:
    """The released template in ``root``, with its configuration naming ``root``."""
    shutil.copytree(template, root, symlinks=True)
    config = (root / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(config.replace(str(template), str(root)), encoding="utf-8")
    return root


def stamp(when: datetime) -> str:
    """nbgrader's ``timestamp.txt``."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def walk_path(scenario: dict, rng: random.Random, ability: float) -> list[dict[str, str]]:
    """A path through the released scenario: the best option with probability ``ability``."""
    steps = {s["id"]: s for s in scenario["steps"]}
    node, choices = scenario["start"], []
    while node in steps:
        step = steps[node]
        best = max(step["options"], key=lambda o: o["points"])
        option = best if rng.random() < ability else rng.choice(step["options"])
        choices.append({"step": step["id"], "option": option["id"]})
        node = option["next"]
    return choices


def path_points(scenario: dict, choices: list[dict[str, str]]) -> int:
    from course.engine import walk, walk_score

    return walk_score(walk(scenario, choices))


def build_cohort(template: Path, root: Path, trainees: int, seed: int = SEED) -> dict:
    """The cohort of ``trainees`` in ``root``; what was built, for the read-back check."""
    from nbgrader.api import Comment, Grade, SubmittedAssignment, SubmittedNotebook

    from course.cohort.roster import import_roster, read_roster
    from course.documents import READING, Answers, Verdict, answers_path
    from course.grading.gradebook import open_gradebook
    from course.grading.released import released_keys
    from course.status import VerdictStatus

    rng = random.Random(seed)
    copy_cohort(template, root)
    ids = [f"tr{n:05d}" for n in range(trainees)]
    roster_csv = root.parent / f"{root.name}-roster.csv"
    with roster_csv.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "first_name", "last_name", "email", "lms_user_id"])
        for n, trainee in enumerate(ids):
            writer.writerow([trainee, f"First{n}", f"Last{n:05d}", f"{trainee}@example.org", str(100000 + n)])
    import_roster(root, read_roster(roster_csv))

    keys, unreadable = released_keys(root)
    if unreadable:
        raise SystemExit(f"released keys unreadable: {unreadable}")
    with open_gradebook(root) as gb:
        layout = {
            a.name: [
                (
                    nb.id,
                    nb.name,
                    [(c.id, c.name, c.max_score, c.cell_type) for c in nb.grade_cells],
                    [c.id for c in nb.solution_cells],
                )
                for nb in a.notebooks
            ]
            for a in gb.assignments
        }
        assignment_ids = {a.name: a.id for a in gb.assignments}
    release = root / "release"
    rows: dict[str, list[dict]] = {"sa": [], "sn": [], "grade": [], "comment": []}
    expected: dict[tuple[str, str, str], float | None] = {}  # (trainee, module, notebook) -> score
    extensions: dict[str, dict[str, str]] = {}
    policy_now = "2026-06"
    counts = {"submissions": 0, "answers": 0, "left_out": 0, "tampered": 0, "failed": 0, "awaiting": 0}
    for trainee in ids:
        ability = 0.2 + 0.75 * rng.random()
        dropout = rng.random() < 0.03  # nothing submitted at all
        version = OLD_POLICY if rng.random() < 0.2 else policy_now
        for module, notebooks in layout.items():
            if dropout or rng.random() < 0.08:
                if rng.random() < 0.02:
                    extensions.setdefault(module, {})[trainee] = (DUE.date() + timedelta(days=14)).isoformat()
                continue
            when = DUE - timedelta(days=rng.uniform(-3, 700))  # some late, some older than 18 months
            submitted = root / "submitted" / trainee / module
            graded = root / "autograded" / trainee / module
            submitted.mkdir(parents=True)
            graded.mkdir(parents=True)
            for folder in (submitted, graded):
                (folder / "timestamp.txt").write_text(stamp(when), encoding="utf-8")
            sa = uuid.uuid4().hex
            rows["sa"].append(
                {
                    "id": sa,
                    "assignment_id": assignment_ids[module],
                    "student_id": trainee,
                    "timestamp": when,
                    "extension": None,
                }
            )
            counts["submissions"] += 1
            late = when > DUE
            failed_module = rng.random() < 0.002
            for nb_id, name, grade_cells, solution_cells in notebooks:
                sn = uuid.uuid4().hex
                penalty = 1.0 if late and name != READING and rng.random() < 0.5 else 0.0
                rows["sn"].append(
                    {
                        "id": sn,
                        "assignment_id": sa,
                        "notebook_id": nb_id,
                        "flagged": False,
                        "late_submission_penalty": penalty,
                    }
                )
                for cell in solution_cells:
                    rows["comment"].append(
                        {
                            "id": uuid.uuid4().hex,
                            "notebook_id": sn,
                            "cell_id": cell,
                            "auto_comment": None,
                            "manual_comment": None,
                        }
                    )
                if name == READING:
                    os.link(release / module / f"{name}.ipynb", submitted / f"{name}.ipynb")
                    continue
                left_out = rng.random() < 0.03
                scenario = keys[module][name]["scenario"]
                tampered = not left_out and rng.random() < 0.003
                waiting = not left_out and not tampered and rng.random() < 0.05
                choices = [] if left_out else walk_path(scenario, rng, ability)
                points = 0 if (left_out or tampered) else path_points(scenario, choices)
                total = 0.0
                for cell_id, cell, _most, _kind in grade_cells:
                    needs = cell == "reflection" and waiting
                    if cell == "decisions":
                        auto, manual = float(points), None
                    elif needs or failed_module:
                        auto, manual = None, None
                    else:
                        auto, manual = None, float(0 if left_out or tampered else rng.choice([0, 1, 2, 2]))
                    total += (manual if manual is not None else auto) or 0.0
                    rows["grade"].append(
                        {
                            "id": uuid.uuid4().hex,
                            "notebook_id": sn,
                            "cell_id": cell_id,
                            "auto_score": None if failed_module else auto,
                            "manual_score": manual,
                            "extra_credit": None,
                            "needs_manual_grade": needs or failed_module,
                        }
                    )
                expected[trainee, module, name] = None if failed_module else total
                if left_out:
                    counts["left_out"] += 1
                    continue
                os.link(release / module / f"{name}.ipynb", submitted / f"{name}.ipynb")
                os.link(release / module / f"{name}.ipynb", graded / f"{name}.ipynb")
                orders = {}
                for step in scenario["steps"]:
                    order = [o["id"] for o in step["options"]]
                    rng.shuffle(order)
                    orders[step["id"]] = order
                answers = Answers(
                    name,
                    choices,
                    f"Reflection by {trainee}.",
                    when.isoformat(timespec="seconds"),
                    version,
                    orders,
                )
                text = answers.to_json()
                if tampered:
                    text = text.replace(choices[0]["option"], "not-an-option", 1)
                    counts["tampered"] += 1
                answers_path(submitted, name).write_text(text, encoding="utf-8")
                counts["answers"] += 1
                counts["awaiting"] += waiting
                if failed_module:
                    continue
                status = VerdictStatus.TAMPERED if tampered else VerdictStatus.OK
                reasons = ["choices do not follow the scenario"] if tampered else []
                Verdict(name, status, reasons, [] if tampered else choices, answers.reflection).write(graded)
            counts["failed"] += failed_module
    (root / "extensions.json").write_text(json.dumps(extensions, indent=1), encoding="utf-8")
    with open_gradebook(root) as gb:
        for table, model in (
            ("sa", SubmittedAssignment),
            ("sn", SubmittedNotebook),
            ("grade", Grade),
            ("comment", Comment),
        ):
            for start in range(0, len(rows[table]), 50_000):
                gb.db.execute(model.__table__.insert(), rows[table][start : start + 50_000])
        gb.db.commit()
    counts |= {"trainees": trainees, "grades": len(rows["grade"]), "notebooks": len(rows["sn"])}
    check_gradebook(root, trainees, counts["submissions"], expected, rng)
    return counts


def check_gradebook(root: Path, trainees: int, submissions: int, expected: dict, rng: random.Random) -> None:
    """Read the bulk-inserted gradebook back with nbgrader's own API: its counts, and a sample of
    notebook scores against what was written."""
    from course.grading.gradebook import open_gradebook

    with open_gradebook(root) as gb:
        assert len(gb.students) == trainees, (len(gb.students), trainees)
        found = sum(len(gb.assignment_submissions(a.name)) for a in gb.assignments)
        assert found == submissions, (found, submissions)
        for trainee, module, notebook in rng.sample(sorted(expected), min(200, len(expected))):
            nb = gb.find_submission_notebook(notebook, module, trainee)
            want = expected[trainee, module, notebook]
            assert nb.score == (want or 0.0), (trainee, module, notebook, nb.score, want)
            assert nb.max_score > 0


# --- the operations timed -----------------------------------------------------------------------


def run_report(root: Path, out: Path) -> None:
    """What ``course cohort report`` does: the CLI's own function, in this process."""
    from course.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        status = main(
            ["cohort", "--course-dir", str(root), "report", "--to", str(out), "--today", TODAY.isoformat()]
        )
    if status:
        raise SystemExit(f"course cohort report exited {status}")


def run_cli(root: Path, out: Path) -> None:
    """``course cohort report`` as a tutor starts it: a new Python process."""
    command = [
        sys.executable,
        "-m",
        "course.cli",
        "cohort",
        "--course-dir",
        str(root),
        "report",
        "--to",
        str(out),
        "--today",
        TODAY.isoformat(),
    ]
    subprocess.run(
        command, check=True, capture_output=True, env=os.environ | {"PYTHONPATH": str(code_root())}
    )


def new_dashboard(root: Path):
    from course.cohort.dashboard.page import Dashboard

    return Dashboard([root], today=TODAY)


def code_root() -> Path:
    """The tree whose ``course`` package is imported (this repository, or ``--code``)."""
    import course

    return Path(course.__file__).resolve().parents[1]


def measure(what: str, root: Path, repeat: int, profile: bool, cold: bool = False) -> dict:
    """Time ``what`` ``repeat`` times in this process; its median, each run and the peak memory.
    ``cold``: the cohort's report cache removed before each run (a report after a fresh collect)."""
    import course.cli
    import course.cohort.dashboard.page  # noqa: F401
    from course.grading.file_cache import CACHE_DIR

    out = Path(tempfile.mkdtemp(prefix="tutor-scale-out-"))
    runs: list[float] = []
    setup: Callable[[], object] = lambda: None  # noqa: E731
    if what == "report":
        operation = lambda _: run_report(root, out)  # noqa: E731
    elif what == "cli":
        operation = lambda _: run_cli(root, out)  # noqa: E731
    elif what == "dashboard":
        drawn: list[float] = []  # after the page: until every other selection is drawn (background)
        builds: list[float] = []

        def operation(_: object) -> float:
            start = time.perf_counter()
            dashboard = new_dashboard(root)
            built = time.perf_counter() - start
            start = time.perf_counter()
            worker = getattr(getattr(dashboard, "bodies", None), "_worker", None)
            builds.append(built)
            # A dashboard that draws the other selections in the background: waited for after the last
            # build; stopped after the others (the body being drawn is finished), so that it does
            # not slow the next build down.
            if worker is not None:
                if len(builds) < repeat:
                    with dashboard.bodies._turn:
                        dashboard.bodies._queue.clear()
                worker.join()
                if len(builds) == repeat:
                    drawn.append(time.perf_counter() - start)
            return built  # the page's build only
    elif what == "filter":
        dashboard = new_dashboard(root)
        modules = list(dashboard.report.modules)[:repeat]
        # Straight after the page is built ("All modules"): each module, the first time it is shown
        # (while the others are drawn in the background); then each again, and "All modules".
        selections = [*modules, *modules, ""]
        turn = iter(selections)
        repeat = len(selections)
        setup = lambda: next(turn)  # noqa: E731

        def operation(module: str) -> None:
            dashboard.module.value = module  # the widget's own observer redraws the page
            if "mip-error" in dashboard.body.value:
                raise SystemExit(
                    f"the dashboard could not show module {module!r}: {dashboard.body.value[:400]}"
                )
    else:
        raise SystemExit(f"nothing to time called {what!r}")
    profiler = None
    for n in range(repeat):
        argument = setup()
        if cold:
            shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
        if profile and n == repeat - 1:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        start = time.perf_counter()
        took = operation(argument)  # an operation may time its own part
        runs.append(took if isinstance(took, float) else time.perf_counter() - start)
        if profiler:
            profiler.disable()
    shutil.rmtree(out, ignore_errors=True)
    if profiler:
        import pstats

        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(
            os.environ.get("PROFILE_SORT", "cumulative")
        ).print_stats(os.environ.get("PROFILE_FILTER", ""), 40)
        print(stream.getvalue(), file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB (Linux gives KiB)
    if what == "cli":
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if what == "dashboard" and drawn:
        return {
            "median": statistics.median(runs),
            "runs": runs,
            "peak_mib": peak,
            "drawn": {"median": statistics.median(drawn), "runs": drawn, "peak_mib": peak},
        }
    if what == "filter":  # the first round, and the second (every selection shown before)
        first, again = runs[: len(modules)], runs[len(modules) :]
        return {
            "median": statistics.median(first),
            "runs": first,
            "peak_mib": peak,
            "again": {"median": statistics.median(again), "runs": again, "peak_mib": peak},
        }
    return {"median": statistics.median(runs), "runs": runs, "peak_mib": peak}


def measured(what: str, root: Path, repeat: int, profile: bool, cold: bool = False) -> dict:
    """:func:`measure` in a new process (its own peak memory, nothing in memory from another run)."""
    command = [sys.executable, __file__, "_measure", what, str(root), "--repeat", str(repeat)]
    if profile:
        command.append("--profile")
    if cold:
        command.append("--cold")
    done = subprocess.run(
        command,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(code_root())},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the same results before and after a change ------------------------------------------------------


def write_outputs(root: Path, out: Path) -> None:
    """Every report table and export of the cohort at ``root``, and the dashboard's download links
    and page for every module filter (as the widgets show them), as files in ``out``."""
    from course.cohort.dashboard.page import Dashboard
    from course.cohort.exports import KINDS, export
    from course.cohort.report import cohort_report

    report = cohort_report(root, today=TODAY)
    for kind in KINDS:
        export(report, root, kind, out)
    pages = out / "dashboard"
    pages.mkdir()
    board = Dashboard([root], today=TODAY)
    (pages / "downloads.html").write_text(board.downloads.value, encoding="utf-8")
    for module in [*report.modules, ""]:
        board.module.value = module
        (pages / f"{module or 'all'}.html").write_text(board.body.value, encoding="utf-8")


def compare(ref: str, root: Path) -> list[str]:
    """Write :func:`write_outputs` with the code at git ``ref`` and with this tree's; the files that
    differ."""
    work = Path(tempfile.mkdtemp(prefix="tutor-scale-compare-"))
    old_code = work / "old"
    old_code.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "course"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old_code)], input=archive, check=True)
    outputs = {}
    for label, code in (("old", old_code), ("new", code_root())):
        outputs[label] = work / f"out-{label}"
        outputs[label].mkdir()
        subprocess.run(
            [sys.executable, __file__, "_outputs", str(root), str(outputs[label])],
            check=True,
            env=os.environ | {"PYTHONPATH": str(code)},
        )
    differ = []
    names = sorted({p.relative_to(outputs[k]) for k in outputs for p in outputs[k].rglob("*") if p.is_file()})
    for name in names:
        a, b = outputs["old"] / name, outputs["new"] / name
        if not (a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)):
            differ.append(str(name))
    print(f"compared {len(names)} files written by {ref} and by this tree: {len(differ)} differ")
    shutil.rmtree(work, ignore_errors=True)
    return differ


# --- the command ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1_000, help="trainees of the baseline cohort")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--repeat-large", type=int, help="runs per figure at --trainees (default: --repeat)")
    parser.add_argument(
        "--reuse", action="store_true", help=f"keep the figures --keep's {FIGURES} has, measure the rest"
    )
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="remove the cohort's report cache before each run (a fresh collect)",
    )
    parser.add_argument(
        "--keep", type=Path, help="build the cohorts here and keep them (default: a temp folder)"
    )
    parser.add_argument("--compare", metavar="REF", help="check the report's files against git REF's code")
    parser.add_argument("--compare-trainees", type=int, default=300)
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        help="operations not to time (report cli dashboard filter)",
    )
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="tutor-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        template = work / "template"
        if not (template / "gradebook.db").is_file():
            released_template(template)
        print(f"released {MODULES} modules to a template cohort in {time.perf_counter() - start:.1f} s")
        if args.compare:
            root = work / f"cohort-{args.compare_trainees}"
            if not root.exists():
                build_cohort(template, root, args.compare_trainees)
            differ = compare(args.compare, root)
            for name in differ:
                print(f"  differs: {name}")
            if differ:
                return 1
        figures: dict[int, dict[str, dict]] = {}
        saved = json.loads((work / FIGURES).read_text(encoding="utf-8")) if (work / FIGURES).is_file() else {}
        for size in dict.fromkeys((args.baseline, args.trainees)):
            root = work / f"cohort-{size}"
            if not root.exists():
                start = time.perf_counter()
                counts = build_cohort(template, root, size)
                print(
                    f"built {size} trainees x {MODULES} modules in {time.perf_counter() - start:.0f} s: "
                    f"{counts}"
                )
            figures[size] = saved.get(str(size), {}) if args.reuse else {}
            for what in ("report", "filter", "dashboard", "cli"):
                if what in args.skip or (what in figures[size] and args.reuse):
                    continue
                runs = args.repeat_large if size == args.trainees and args.repeat_large else args.repeat
                repeat = MODULES if what == "filter" else runs
                figures[size][what] = measured(what, root, repeat, args.profile, args.cold)
                extra = {"filter": ("again", "filter-again"), "dashboard": ("drawn", "drawn")}.get(what)
                names = [what]
                if extra and extra[0] in figures[size][what]:
                    figures[size][extra[1]] = figures[size][what].pop(extra[0])
                    names.append(extra[1])
                saved[str(size)] = figures[size]
                (work / FIGURES).write_text(json.dumps(saved, indent=1), encoding="utf-8")
                for name in names:
                    shown = figures[size][name]
                    print(
                        f"  {size} trainees, {name}: median {shown['median']:.2f} s "
                        f"(runs {', '.join(f'{r:.2f}' for r in shown['runs'])}), "
                        f"peak {shown['peak_mib']:.0f} MiB",
                        flush=True,
                    )
        print_table(figures, args.baseline, args.trainees)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


LABELS = {
    "report": "course cohort report (in process)",
    "cli": "course cohort report (CLI, new process)",
    "dashboard": "dashboard first build",
    "drawn": "  then every other selection drawn after",
    "filter": "dashboard filter change, first time",
    "filter-again": "dashboard filter change, shown before",
}
GOALS = {"report": 3.0, "filter": 1.0, "filter-again": 1.0}


def print_table(figures: dict[int, dict[str, dict]], baseline: int, trainees: int) -> None:
    per = trainees / baseline if baseline else 1
    print(
        f"\n{'operation':42} {baseline:>7} tr. {trainees:>7} tr.  ratio ({per:g}x trainees)  peak MiB  goal"
    )
    for what, label in LABELS.items():
        if what not in figures.get(trainees, {}):
            continue
        big = figures[trainees][what]
        small = figures.get(baseline, {}).get(what, big)
        ratio = big["median"] / small["median"] if small["median"] else float("nan")
        goal = GOALS.get(what)
        verdict = "" if goal is None else (f"< {goal:g} s " + ("met" if big["median"] < goal else "NOT met"))
        print(
            f"{label:42} {small['median']:9.2f} s {big['median']:9.2f} s  {ratio:8.1f}x"
            f"{'':15} {big['peak_mib']:8.0f}  {verdict}"
        )
    print(
        f"({sys.platform}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        sub = argparse.ArgumentParser()
        sub.add_argument("command")
        sub.add_argument("what")
        sub.add_argument("root", type=Path)
        sub.add_argument("--repeat", type=int, default=3)
        sub.add_argument("--profile", action="store_true")
        sub.add_argument("--cold", action="store_true")
        a = sub.parse_args()
        print(json.dumps(measure(a.what, a.root, a.repeat, a.profile, a.cold)))
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "_outputs":
        write_outputs(Path(sys.argv[2]), Path(sys.argv[3]))
        sys.exit(0)
    sys.exit(main())
