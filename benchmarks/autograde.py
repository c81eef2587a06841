"""How long a cohort's autograde takes, all modules, against nbgrader's own kernel step.

Run: ``python3 -m uv run python benchmarks/autograde.py [--trainees 200] [--modules all]
[--baseline-sample 6] [--workers 2]``. In a temp folder it builds a scratch course and exchange,
releases the modules (``course.cohort.cycle.release``), puts the trainees on the roster, and has
each one do what the app does through nbgrader's exchange, in this process: fetch every released
module (``course.play.exchange.fetch_released``), answer each scenario with seeded random choices
(one in ten left unplayed) and submit each module (``submit_module``). It then times
``course cohort collect`` (the command, in its own process) over the whole cohort, and again with
nothing new, and grades the collected gradebook three ways, each from the same collected copy:

- the baseline, nbgrader's own kernel step (``Execute``, as the course graded before it computed
  scores without a kernel), one ``nbgrader autograde MODULE --student S`` command per trainee and
  module: about 17 s a submission, so it runs on a seeded random sample of trainees (every module)
  and its total for the cohort is extrapolated from that sample (and labelled so);
- ``course.cohort.cycle.autograde`` (what ``course cohort autograde`` runs) in this process, and
  with ``--workers`` worker processes, on every submission.

Checks: the course's scores equal those computed from each trainee's answers and the scenario
files (``course.grading.score.score`` on the key ``course build`` makes from them) for every
scenario of every submission, and equal the baseline's on the sample, every notebook. Prints
seconds, seconds per submission and per notebook, ratios per submission against the baseline,
and peak memory (resident, this process and its children, sampled), each line as it is measured;
exits non-zero if any grading failed or any score differs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from nbgrader.api import Gradebook

from course.build.compose import grading_key
from course.build.notebooks import build_course
from course.cohort import cycle
from course.cohort.roster import RosterEntry, import_roster
from course.documents import READING, Answers, Verdict
from course.grading.score import score
from course.paths import GRADING_DIR
from course.play.answers import save_answers
from course.play.exchange import fetch_released, submit_module
from course.policy import load_policy
from course.scenario.catalog import Course, load_course
from course.status import VerdictStatus

BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from here
COURSE_ID = "mip-social-media"
SKIPPED = 0.1  # share of scenarios a trainee leaves unplayed (graded "not started", 0)

Scores = dict[tuple[str, str, str], float]  # (trainee, module, notebook) -> nbgrader's score
# (trainee, module, scenario) -> the choices saved, or None when it was left unplayed
Played = dict[tuple[str, str, str], list[dict[str, str]] | None]

# Appended to the cohort's configuration for the baseline: nbgrader's own autograde steps.
KERNEL_STEP = (
    "\nfrom nbgrader.converters import Autograde as _Autograde\n"
    "c.Autograde.autograde_preprocessors = _Autograde.class_traits()['autograde_preprocessors'].default()\n"
)


def course_config(root: Path, exchange: Path) -> str:
    return (
        f"c = get_config()\nload_subconfig({str(GRADING_DIR / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(root)!r}\nc.Exchange.root = {str(exchange)!r}\n"
    )


def trainee_config(home: Path, exchange: Path) -> str:
    return (
        f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\nc.Exchange.cache = {str(home / '.cache')!r}\n"
    )


def play_module(course: Course, module: str, folder: Path, rng: random.Random) -> Played:
    """Answer each scenario of ``module`` in ``folder`` as the app saves answers; some left unplayed."""
    played: Played = {}
    for item in course.module(module).items:
        if rng.random() < SKIPPED:
            played[module, item.id] = None
            continue
        steps, node, choices = {s.id: s for s in item.steps}, item.start, []
        while node in steps:
            option = rng.choice(steps[node].options)
            choices.append({"step": node, "option": option.id})
            node = option.next
        save_answers(folder, Answers(item.id, choices, "Reflection."))
        played[module, item.id] = choices
    return played


def scratch_cohort(tmp: Path, course: Course, modules: list[str], ids: list[str]) -> tuple[Path, Played]:
    """A course with every module released and each trainee's submission of each in the exchange."""
    root, exchange = tmp / "course", tmp / "exchange"
    root.mkdir()
    exchange.mkdir()
    (root / "nbgrader_config.py").write_text(course_config(root, exchange), encoding="utf-8")
    build_course(course, source_dir=root / "source", practice_dir=tmp / "unused-practice")
    assert all(r.ok for r in cycle.release(root, modules))
    import_roster(root, [RosterEntry(t, "First", t, f"{t}@example.org") for t in ids])
    rng = random.Random(1)
    played: Played = {}
    for trainee in ids:
        home = tmp / "homes" / trainee
        home.mkdir(parents=True)
        (home / "nbgrader_config.py").write_text(trainee_config(home, exchange), encoding="utf-8")
        assert sorted(fetch_released(home, trainee)) == sorted(modules)
        for module in modules:
            for (m, item), choices in play_module(course, module, home / module, rng).items():
                played[trainee, m, item] = choices
            submit_module(home / module, trainee)
    return root, played


def expected_scores(course: Course, played: Played) -> Scores:
    """Each scenario's points from the trainee's saved choices and the scenario files, by the
    course's own scoring of the key ``course build`` makes from them (never from the gradebook)."""
    policy = load_policy()
    keys = {(m.module.id, i.id): grading_key(i, policy) for m in course.modules for i in m.items}
    expected = {}
    for (trainee, module, item), choices in played.items():
        verdict = Verdict(item, VerdictStatus.NOT_STARTED if choices is None else VerdictStatus.OK)
        verdict.choices = choices or []
        expected[trainee, module, item] = float(score(keys[module, item], verdict).points)
    return expected


def gradebook_scores(root: Path) -> Scores:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        return {
            (sub.student.id, assignment.name, nb.name): nb.score
            for assignment in gb.assignments
            for sub in assignment.submissions
            for nb in sub.notebooks
        }


class PeakMemory:
    """The largest resident memory of this process and its children together (or its children
    alone), sampled."""

    def __init__(self, every: float = 0.25, *, children_only: bool = False) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self.children_only = children_only

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in me.children(recursive=True) + ([] if self.children_only else [me]):
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed(root: Path, collected: bytes, grade: Callable[[], object]) -> tuple[float, int, Scores]:
    """Seconds, peak memory and scores of ``grade`` on a fresh copy of the collected gradebook."""
    shutil.rmtree(root / "autograded", ignore_errors=True)
    (root / "gradebook.db").write_bytes(collected)
    with PeakMemory() as memory:
        start = time.perf_counter()
        grade()
        seconds = time.perf_counter() - start
    return seconds, memory.peak, gradebook_scores(root)


def scenario_scores(scores: Scores) -> Scores:
    return {k: v for k, v in scores.items() if k[2] != READING}


def differences(got: Scores, wanted: Scores) -> str:
    """'same' or how many notebooks differ, with the first few."""
    wrong = sorted(k for k in wanted.keys() | got.keys() if got.get(k) != wanted.get(k))
    shown = ", ".join(f"{'/'.join(k)}: {got.get(k)} not {wanted.get(k)}" for k in wrong[:3])
    return "same" if not wrong else f"{len(wrong)} DIFFER ({shown})"


def line(label: str, seconds: float, graded: int, notebooks: int, rate: float | None, peak: int) -> str:
    ratio = f"x{rate / (seconds / graded):6.1f}" if rate else "x   1.0"
    return (
        f"{label:60} {seconds:8.1f} s  {seconds / graded:6.3f} s/submission  "
        f"{seconds / notebooks:6.3f} s/notebook  {ratio}  peak {peak / 2**20:5.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=200)
    parser.add_argument("--modules", default="all", help="'all' (every module of the course) or ids, a,b")
    parser.add_argument("--baseline-sample", type=int, default=6, help="trainees graded by the baseline")
    parser.add_argument("--workers", type=int, default=cycle.default_workers())
    parser.add_argument("--seed", type=int, default=1, help="picks the baseline's sample")
    args = parser.parse_args()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    os.environ["PATH"] = env["PATH"]
    cycle.quiet_library_warnings()
    course = load_course()
    modules = [m.module.id for m in course.modules] if args.modules == "all" else args.modules.split(",")
    ids = [f"t{n:03d}" for n in range(args.trainees)]
    sample = sorted(random.Random(args.seed).sample(ids, min(args.baseline_sample, len(ids))))
    say = lambda text: print(text, flush=True)  # noqa: E731 - figures as they come: a long run
    problems = []

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        root, played = scratch_cohort(Path(tmp), course, modules, ids)
        built = time.perf_counter() - start
        collects = []  # (seconds, peak): the first collect, then again with nothing new
        for _ in range(2):
            with PeakMemory(children_only=True) as memory:
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "course.cli", "cohort", "--course-dir", str(root), "collect"],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                collects.append((time.perf_counter() - start, memory.peak))
        for module in modules:
            assert cycle.submitted_students(root, module) == ids, f"{module}: not everyone collected"
        submissions = len(ids) * len(modules)
        per_submission = {m: len(list((root / "release" / m).glob("*.ipynb"))) for m in modules}
        notebooks = len(ids) * sum(per_submission.values())
        sample_notebooks = len(sample) * sum(per_submission.values())
        collected = (root / "gradebook.db").read_bytes()
        expected = expected_scores(course, played)
        say(
            f"{len(ids)} trainees x {len(modules)} modules = {submissions} submissions, "
            f"{notebooks} notebooks ({len(expected)} scored scenarios); {os.cpu_count()} core(s); "
            f"baseline sample {', '.join(sample)} ({len(sample) * len(modules)} submissions, "
            f"{sample_notebooks} notebooks)"
        )
        say(f"cohort built (release; fetch, answer, submit in nbgrader's exchange in-process): {built:.1f} s")
        for (seconds, peak), what in zip(collects, ("", ", again with nothing new"), strict=True):
            say(
                f"`course cohort collect` (all modules, one command{what}): {seconds:.1f} s, "
                f"{seconds / submissions:.3f} s/submission, peak {peak / 2**20:.0f} MiB"
            )

        config = root / "nbgrader_config.py"
        own_config = config.read_text(encoding="utf-8")

        def baseline_commands() -> None:
            for module in modules:
                for student in sample:
                    done = subprocess.run(
                        [str(BIN / "nbgrader"), "autograde", module, "--student", student, "--force"],
                        cwd=root,
                        env=env,
                        capture_output=True,
                        text=True,
                    )
                    if done.returncode:
                        problems.append(f"baseline {module} {student}: {done.stderr.strip()[-300:]}")

        config.write_text(own_config + KERNEL_STEP, encoding="utf-8")
        seconds, peak, baseline = timed(root, collected, baseline_commands)
        config.write_text(own_config, encoding="utf-8")
        graded = len({k[:2] for k in baseline})
        if graded != len(sample) * len(modules) or len(baseline) != sample_notebooks:
            problems.append(f"the baseline graded {graded} submissions, {len(baseline)} notebooks")
        rate = seconds / (len(sample) * len(modules))
        label = f"baseline: nbgrader Execute, 1 command a submission, {len(sample)} trainees"
        say(line(label, seconds, len(sample) * len(modules), sample_notebooks, None, peak))
        say(
            f"{'baseline extrapolated to the ' + str(submissions) + ' submissions (not run)':60} "
            f"{rate * submissions:8.0f} s  ({rate * submissions / 3600:.1f} h)"
        )
        for label, workers in (
            ("course: cycle.autograde in-process", 1),
            (f"course: cycle.autograde, {args.workers} workers", args.workers),
        ):
            results: list[cycle.StepResult] = []
            seconds, peak, got = timed(
                root,
                collected,
                lambda w=workers, r=results: r.extend(cycle.autograde(root, modules, workers=w)),
            )
            say(line(label, seconds, submissions, notebooks, rate, peak))
            failed = [str(r) for r in results if not r.ok]
            against_answers = differences(scenario_scores(got), expected)
            against_baseline = differences({k: v for k, v in got.items() if k[0] in sample}, baseline)
            say(
                f"    {len(results) - len(failed)}/{submissions} graded; scores vs answers and scenario "
                f"files: {against_answers}; vs baseline on its sample: {against_baseline}"
            )
            if failed or against_answers != "same" or against_baseline != "same":
                problems.append(
                    f"{label}: {len(failed)} failed {failed[:2]}; vs answers {against_answers}; "
                    f"vs baseline {against_baseline}"
                )
    if problems:
        sys.exit("PROBLEMS: " + "; ".join(problems))


if __name__ == "__main__":
    main()
