"""Per trainee and module: the module's score, from the per-scenario grading results.

:func:`module_scores` folds :func:`course.grading.results.grading_results` (one row per
trainee x module x scenario) into one row per trainee x module; :func:`cohort_grid` widens that to
every trainee x module of a cohort, marking the modules a trainee never submitted.

A module whose autograde failed for any of its scenarios has no score (NaN), never 0: the
trainee's work was not marked, which is not the same as marking it worthless.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ..status import ModuleStatus, Result
from .frames import require_columns, require_distinct

NOT_SUBMITTED = ModuleStatus.NOT_SUBMITTED
SCORE_COLUMNS = [
    "student",
    "module",
    "status",
    "score",
    "max_score",
    "scenarios",
    "attempted",
    "tampered",
    "failed",
    "unmarked",
    "unmarked_points",
    "penalty",
]
_COUNTS = ["scenarios", "attempted", "tampered", "failed", "unmarked"]
_RESULT_COLUMNS = ["student", "module", "scenario", "status", "score", "max_score"]
# Results written before these columns lack them: nothing was waiting, nothing taken off.
_UNMARKED_COLUMNS = ["unmarked", "unmarked_points", "penalty"]
_RESULT_STATUSES = set(Result)


def module_scores(results: pd.DataFrame) -> pd.DataFrame:
    """One row per (student, module) present in ``results``, sorted by student then module.

    Columns (analytics code relies on these names):

    - ``student``, ``module``: the trainee's nbgrader id and the module (nbgrader assignment) id.
    - ``status``: ``"failed"`` if autograde failed for any scenario of the module, else
      ``"awaiting-marking"`` if a reflection of any scenario waits for the tutor's mark, else
      ``"graded"`` (a module whose scenarios were all not started or tampered with is graded: it
      scores 0).
    - ``score``: sum of the scenario scores; NaN when ``status`` is failed (not marked, not 0).
      While awaiting marking it is provisional: the decisions and what is marked so far.
    - ``max_score``: sum of the scenarios' maximum scores. A failed scenario's row may lack its
      maximum; it is then taken from another trainee's row of the same scenario, and the module's
      ``max_score`` is NaN if some scenario's maximum is known from no row at all.
    - ``scenarios``: number of scenario rows; ``attempted``: rows whose status is not
      ``not-started``; ``tampered`` and ``failed``: rows with that status.
    - ``unmarked``: reflections awaiting the tutor's mark; ``unmarked_points``: their maximum,
      so ``score / (max_score - unmarked_points)`` is the share earned of what is marked.
    - ``penalty``: points taken off for lateness (nbgrader's late penalty), not included in
      ``score``: the final grade is ``score - penalty``, at least 0.

    Raises ValueError naming the row if a column is missing, a status is unknown, or a row that
    is not failed has no score.
    """
    _check_results(results)
    rows = results[_RESULT_COLUMNS].copy()
    for column in _UNMARKED_COLUMNS:
        rows[column] = pd.to_numeric(results[column], errors="raise") if column in results else 0
    rows["score"] = pd.to_numeric(rows["score"], errors="raise").astype(float)
    # nbgrader has no maximum for a notebook whose autograde failed; every trainee's copy of a
    # scenario has the same maximum, so another trainee's row supplies it.
    known_max = pd.to_numeric(rows["max_score"], errors="raise").astype(float)
    per_scenario = known_max.groupby([rows["module"], rows["scenario"]]).transform("first")
    rows["max_score"] = known_max.fillna(per_scenario)
    rows["attempted"] = rows["status"] != Result.NOT_STARTED
    rows["tampered"] = rows["status"] == Result.TAMPERED
    rows["failed"] = rows["status"] == Result.FAILED

    groups = rows.groupby(["student", "module"], sort=True)
    out = groups.agg(
        scenarios=("scenario", "size"),
        attempted=("attempted", "sum"),
        tampered=("tampered", "sum"),
        failed=("failed", "sum"),
        unmarked=("unmarked", "sum"),
        unmarked_points=("unmarked_points", "sum"),
        penalty=("penalty", "sum"),
    )
    out["score"] = groups["score"].sum(min_count=1).where(out["failed"] == 0)
    # min_count=len: one unknown scenario maximum makes the module's unknown, where pandas would
    # otherwise skip it and understate the maximum.
    maxima = groups["max_score"]
    out["max_score"] = maxima.sum().where(maxima.count() == maxima.size())
    out["status"] = ModuleStatus.GRADED
    out.loc[out["unmarked"] > 0, "status"] = ModuleStatus.AWAITING_MARKING
    out.loc[out["failed"] > 0, "status"] = ModuleStatus.FAILED
    out[["unmarked_points", "penalty"]] = out[["unmarked_points", "penalty"]].astype(float)
    out = out.reset_index()
    out[_COUNTS] = out[_COUNTS].astype(int)
    return out[SCORE_COLUMNS]


def cohort_grid(scores: pd.DataFrame, students: Sequence[str], modules: Sequence[str]) -> pd.DataFrame:
    """Every student x module (students in the given order, modules in the given order within
    each), with :func:`module_scores`' columns.

    A pair absent from ``scores`` gets status ``not-submitted``, score NaN, counts (and
    ``unmarked_points`` and ``penalty``) 0 and the
    module's ``max_score`` from other trainees' rows where known (NaN otherwise). Rows of
    ``scores`` for students or modules not listed are left out: the grid is exactly the cohort
    asked for. Raises ValueError on duplicate students, modules or (student, module) rows.
    """
    require_columns(scores, SCORE_COLUMNS, "scores frame")
    require_distinct(students, "students")
    require_distinct(modules, "modules")
    dupes = scores[scores.duplicated(["student", "module"], keep=False)]
    if not dupes.empty:
        pairs = dupes[["student", "module"]].drop_duplicates().itertuples(index=False)
        listed = ", ".join(f"{student}/{module}" for student, module in pairs)
        raise ValueError(f"scores has more than one row for (student, module): {listed}")

    full = pd.MultiIndex.from_product([list(students), list(modules)], names=["student", "module"])
    grid = scores.set_index(["student", "module"])[SCORE_COLUMNS[2:]].reindex(full).reset_index()
    absent = grid["status"].isna()
    grid.loc[absent, "status"] = NOT_SUBMITTED
    grid[_COUNTS] = grid[_COUNTS].fillna(0).astype(int)
    grid[["unmarked_points", "penalty"]] = grid[["unmarked_points", "penalty"]].fillna(0).astype(float)
    module_max = scores.dropna(subset=["max_score"]).groupby("module")["max_score"].first()
    others_max = grid["module"].map(module_max).astype(float)
    grid["max_score"] = grid["max_score"].astype(float).where(~absent, others_max)
    grid["score"] = grid["score"].astype(float)
    return grid[SCORE_COLUMNS]


PASS_COLUMNS = ["student", "module", "check", "check_score", "check_max", "pass_mark", "passed"]


def check_passes(
    results: pd.DataFrame, checks: Mapping[str, tuple[str, int]], students: Sequence[str]
) -> pd.DataFrame:
    """Every student x module of ``checks`` (module -> its knowledge check's id and pass mark):
    the check's score and maximum as graded, and whether it reaches the pass mark. ``passed`` is
    empty (NA) where nothing is graded: not submitted, or its autograde failed."""
    graded = results[results["status"] != Result.FAILED]
    graded = graded.drop_duplicates(["student", "module", "scenario"])  # grading_results: one row each
    asked = pd.DataFrame(
        [(student, module, check, mark) for student in students for module, (check, mark) in checks.items()],
        columns=["student", "module", "check", "pass_mark"],
    )
    found = asked.merge(
        graded[["student", "module", "scenario", "score", "max_score"]].rename(columns={"scenario": "check"}),
        on=["student", "module", "check"],
        how="left",
    )
    score = pd.to_numeric(found["score"], errors="raise").astype(float)
    most = pd.to_numeric(found["max_score"], errors="raise").astype(float)
    known = score.notna() & most.notna() & (most > 0)
    passed = pd.Series(pd.NA, index=found.index, dtype="boolean")
    passed[known] = (100 * score[known] / most[known]) >= found.loc[known, "pass_mark"]
    out = found.assign(check_score=score, check_max=most, passed=passed)
    return out[PASS_COLUMNS].reset_index(drop=True)


def _check_results(results: pd.DataFrame) -> None:
    require_columns(results, _RESULT_COLUMNS, "results frame")
    unknown = ~results["status"].isin(list(_RESULT_STATUSES))
    unscored = (results["status"] != Result.FAILED) & results["score"].isna()
    for index, row in results[unknown | unscored].head(1).iterrows():
        where = f"results row {index} ({row['student']}, {row['module']}, {row['scenario']})"
        if row["status"] not in _RESULT_STATUSES:
            expected = ", ".join(sorted(_RESULT_STATUSES))
            raise ValueError(f"{where}: status {row['status']!r} is not one of {expected}")
        raise ValueError(f"{where}: status {row['status']} but no score (only failed rows may lack one)")
