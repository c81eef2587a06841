"""The tutors' analytics: pure pandas functions over the cohort's frames.

Inputs are the frame of per-module scores (``course.cohort.scores.module_scores``: one row per
submitted student x module) and the frame of decisions (``course.cohort.choices``: one row per
decision a trainee took). Nothing here reads files or the gradebook, so every figure can be
checked against a hand computation. Bad input raises :class:`ValueError` naming the row (by its
index) or the column, and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd

from ..status import ModuleStatus, unmarked_text
from .choices import CHOICE_COLUMNS
from .frames import require_columns, require_distinct
from .scores import SCORE_COLUMNS
from .settings import LOW_SCORE

FLAGS = ["not_started", "low_score", "overdue", "grading_failed", "tampered"]
SUMMARY_HEAD = ["student", "modules_submitted", "modules_total", "completion"]
SUMMARY_TAIL = ["overall", "unmarked", *FLAGS, "at_risk", "reasons"]
DECISION = ["module", "scenario", "step"]
SPLIT_COLUMNS = [*DECISION, "option", "action", "points", "best_points", "count", "decisions", "share"]
WRONG_COLUMNS = [*DECISION, "option", "action", "points", "best_points"]
WRONG_COLUMNS += ["count", "decisions", "share", "clauses"]
ITEM_COLUMNS = [*DECISION, "n", "full_credit_share", "discrimination"]
COHORT_COLUMNS = [
    "cohort",
    "trainees",
    "mean_overall",
    "median_overall",
    "completion_rate",
    "share_completed",
    "share_at_risk",
]


# --- per trainee -------------------------------------------------------------------------------


def trainee_summary(
    scores: pd.DataFrame,
    students: Sequence[str],
    modules: Sequence[str],
    *,
    low_score: float = LOW_SCORE,
    due: Mapping[str, date] | None = None,
    today: date | None = None,
    extended: Mapping[tuple[str, str], date] | None = None,
) -> pd.DataFrame:
    """One row per student of ``students`` (in that order), at-risk flags and the reasons for them.
    ``extended`` holds a trainee's own due day, ``(student, module) -> day``, where an extension
    moves it later than the module's ``due``.

    ``scores`` is :func:`course.cohort.scores.module_scores` (or its ``cohort_grid``, whose
    ``not-submitted`` rows count as absent).

    Columns: ``student``, ``modules_submitted``, ``modules_total``, ``completion`` (submitted /
    total; a submission whose grading failed still counts as submitted), one score fraction per
    module named by its id (NaN when not submitted or not graded), ``overall`` (sum of graded
    scores / sum of their maximum; NaN when nothing is graded), ``unmarked`` (reflections awaiting
    the tutor's mark: while any are, the fractions are provisional, of the points marked so far,
    never counting an unmarked reflection as 0), the flags ``not_started``
    (nothing submitted), ``low_score`` (overall below ``low_score``), ``overdue`` (a module whose
    due date is before ``today`` is not submitted), ``grading_failed``, ``tampered``, then
    ``at_risk`` (any flag) and ``reasons`` (the flags in words; empty when not at risk).
    """
    students, modules = list(students), list(modules)
    due = dict(due or {})
    today = today or date.today()
    _check_summary_args(students, modules, due)
    _check_scores(scores, students, modules)
    # scores.cohort_grid's filler rows stand for what was not submitted: the same as no row.
    scores = scores[scores["status"] != ModuleStatus.NOT_SUBMITTED]

    graded = scores["status"].isin([ModuleStatus.GRADED, ModuleStatus.AWAITING_MARKING])
    # What is marked so far: a reflection awaiting the tutor is neither 0 nor full marks.
    scores = scores.assign(marked_max=scores["max_score"] - _count(scores["unmarked_points"]))
    fraction = (scores["score"] / scores["marked_max"]).where(graded & (scores["marked_max"] > 0))
    per_module = (
        scores.assign(fraction=fraction)
        .pivot(index="student", columns="module", values="fraction")
        .reindex(index=students, columns=modules)
    )
    sums = scores[graded].groupby("student")[["score", "marked_max"]].sum().reindex(students)
    overall = (sums["score"] / sums["marked_max"]).where(sums["marked_max"] > 0)
    unmarked = _count(scores["unmarked"]).groupby(scores["student"]).sum().reindex(students).fillna(0)
    unmarked_points = _count(scores["unmarked_points"]).groupby(scores["student"]).sum()

    failed = scores[(scores["status"] == ModuleStatus.FAILED) | (_count(scores["failed"]) > 0)]
    tampered = scores[_count(scores["tampered"]) > 0]
    # Looked up per trainee below: grouped once here, not filtered once per trainee.
    submitted = {student: set(mods) for student, mods in scores.groupby("student")["module"]}
    failed_modules = {
        student: list(mods) for student, mods in failed.groupby("student", sort=False)["module"]
    }
    tampered_modules = {
        student: list(rows.itertuples(index=False, name=None))
        for student, rows in tampered.groupby("student", sort=False)[["module", "tampered"]]
    }
    fractions = per_module.to_dict(orient="index")
    overall, unmarked = overall.to_dict(), unmarked.to_dict()
    unmarked_points = unmarked_points.to_dict()
    extended = extended or {}

    rows = []
    for student in students:
        done = submitted.get(student, set())
        own = {m: max(day, extended.get((student, m), day)) for m, day in due.items()}
        late = [m for m in modules if m in own and own[m] < today and m not in done]
        flags = {
            "not_started": not done,
            "low_score": bool(overall[student] < low_score),  # NaN (nothing graded) compares False
            "overdue": bool(late),
            "grading_failed": student in failed_modules,
            "tampered": student in tampered_modules,
        }
        reasons = _reasons(
            flags,
            overall=overall[student],
            threshold=low_score,
            provisional=(int(unmarked[student]), float(unmarked_points.get(student, 0.0))),
            late=[(m, own[m]) for m in late],
            failed=failed_modules.get(student, []),
            tampered=tampered_modules.get(student, []),
        )
        rows.append(
            {
                "student": student,
                "modules_submitted": len(done),
                "modules_total": len(modules),
                "completion": len(done) / len(modules) if modules else float("nan"),
                **fractions[student],
                "overall": overall[student],
                "unmarked": int(unmarked[student]),
                **flags,
                "at_risk": any(flags.values()),
                "reasons": reasons,
            }
        )
    return pd.DataFrame(rows, columns=[*SUMMARY_HEAD, *modules, *SUMMARY_TAIL])


def _count(column: pd.Series) -> pd.Series:
    """The scores frame's ``tampered``/``failed`` counts (booleans are read as 0/1)."""
    return pd.to_numeric(column, errors="coerce").fillna(0).astype(float)


def _reasons(
    flags: Mapping[str, bool],
    *,
    overall: float,
    threshold: float,
    provisional: tuple[int, float],
    late: list[tuple[str, date]],
    failed: list[str],
    tampered: list[tuple[str, object]],
) -> str:
    parts = []
    if flags["not_started"]:
        parts.append("nothing submitted")
    if flags["low_score"]:
        waiting = f" (provisional: {unmarked_text(*provisional)})" if provisional[0] else ""
        parts.append(f"overall score {overall:.0%}, below {threshold:.0%}{waiting}")
    if late:
        parts.append("overdue: " + ", ".join(f"{m} (due {d.isoformat()})" for m, d in late))
    if failed:
        parts.append("grading failed, not scored: " + ", ".join(failed))
    if len(tampered):
        parts.append(
            "answers changed outside the app (scored 0): "
            + ", ".join(f"{m} ({_scenarios(n)})" for m, n in tampered)
        )
    return "; ".join(parts)


def _scenarios(n: object) -> str:
    count = int(float(n))  # type: ignore[arg-type]
    return "1 scenario" if count == 1 else f"{count} scenarios"


def _check_summary_args(students: list[str], modules: list[str], due: Mapping[str, date]) -> None:
    require_distinct(students, "students")
    require_distinct(modules, "modules")
    clash = sorted(set(modules) & {*SUMMARY_HEAD, *SUMMARY_TAIL})
    if clash:
        raise ValueError(f"module ids {clash} clash with the summary's own columns")
    unknown = sorted(set(due) - set(modules))
    if unknown:
        raise ValueError(f"due dates given for {unknown}, which are not in modules {modules}")


def _check_scores(scores: pd.DataFrame, students: list[str], modules: list[str]) -> None:
    require_columns(scores, SCORE_COLUMNS, "scores")
    roster, listed, seen = set(students), set(modules), {}
    for row, student, module, status, score in scores[["student", "module", "status", "score"]].itertuples():
        where = f"scores row {row!r} ({student!r}, {module!r})"
        if student not in roster:
            raise ValueError(f"{where}: student is not in students (the roster)")
        if module not in listed:
            raise ValueError(f"{where}: module is not in modules {modules}")
        if status not in set(ModuleStatus):
            expected = ", ".join(repr(s.value) for s in ModuleStatus)
            raise ValueError(f"{where}: status {status!r}, expected one of {expected}")
        if status == ModuleStatus.GRADED and pd.isna(score):
            raise ValueError(f"{where}: status is graded but score is missing")
        if (student, module) in seen:
            raise ValueError(f"{where}: repeats row {seen[student, module]!r}; expected one row per module")
        seen[student, module] = row


# --- per clause and per decision -----------------------------------------------------------------


def clause_mastery(choices: pd.DataFrame, by: str | Sequence[str] = "module") -> pd.DataFrame:
    """Mastery of each clause: the mean of points / best_points over the decisions resting on it.

    ``by`` groups the decisions: ``"module"`` (module x clause, the default), ``"student"``
    (student x clause) or a list such as ``["student", "module"]``. A decision resting on several
    clauses counts for each. Columns: the ``by`` columns, ``clause``, ``mastery``, ``decisions``.
    """
    keys = [by] if isinstance(by, str) else list(by)
    _check_choices(choices)
    unknown = [k for k in keys if k not in choices.columns or k == "clauses"]
    if unknown:
        raise ValueError(f"cannot group by {unknown}: expected columns of the choices frame")
    frame = (
        choices.assign(fraction=_fraction(choices))[[*keys, "clauses", "fraction"]]
        .explode("clauses")
        .rename(columns={"clauses": "clause"})
        .dropna(subset=["clause"])
    )
    grouped = frame.groupby([*keys, "clause"], sort=True)["fraction"]
    out = grouped.agg(mastery="mean", decisions="size").reset_index()
    return out.astype({"decisions": "int64"})


def choice_split(choices: pd.DataFrame) -> pd.DataFrame:
    """Per decision (module, scenario, step) x option chosen: ``count`` and ``share`` of the
    ``decisions`` taken there, with the option's ``action``, ``points`` and ``best_points``.
    Options nobody chose are absent. Sorted by decision, then most chosen first."""
    _check_choices(choices)
    per_option = (
        choices.groupby([*DECISION, "option"], sort=False)
        .agg(
            action=("action", "first"),
            points=("points", "first"),
            best_points=("best_points", "first"),
            count=("student", "size"),
        )
        .reset_index()
    )
    totals = choices.groupby(DECISION, sort=False).size().rename("decisions").reset_index()
    out = per_option.merge(totals, on=DECISION, how="left")
    out["share"] = out["count"] / out["decisions"]
    out = out.sort_values([*DECISION, "count", "option"], ascending=[True, True, True, False, True])
    return out.reset_index(drop=True)[SPLIT_COLUMNS]


def common_wrong_choices(choices: pd.DataFrame) -> pd.DataFrame:
    """Per decision, the option earning less than full credit that was chosen most often (ties go
    to the first option id), with its ``count``, ``share`` of all ``decisions`` there, ``action``,
    ``best_points`` and the ``clauses`` at stake. Decisions where nobody chose such an option are
    absent. Ranked by how many chose it, then by share (a choice of 1 in 1 is not the cohort's
    commonest mistake), then by decision."""
    split = choice_split(choices)
    wrong = split[split["points"] < split["best_points"]]
    out = wrong.drop_duplicates(subset=DECISION, keep="first")
    stakes = choices.groupby(DECISION, sort=False)["clauses"].first().reset_index()
    out = out.merge(stakes, on=DECISION, how="left").sort_values(
        ["count", "share", *DECISION], ascending=[False, False, True, True, True], kind="stable"
    )
    return out.reset_index(drop=True)[WRONG_COLUMNS]


def item_statistics(choices: pd.DataFrame) -> pd.DataFrame:
    """Classical item analysis, one row per decision (module, scenario, step).

    - ``n``: the trainees who took the decision.
    - ``full_credit_share``: the mean of points / best_points (the classical item "difficulty" or
      p-value, named for what it measures: high = easy, 1 = everyone earned full credit).
    - ``discrimination``: the point-biserial (Pearson) correlation between the decision's score
      fraction and the trainee's rest-of-test total, i.e. the points they earned on every other
      decision of the same module (a module is one nbgrader assignment, the test), leaving this
      decision out so that it does not correlate with itself. NaN when undefined: fewer than two
      trainees, or everyone scored the same on the decision or has the same rest total.
    """
    _check_choices(choices)
    frame = choices.assign(fraction=_fraction(choices))
    totals = frame.groupby(["student", "module"])["points"].transform("sum")
    frame = frame.assign(rest=totals - frame["points"])
    rows = []
    for key, item in frame.groupby(DECISION, sort=True):
        rows.append(
            {
                **dict(zip(DECISION, key, strict=True)),
                "n": len(item),
                "full_credit_share": item["fraction"].mean(),
                "discrimination": _correlation(item["fraction"], item["rest"]),
            }
        )
    return pd.DataFrame(rows, columns=ITEM_COLUMNS).astype({"n": "int64"})


POSITION_EFFECT_COLUMNS = ["position", "choices", "share", "chance_share", "full_credit_share"]


def position_effects(choices: pd.DataFrame) -> pd.DataFrame:
    """Where the chosen option stood on the trainee's screen, one row per position (1 = top), over
    the decisions whose shown order was recorded: ``choices`` made there, their ``share``, the
    ``chance_share`` that choosing regardless of content would give (a position exists only
    where a decision has that many options), and the ``full_credit_share`` of the choices made
    there. Options are shuffled per trainee, so a share far above chance means trainees pick by
    position, not that the best answer sits there."""
    require_columns(choices, ["shown_at", "options", "points", "best_points"], "choices")
    known = choices[choices["shown_at"].notna()]
    if known.empty:
        return pd.DataFrame(columns=POSITION_EFFECT_COLUMNS)
    total, rows = len(known), []
    for position in range(1, int(known["options"].max()) + 1):
        here = known[known["shown_at"] == position]
        chance = ((known["options"] >= position) / known["options"]).sum()
        rows.append(
            {
                "position": position,
                "choices": len(here),
                "share": len(here) / total,
                "chance_share": chance / total,
                "full_credit_share": (here["points"] == here["best_points"]).mean()
                if len(here)
                else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=POSITION_EFFECT_COLUMNS)


def _correlation(x: pd.Series, y: pd.Series) -> float:
    # Checked on distinct values, not a computed variance, which rounding can leave a hair off 0.
    if len(x) < 2 or x.nunique() < 2 or y.nunique() < 2:
        return float("nan")
    return float(x.astype(float).corr(y.astype(float)))


def _fraction(choices: pd.DataFrame) -> pd.Series:
    return choices["points"].astype(float) / choices["best_points"].astype(float)


def _check_choices(choices: pd.DataFrame) -> None:
    require_columns(choices, CHOICE_COLUMNS, "choices")
    points, best = choices["points"], choices["best_points"]
    valid = best.notna() & points.notna()
    valid[valid] = (best[valid] > 0) & (points[valid] >= 0) & (points[valid] <= best[valid])
    for row, points, best in choices.loc[~valid, ["points", "best_points"]].head(1).itertuples():
        raise ValueError(
            f"choices row {row!r}: points {points!r} of best_points {best!r}; expected "
            "best_points > 0 and 0 <= points <= best_points"
        )
    repeated = choices.duplicated(subset=["student", *DECISION], keep=False)
    if repeated.any():
        rows = list(choices.index[repeated])
        raise ValueError(f"choices rows {rows}: the same student takes the same decision more than once")


# --- cohort over cohort --------------------------------------------------------------------------


def compare_cohorts(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per cohort (in the mapping's order) from its :func:`trainee_summary`.

    ``trainees``; ``mean_overall`` and ``median_overall`` over the trainees with a graded score;
    ``completion_rate``: the mean completion (modules submitted / modules); ``share_completed``:
    the share of trainees who submitted every module; ``share_at_risk``. NaN for an empty cohort.
    """
    rows = []
    for name, summary in summaries.items():
        needed = ["student", "completion", "overall", "at_risk"]
        require_columns(summary, needed, f"summary of cohort {name!r}")
        empty = summary.empty
        rows.append(
            {
                "cohort": name,
                "trainees": len(summary),
                "mean_overall": summary["overall"].mean(),
                "median_overall": summary["overall"].median(),
                "completion_rate": summary["completion"].mean(),
                "share_completed": float("nan") if empty else float((summary["completion"] >= 1).mean()),
                "share_at_risk": float("nan") if empty else float(summary["at_risk"].astype(bool).mean()),
            }
        )
    return pd.DataFrame(rows, columns=COHORT_COLUMNS)


def by_severity(summary: pd.DataFrame) -> pd.DataFrame:
    """Trainees most in need of attention first: the most flags raised, then the lowest overall
    score (nothing graded counts as lowest), then by id."""
    ranked = summary.assign(
        _flags=summary[FLAGS].sum(axis=1), _overall=summary["overall"].fillna(-1.0)
    ).sort_values(["_flags", "_overall", "student"], ascending=[False, True, True], kind="stable")
    return ranked.drop(columns=["_flags", "_overall"])
