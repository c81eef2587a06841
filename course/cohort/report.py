"""Everything a tutor reads about one cohort, computed once: the frames behind ``course cohort
report``, the tutor dashboard and the tests.

A cohort is one nbgrader course directory (its gradebook, roster and submissions). The modules
reported are the ones released to it (the gradebook's assignments), in course order, and every
figure is computed from what was released (``course.grading.released``): a scenario edited
since release changes neither the grades nor the report.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ..documents import ModuleDocument
from ..grading.extensions import extended_days
from ..grading.gradebook import course_directory, open_gradebook, submitted_folders, submitted_times
from ..grading.released import Keys, released_keys, released_modules
from ..grading.results import grading_results
from ..policy import Policy, load_policy
from .analytics import (
    choice_split,
    clause_mastery,
    common_wrong_choices,
    item_statistics,
    position_effects,
    trainee_summary,
)
from .choices import read_cohort_answers
from .labels import CourseText, course_text, trainee_names
from .lms import gradebook_students
from .review import read_completions, review_due
from .scores import check_passes, cohort_grid, module_scores
from .settings import LOW_SCORE  # callers import it from here too
from .submissions import submission_statuses


@dataclass(frozen=True)
class CohortReport:
    """The cohort's figures; each frame is documented where it is computed."""

    name: str
    modules: dict[str, str]  # released module id -> title, in course order
    released: dict[str, ModuleDocument]  # each released module's module.json, as released
    keys: Keys  # each released scenario's grading key, as released (prompts, options, points)
    due: dict[str, date]  # module -> due date, where the tutor set one at release
    roster: pd.DataFrame  # lms.gradebook_students
    results: pd.DataFrame  # grading.results.grading_results: per trainee x scenario
    grid: pd.DataFrame  # scores.cohort_grid: every trainee x released module
    passes: pd.DataFrame  # scores.check_passes: each module's knowledge check against its pass mark
    summary: pd.DataFrame  # analytics.trainee_summary: completion, scores, at-risk flags
    choices: pd.DataFrame  # choices: one row per decision taken
    invalid: pd.DataFrame  # choices: answers files refused as tampered, with the reason
    mastery: pd.DataFrame  # analytics.clause_mastery by module x clause
    split: pd.DataFrame  # analytics.choice_split
    wrong: pd.DataFrame  # analytics.common_wrong_choices
    items: pd.DataFrame  # analytics.item_statistics: full_credit_share, discrimination
    positions: pd.DataFrame  # analytics.position_effects: choices by position shown vs chance
    review: pd.DataFrame  # review.review_due: completions due for a retake
    submissions: pd.DataFrame  # submissions.submission_status of each module, with its ``module``
    text: CourseText  # the words behind the ids: titles, questions, options, clause labels


# What `course cohort report` writes: file stem -> CohortReport field.
TABLES = (
    "summary",
    "grid",
    "passes",
    "results",
    "mastery",
    "split",
    "wrong",
    "items",
    "positions",
    "review",
    "invalid",
)


def cohort_name(course_dir: Path) -> str:
    """A cohort is named after its course directory (e.g. ``cohorts/2026-autumn``)."""
    return Path(course_dir).resolve().name


def cohort_report(
    course_dir: Path,
    policy: Policy | None = None,
    *,
    low_score: float = LOW_SCORE,
    today: date | None = None,
) -> CohortReport:
    """Read the cohort at ``course_dir`` and compute every figure of its report. ``policy``
    (default: the one the course teaches today) decides which completions are due for review."""
    policy = policy or load_policy()
    today = today or date.today()
    with open_gradebook(course_dir, must_exist=True) as gb:
        released = {a.name: a.duedate for a in gb.assignments}
    documents = released_modules(course_dir)
    modules = {m: d["title"] for m, d in documents.items() if m in released}
    due = {m: released[m].date() for m in modules if released[m] is not None}
    roster = gradebook_students(course_dir)
    students = list(roster["id"])

    coursedir = course_directory(course_dir)
    walked = list(submitted_folders(coursedir))  # every collected submission, walked once
    results = grading_results(course_dir, submitted=walked)
    scores = module_scores(results)
    scores = scores[scores["module"].isin(list(modules))]
    grid = cohort_grid(scores, students, list(modules))
    checks = {m: (documents[m]["check"], documents[m]["pass_mark"]) for m in modules}
    passes = check_passes(results, checks, students)
    extended = extended_days(course_dir)  # a trainee's extension moves their own due date
    summary = trainee_summary(
        grid, students, list(modules), low_score=low_score, due=due, today=today, extended=extended
    )

    keys, unreadable = released_keys(course_dir)
    times = submitted_times(coursedir, submitted=walked)  # nbgrader's timestamp.txt, read once
    answers = read_cohort_answers(iter(walked), keys, course_dir, unreadable)
    choices = answers.choices[answers.choices["module"].isin(list(modules))].reset_index(drop=True)
    clauses = {m: sorted(documents[m]["clauses"]) for m in modules}
    completions = read_completions(course_dir, answers.answered, times)
    completions = completions[completions["module"].isin(list(clauses))]
    review = review_due(completions, policy, clauses, today)
    statuses = submission_statuses(course_dir, list(modules), times)
    handed_in = [frame.assign(module=m) for m, frame in statuses.items()]
    submissions = pd.concat(handed_in, ignore_index=True) if handed_in else pd.DataFrame()
    return CohortReport(
        name=cohort_name(course_dir),
        modules=modules,
        released={m: documents[m] for m in modules},
        keys={m: keys.get(m, {}) for m in modules},
        due=due,
        roster=roster,
        results=results,
        grid=grid,
        passes=passes,
        summary=summary,
        choices=choices,
        invalid=answers.invalid,
        mastery=clause_mastery(choices, by="module"),
        split=choice_split(choices),
        wrong=common_wrong_choices(choices),
        items=item_statistics(choices),
        positions=position_effects(choices),
        review=review,
        submissions=submissions,
        text=course_text({m: documents[m] for m in modules}, keys, policy),
    )


# The CSVs are read by people: fractions as whole percentages, in columns renamed to say so, and
# the course's words beside each id. The frames keep full precision for the analytics.
PERCENT_COLUMNS = {
    "completion": "completion_percent",
    "overall": "overall_percent",
    "mastery": "mastery_percent",
    "share": "share_percent",
    "full_credit_share": "full_credit_percent",
    "chance_share": "chance_percent",
}


def report_table(report: CohortReport, table: str) -> pd.DataFrame:
    """``table`` of :data:`TABLES` as its CSV gives it to a tutor: each trainee's name beside their
    id, each scenario's title, question, option and clause text beside its id, the better option
    beside a wrong one, shares as whole percentages and correlations to 2 decimals."""
    if table not in TABLES:
        raise ValueError(f"no report table {table!r}; expected one of {', '.join(TABLES)}")
    frame, text = getattr(report, table).copy(), report.text
    renamed = PERCENT_COLUMNS | ({m: f"{m}_percent" for m in report.modules} if table == "summary" else {})
    columns: dict[str, pd.Series] = {}
    for name, values in frame.items():
        if name in renamed:
            columns[renamed[name]] = percent(values)
            continue
        columns[name] = values.map(", ".join) if name == "clauses" else values
        if name == "discrimination":
            columns[name] = values.astype(float).round(2)
        elif name == "student":
            columns["name"] = values.map(trainee_names(report.roster)).fillna("")
        elif name in ("scenario", "step", "option") and _has(frame, name):
            rows = _id_rows(frame)
            if name == "scenario":
                columns["scenario_title"] = [text.title(r.module, r.scenario) for r in rows]
            elif name == "step":
                columns["question"] = [text.prompt(r.module, r.scenario, r.step) for r in rows]
            else:
                columns["option_text"] = [text.option(r.module, r.scenario, r.step, r.option) for r in rows]
                if table == "wrong":
                    better = [text.better(r.module, r.scenario, r.step) for r in _id_rows(frame)]
                    columns["better_option"] = better
                    columns["better_option_text"] = [
                        text.option(r.module, r.scenario, r.step, b)
                        for r, b in zip(_id_rows(frame), better, strict=True)
                    ]
        elif name == "clauses":
            columns["clause_text"] = values.map(text.clauses)
        elif name == "clause":
            columns["clause_text"] = values.map(text.clause)
        elif name == "revised_clauses":
            columns["revised_clause_text"] = [text.clauses(filter(None, ids.split(", "))) for ids in values]
    return pd.DataFrame(columns, index=frame.index)


def percent(values: pd.Series) -> pd.Series:
    """Fractions as whole percentages (Python's rounding, half to even); blank where undefined."""
    return pd.Series(
        [pd.NA if pd.isna(v) else round(100 * float(v)) for v in values], index=values.index, dtype="Int64"
    )


def _has(frame: pd.DataFrame, name: str) -> bool:
    """Whether ``frame`` has the ids that name a ``scenario``/``step``/``option`` in the course."""
    needed = {"scenario": ["module"], "step": ["module", "scenario"]}
    return set(needed.get(name, ["module", "scenario", "step"])) <= set(frame.columns)


def _id_rows(frame: pd.DataFrame) -> list:
    """The frame's ``module``/``scenario``/``step``/``option`` ids (those it has), row by row, as
    ``itertuples`` gives them, read a column at a time (text columns are slow to read a value at a
    time)."""
    names = [c for c in ("module", "scenario", "step", "option") if c in frame.columns]
    columns = [frame[c].to_numpy(dtype=object).tolist() for c in names]
    row = namedtuple("Ids", names)
    return [row(*values) for values in zip(*columns, strict=True)]
