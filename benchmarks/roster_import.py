"""How long a 200-trainee roster takes to import: ``import_roster`` (one transaction) against adding
students one by one with nbgrader's ``Gradebook.update_or_create_student`` (a commit each).

Run: ``python3 -m uv run python benchmarks/roster_import.py [--rows N] [--repeat N]``. Each timing
starts from a fresh, empty gradebook in a scratch course; nothing outside a temp folder is touched.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nbgrader.api import Gradebook

from course.cohort.roster import RosterEntry, import_roster, read_roster
from course.grading.gradebook import open_gradebook
from course.nbgrader_settings import load_nbgrader_config
from course.paths import GRADING_DIR

HEADER = ["id", "first_name", "last_name", "email", "lms_user_id"]


def scratch_course(folder: Path, template: Path) -> Path:
    """A course loading the repository's nbgrader config, with a copy of an empty gradebook (making
    one runs alembic, which would otherwise dominate every timing)."""
    folder.mkdir()
    (folder / "nbgrader_config.py").write_text(
        f"c = get_config()\nload_subconfig({str(GRADING_DIR / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n",
        encoding="utf-8",
    )
    shutil.copyfile(template, folder / "gradebook.db")
    return folder


def synthetic_roster(path: Path, rows: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow(
                [f"trainee{n:04d}", f"First{n}", f"Last{n}", f"trainee{n:04d}@example.org", f"{n}"]
            )
    return path


def one_by_one(course_dir: Path, entries: list[RosterEntry]) -> None:
    """The baseline: the gradebook opened as the course does, then one nbgrader call per trainee."""
    with open_gradebook(course_dir) as gb:
        for e in entries:
            gb.update_or_create_student(
                e.id, first_name=e.first_name, last_name=e.last_name, email=e.email, lms_user_id=e.lms_user_id
            )


def timed(runs: int, prepare: Callable[[int], Path], work: Callable[[Path], object]) -> list[float]:
    times = []
    for run in range(runs):
        course_dir = prepare(run)
        start = time.perf_counter()
        work(course_dir)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="roster-bench-") as tmp:
        root = Path(tmp)
        template = root / "empty-gradebook.db"
        Gradebook(
            f"sqlite:///{template}", load_nbgrader_config(GRADING_DIR).CourseDirectory.course_id
        ).close()
        roster = synthetic_roster(root / "roster.csv", args.rows)
        start = time.perf_counter()
        entries = read_roster(roster)
        read_time = time.perf_counter() - start

        def fresh(name: str) -> Callable[[int], Path]:
            return lambda run: scratch_course(root / f"{name}-{run}", template)

        # A warm-up, so neither side pays for first imports and the config's first load.
        import_roster(fresh("warm-a")(0), entries)
        one_by_one(fresh("warm-b")(0), entries)
        ours = timed(args.repeat, fresh("import"), lambda d: import_roster(d, entries))
        base = timed(args.repeat, fresh("baseline"), lambda d: one_by_one(d, entries))
        again_dir = fresh("again")(0)
        import_roster(again_dir, entries)
        again = timed(args.repeat, lambda run: again_dir, lambda d: import_roster(d, entries))

    print(f"{args.rows} trainees, median of {args.repeat} runs, each into a fresh empty gradebook")
    figure("read_roster (validate the CSV)", [read_time])
    figure("import_roster (one transaction)", ours)
    figure("update_or_create_student one by one", base)
    figure("import_roster again, all unchanged", again)
    print(f"  baseline / import_roster: {statistics.median(base) / statistics.median(ours):.1f}x")


def figure(label: str, seconds: list[float]) -> None:
    print(f"  {label + ':':40} {statistics.median(seconds) * 1000:8.1f} ms  (min {min(seconds) * 1000:.1f})")


if __name__ == "__main__":
    main()
