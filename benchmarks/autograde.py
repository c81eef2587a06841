"""How long a cohort's autograde takes. The baseline is nbgrader's own kernel step (``Execute``,
as the course graded before it computed scores without a kernel), one ``nbgrader autograde
--student`` command per trainee; against it, the course's configuration (no kernel) by the same
commands, by ``course.cohort.cycle.autograde`` in this process (``workers=1``) and in worker
processes (default: one per core).

Run: ``python3 -m uv run python benchmarks/autograde.py [--trainees N] [--workers N]``. It builds a
scratch course and exchange in a temp folder, releases one module, has N trainees on the roster
fetch, answer and submit it, collects, then grades the same submissions four ways, each from the
same collected gradebook. It checks the four gradebooks agree (so the kernel-free scores are the
kernel's), then prints seconds per submission and ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange import ExchangeFactory

from course.build.notebooks import build_course
from course.cohort import cycle
from course.cohort.roster import RosterEntry, import_roster
from course.documents import Answers
from course.nbgrader_settings import load_nbgrader_config
from course.paths import GRADING_DIR
from course.play.answers import save_answers
from course.play.exchange import submit_module
from course.scenario.catalog import load_course

MODULE = "09-keeping-up-to-date"
BIN = Path(sys.executable).parent  # nbgrader runs `alembic` from here


def scratch_cohort(tmp: Path, trainees: int) -> Path:
    """A course with ``trainees`` collected submissions of MODULE (random choices)."""
    root, exchange = tmp / "course", tmp / "exchange"
    root.mkdir()
    exchange.mkdir()
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nload_subconfig({str(GRADING_DIR / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(root)!r}\nc.Exchange.root = {str(exchange)!r}\n",
        encoding="utf-8",
    )
    course = load_course()
    build_course(course, source_dir=root / "source", practice_dir=tmp / "unused-practice")
    assert all(r.ok for r in cycle.release(root, [MODULE]))
    ids = [f"t{n:03d}" for n in range(trainees)]
    import_roster(root, [RosterEntry(t, "First", t, f"{t}@example.org") for t in ids])
    rng = random.Random(1)
    for n in range(trainees):
        trainee, home = f"t{n:03d}", tmp / "homes" / f"t{n:03d}"
        home.mkdir(parents=True)
        (home / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.course_id = 'mip-social-media'\n"
            f"c.Exchange.root = {str(exchange)!r}\nc.Exchange.cache = {str(home / '.cache')!r}\n",
            encoding="utf-8",
        )
        config = load_nbgrader_config(home)
        coursedir = CourseDirectory(config=config, assignment_id=MODULE)
        fetch = ExchangeFactory(config=config).FetchAssignment(
            coursedir=coursedir, authenticator=Authenticator(config=config), config=config
        )
        fetch.assignment_dir = str(home)
        fetch.start()
        for item in course.module(MODULE).items:
            steps, node, choices = {s.id: s for s in item.steps}, item.start, []
            while node in steps:
                option = rng.choice(steps[node].options)
                choices.append({"step": node, "option": option.id})
                node = option.next
            save_answers(home / MODULE, Answers(item.id, choices, "Reflection."))
        submit_module(home / MODULE, trainee)
    assert all(r.ok for r in cycle.collect(root, [MODULE]))
    assert cycle.submitted_students(root, MODULE) == ids
    return root


# Appended to the cohort's configuration for the baseline: nbgrader's own autograde steps.
KERNEL_STEP = (
    "\nfrom nbgrader.converters import Autograde as _Autograde\n"
    "c.Autograde.autograde_preprocessors = _Autograde.class_traits()['autograde_preprocessors'].default()\n"
)


def scores(root: Path) -> dict[tuple[str, str], float]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "mip-social-media") as gb:
        return {
            (sub.student.id, nb.name): nb.score
            for assignment in gb.assignments
            for sub in assignment.submissions
            for nb in sub.notebooks
        }


def timed(root: Path, collected: bytes, grade) -> tuple[float, dict]:
    shutil.rmtree(root / "autograded", ignore_errors=True)
    (root / "gradebook.db").write_bytes(collected)
    start = time.perf_counter()
    grade()
    return time.perf_counter() - start, scores(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=8)
    parser.add_argument("--workers", type=int, default=cycle.default_workers())
    args = parser.parse_args()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    os.environ["PATH"] = env["PATH"]
    with tempfile.TemporaryDirectory() as tmp:
        root = scratch_cohort(Path(tmp), args.trainees)
        students = cycle.submitted_students(root, MODULE)
        notebooks = len(list((root / "release" / MODULE).glob("*.ipynb")))
        collected = (root / "gradebook.db").read_bytes()

        config = root / "nbgrader_config.py"
        course_config = config.read_text(encoding="utf-8")

        def per_trainee_commands() -> None:
            for student in students:
                subprocess.run(
                    [str(BIN / "nbgrader"), "autograde", MODULE, "--student", student, "--force"],
                    cwd=root,
                    env=env,
                    check=True,
                    capture_output=True,
                )

        config.write_text(course_config + KERNEL_STEP, encoding="utf-8")
        baseline, expected = timed(root, collected, per_trainee_commands)
        config.write_text(course_config, encoding="utf-8")
        runs = {"kernel (nbgrader Execute), one command per trainee": baseline}
        seconds, got = timed(root, collected, per_trainee_commands)
        assert got == expected, "no kernel: scores differ from the kernel's"
        runs["no kernel, one nbgrader command per trainee"] = seconds
        for label, workers in (
            ("no kernel, cycle.autograde in-process", 1),
            (f"no kernel, cycle.autograde, {args.workers} workers", args.workers),
        ):
            seconds, got = timed(
                root, collected, lambda w=workers: cycle.autograde(root, [MODULE], workers=w)
            )
            assert got == expected, f"{label}: scores differ from the baseline's"
            runs[label] = seconds

    submissions = len(students)
    print(
        f"{submissions} submissions x {notebooks} notebooks, {os.cpu_count()} core(s); same scores every way"
    )
    for label, seconds in runs.items():
        print(
            f"{label:52} {seconds:7.1f} s  {seconds / submissions:5.2f} s/submission  "
            f"{seconds / (submissions * notebooks):5.2f} s/notebook  x{baseline / seconds:4.2f} vs baseline"
        )


if __name__ == "__main__":
    main()
