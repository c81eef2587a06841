"""A cohort from nothing: an nbgrader course directory ready for its first roster and release.

A cohort is a folder holding nbgrader's own configuration (``nbgrader_config.py``, which loads the
course's ``grading/nbgrader_config.py`` and then names this folder and its exchange), the source
notebooks built from ``scenarios/`` and an exchange. Only the cohort's source is built: the
self-study notebooks are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..nbgrader_settings import NotACohort
from ..paths import GRADING_DIR
from ..policy import Policy
from ..scenario.catalog import Course

CONFIG = "nbgrader_config.py"  # what makes a folder a cohort, as nbgrader's own apps see it
SOURCE, EXCHANGE = "source", "exchange"


class CohortExists(FileExistsError):
    """``course cohort new`` on a folder that is a cohort already: nothing is overwritten."""


@dataclass(frozen=True)
class NewCohort:
    root: Path
    exchange: Path
    built: int  # files written under source/

    def summary(self) -> str:
        return (
            f"cohort ready at {self.root}: its nbgrader configuration ({CONFIG}), {self.built} source "
            f"file(s) in {self.root / SOURCE}, and its exchange at {self.exchange}. Next: "
            f"course cohort --course-dir {self.root} roster ROSTER.csv"
        )


def cohort_config(root: Path, exchange: Path) -> str:
    """The cohort's ``nbgrader_config.py``: the course's settings, then this cohort's folders."""
    return (
        "# A cohort of the MIP Social Media Policy course (made by `course cohort new`).\n"
        "c = get_config()  # noqa: F821 - provided by traitlets\n"
        f"load_subconfig({str(GRADING_DIR / CONFIG)!r})  # noqa: F821 - the course's settings\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
    )


def new_cohort(
    folder: Path, course: Course, *, exchange: Path | None = None, policy: Policy | None = None
) -> NewCohort:
    """Make ``folder`` (relative or absolute; created if missing) a ready cohort with its
    exchange (default ``folder/exchange``). Refuses a folder that is a cohort already."""
    from ..build.notebooks import build_course

    root = folder.expanduser().resolve()
    if (root / CONFIG).exists():
        raise CohortExists(f"{root} is a cohort already ({CONFIG} is there): nothing was changed")
    exchange = (exchange or root / EXCHANGE).expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    exchange.mkdir(parents=True, exist_ok=True)
    report = build_course(course, source_dir=root / SOURCE, practice_dir=None, policy=policy)
    (root / CONFIG).write_text(cohort_config(root, exchange), encoding="utf-8")
    return NewCohort(root, exchange, len(report.written))


def require_cohort(folder: Path) -> Path:
    """``folder`` as an absolute path, if it is a cohort; else a sentence saying what to do."""
    root = folder.expanduser().resolve()
    if not (root / CONFIG).is_file():
        raise NotACohort(
            f"{folder} is not a cohort (it has no {CONFIG}). Make one with `course cohort new "
            f"{folder}`, or give an existing cohort's folder with --course-dir."
        )
    return root
