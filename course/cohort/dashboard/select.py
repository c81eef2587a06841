"""What the dashboard shows: the cohorts it can show (from ``COURSE_COHORTS``), and a report's
frames filtered to one module, trainees at risk first."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ...paths import GRADING_DIR
from ..report import CohortReport, cohort_name

COHORTS_ENV = "COURSE_COHORTS"
ALL_MODULES = ""  # the module filter's value for "All modules"


def cohort_dirs(value: str | None = None) -> list[Path]:
    """The cohorts' course directories: ``value`` (default: the ``COURSE_COHORTS`` environment
    variable), ``os.pathsep``-separated; the course's own ``grading/`` when it names none."""
    value = os.environ.get(COHORTS_ENV, "") if value is None else value
    dirs = [Path(part).expanduser().resolve() for part in value.split(os.pathsep) if part.strip()]
    unique = list(dict.fromkeys(dirs))  # the same folder twice is one cohort
    return unique or [GRADING_DIR]


def cohort_labels(dirs: Sequence[Path]) -> dict[str, Path]:
    """A label per cohort for the filter and the comparison: the folder's name (as
    :func:`cohort_name`), or its full path where two cohorts' folders share a name."""
    names = [cohort_name(d) for d in dirs]
    return {
        (name if names.count(name) == 1 else str(Path(d).resolve())): Path(d)
        for name, d in zip(names, dirs, strict=True)
    }


@dataclass(frozen=True)
class Selection:
    """The report's frames for one module filter (``module`` is ALL_MODULES for every module)."""

    module: str
    modules: dict[str, str]  # the modules shown: id -> title
    summary: pd.DataFrame  # at risk first; only the shown modules' score columns
    grid: pd.DataFrame
    mastery: pd.DataFrame
    split: pd.DataFrame
    wrong: pd.DataFrame
    items: pd.DataFrame
    review: pd.DataFrame


def select(report: CohortReport, module: str = ALL_MODULES) -> Selection:
    """The report's frames filtered to ``module`` (a released module id, or ALL_MODULES)."""
    if module != ALL_MODULES and module not in report.modules:
        released = ", ".join(report.modules) or "none"
        raise ValueError(
            f"module {module!r} is not released to cohort {report.name}; expected one of {released}"
        )
    shown = dict(report.modules) if module == ALL_MODULES else {module: report.modules[module]}

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["module"].isin(list(shown))].reset_index(drop=True)

    hidden = [m for m in report.modules if m not in shown and m in report.summary.columns]
    return Selection(
        module=module,
        modules=shown,
        summary=at_risk_first(report.summary.drop(columns=hidden)),
        grid=rows(report.grid),
        mastery=rows(report.mastery),
        split=rows(report.split),
        wrong=rows(report.wrong),
        items=rows(report.items),
        review=rows(report.review),
    )


def at_risk_first(summary: pd.DataFrame) -> pd.DataFrame:
    """Trainees at risk first, each group from the lowest overall score up (nothing graded
    first), then by id: the order in which a tutor would look."""
    order = summary.assign(
        _safe=~summary["at_risk"].astype(bool),
        _graded=summary["overall"].notna(),
        _overall=summary["overall"].fillna(0.0),
    ).sort_values(["_safe", "_graded", "_overall", "student"], kind="stable")
    return summary.loc[order.index].reset_index(drop=True)
