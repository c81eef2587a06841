"""The dashboard's tables: HTML with every value escaped (trainee names come from a roster anyone
could type), and the course's words (scenario titles, questions, options) behind the ids in the
report's frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from ...status import ModuleStatus, unmarked_text
from ..analytics import compare_cohorts
from ..labels import CourseText, trainee_names
from ..report import CohortReport
from ..submissions import NOT_SUBMITTED
from .select import ALL_MODULES, Selection
from .wording import credit, trainees

Column = tuple[str, Callable[[Any], str]]  # header, how a value is shown


class Html(str):
    """A cell a formatter built as markup from escaped parts (a link): written as it is."""


def trainee_link(cohort: str, student: str) -> Html:
    """The trainee's id, linking to their page (the dashboard's ``?cohort=...&trainee=...``)."""
    address = "?" + urlencode({"cohort": cohort, "trainee": student})
    return Html(f'<a href="{escape(address)}">{escape(str(student))}</a>')


def html_table(
    frame: pd.DataFrame,
    caption: str,
    columns: Mapping[str, Column],
    css: str = "",
    group: Column | None = None,
    group_by: str = "",
) -> str:
    """``frame`` as an HTML table with a caption and column headers; every value escaped.
    ``columns`` maps the frame's columns, in order, to (header, formatter). With ``group_by`` (a
    column) and ``group`` ((header, formatter) for it), the rows come in one body per value of
    that column, in order of first appearance, each headed once by the value (a row group)."""
    head = "".join(f'<th scope="col">{escape(header)}</th>' for header, _ in columns.values())
    shows = [show for _, show in columns.values()]

    def body(rows: pd.DataFrame) -> str:
        return "".join(
            "<tr>"
            + "".join(f"<td>{_cell(show(value))}</td>" for show, value in zip(shows, row, strict=True))
            + "</tr>"
            for row in rows[list(columns)].itertuples(index=False, name=None)
        )

    if group is None:
        bodies = f"<tbody>{body(frame)}</tbody>"
    else:
        label, show = group
        bodies = "".join(
            f'<tbody><tr class="mip-group"><th scope="rowgroup" colspan="{len(columns)}">'
            f"{escape(label)}: {escape(show(value))}</th></tr>{body(frame[frame[group_by] == value])}</tbody>"
            for value in dict.fromkeys(frame[group_by])
        )
    return (
        f'<table class="mip-table {escape(css)}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead>{bodies}</table>"
    )


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _cell(shown: str) -> str:
    return shown if isinstance(shown, Html) else escape(shown)


def _percent(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0%}"


def _yes(value: Any) -> str:
    return "yes" if bool(value) else "no"


def summary_table(report: CohortReport, selection: Selection) -> str:
    """Per trainee, at risk first: name, completion, score per shown module, overall, why at risk."""
    names = trainee_names(report.roster)
    grid = {(r.student, r.module): r for r in selection.grid.itertuples(index=False)}
    frame = selection.summary.assign(name=selection.summary["student"].map(names))
    columns: dict[str, Column] = {
        "student": ("Trainee", lambda student: trainee_link(report.name, student)),
        "name": ("Name", _text),
        "modules_submitted": ("Modules submitted", lambda n: f"{n} of {len(report.modules)}"),
    }
    for module, title in selection.modules.items():
        frame[f"_cell:{module}"] = [_score_cell(grid.get((s, module))) for s in frame["student"]]
        columns[f"_cell:{module}"] = (title, _text)
    frame["_overall"] = list(map(_overall, frame["overall"], frame["unmarked"]))
    columns.update(
        {"_overall": ("Overall", _text), "at_risk": ("At risk", _yes), "reasons": ("Why", _text)}
    )
    at_risk = int(frame["at_risk"].astype(bool).sum())
    caption = f"Trainees, at risk first: {at_risk} of {trainees(len(frame))} at risk"
    waiting = int(frame["unmarked"].sum())
    if waiting:
        caption += f" (provisional: {waiting} reflection(s) awaiting marking)"
    return html_table(frame, caption, columns, "mip-summary")


def _score_cell(row: Any) -> str:
    if row is None or row.status == ModuleStatus.NOT_SUBMITTED:
        return "not submitted"
    if row.status == ModuleStatus.FAILED or pd.isna(row.score):
        return "grading failed"
    if row.status == ModuleStatus.AWAITING_MARKING:
        # Of what is marked so far; the rest waits for the tutor, neither 0 nor full marks.
        marked = row.max_score - row.unmarked_points
        share = row.score / marked if marked else None
        waiting = unmarked_text(row.unmarked, row.unmarked_points)
        return f"{row.score:g} / {marked:g} marked so far ({_percent(share)}); provisional: {waiting}"
    share = row.score / row.max_score if row.max_score else None
    return f"{row.score:g} / {row.max_score:g} ({_percent(share)})"


def _overall(share: float, unmarked: int) -> str:
    return f"{_percent(share)} (provisional)" if unmarked else _percent(share)


def submission_counts(report: CohortReport, selection: Selection) -> dict[str, int]:
    """The counts a tutor looks for first, over the shown modules: trainees on the roster, then
    submissions (one per trainee and module) handed in, not handed in, handed in late, and modules
    whose reflections still await the tutor's mark."""
    handed = report.submissions
    if len(handed):
        handed = handed[handed["module"].isin(list(selection.modules))]
    status = handed["status"] if len(handed) else pd.Series(dtype=object)
    return {
        "roster": len(report.roster),
        "submitted": int((status != NOT_SUBMITTED).sum()),
        "not submitted": int((status == NOT_SUBMITTED).sum()),
        "late": int(status.astype(str).str.startswith("late").sum()),
        "awaiting marking": int((selection.grid["status"] == ModuleStatus.AWAITING_MARKING).sum()),
    }


def counts_line(report: CohortReport, selection: Selection) -> str:
    """:func:`submission_counts` in one line, at the top of the page."""
    counts = submission_counts(report, selection)
    shown = "every module" if selection.module == ALL_MODULES else selection.modules[selection.module]
    handed = "submitted" if len(selection.modules) == 1 else "module submissions"
    return (
        f'<p class="mip-note mip-counts">Cohort <strong>{escape(report.name)}</strong>, '
        f"<strong>{escape(shown)}</strong>: {trainees(counts['roster'])} on the roster · "
        f"{counts['submitted']} {handed} · {counts['not submitted']} not submitted · "
        f"{counts['late']} late · {counts['awaiting marking']} awaiting marking</p>"
    )


def review_table(report: CohortReport, selection: Selection) -> str:
    frame = selection.review
    if frame.empty:
        return (
            '<p class="mip-empty">No trainee is due a retake: no completion predates a revision of '
            "the clauses it rests on or is older than the policy's review period.</p>"
        )
    names = trainee_names(report.roster)
    frame = frame.assign(name=frame["student"].map(names))
    columns: dict[str, Column] = {
        "student": ("Trainee", _text),
        "name": ("Name", _text),
        "module": ("Module", lambda m: report.modules.get(m, m)),
        "completed": ("Completed", lambda d: pd.Timestamp(d).date().isoformat() if pd.notna(d) else ""),
        "policy_version": ("Answered under policy", lambda v: _text(v) or "not recorded"),
        "reason": ("Why a retake is due", _text),
    }
    caption = f"Review cycle: {len(frame)} completion{'s' if len(frame) != 1 else ''} due for a retake"
    return html_table(frame, caption, columns, "mip-review")


def wrong_table(report: CohortReport, selection: Selection, text: CourseText) -> str:
    """Per decision, its most chosen wrong option: most chosen first (then the larger share, then
    play order), grouped by module when several are shown, with the better option and the
    clauses the decision bears on."""
    frame = selection.wrong
    if frame.empty:
        return '<p class="mip-empty">No wrong choices: every decision taken earned full credit.</p>'
    rows = list(frame.itertuples())
    frame = frame.assign(
        **_choice_text(frame, text),
        _better=[text.option(*d, text.better(*d)) for d in _decisions(frame)],
        _clauses=[text.clauses(r.clauses) for r in rows],
        _points=[f"{r.points:g} of {r.best_points:g}" for r in rows],
        _module_order=[_module_rank(report, r.module) for r in rows],
    )
    frame = rank_wrong(frame)
    columns: dict[str, Column] = {
        "_scenario": ("Scenario", _text),
        "_prompt": ("Decision", _text),
        "_option": ("Most chosen wrong option", _text),
        "_chosen": ("Chosen by", _text),
        "_points": ("Points it earns", _text),
        "_better": ("Better option (full credit)", _text),
        "_clauses": ("The policy on this", _text),
    }
    caption = "Most common wrong choices, most chosen first"
    return html_table(frame, caption, columns, "mip-wrong", **_by_module(report, selection))


def _decisions(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    return list(zip(frame["module"], frame["scenario"], frame["step"], strict=True))


def _by_module(report: CohortReport, selection: Selection) -> dict[str, Any]:
    """Rows grouped under each module's title, once, when all modules are shown."""
    if selection.module != ALL_MODULES:
        return {}
    return {"group": ("Module", lambda m: report.modules.get(m, m)), "group_by": "module"}


def _module_rank(report: CohortReport, module: str) -> int:
    return list(report.modules).index(module) if module in report.modules else len(report.modules)


def rank_wrong(frame: pd.DataFrame) -> pd.DataFrame:
    """Modules in course order; in each, the choice most trainees made first, then the larger
    share, then the decision played first."""
    return frame.sort_values(
        ["_module_order", "count", "share", "_order"], ascending=[True, False, False, True], kind="stable"
    )


def _decision_text(frame: pd.DataFrame, text: CourseText) -> dict[str, list]:
    """Each decision row's scenario title, question and place in play order, for display."""
    rows = list(frame.itertuples())
    return {
        "_scenario": [text.title(r.module, r.scenario) for r in rows],
        "_prompt": [text.prompt(r.module, r.scenario, r.step) for r in rows],
        "_order": [text.order.get((r.module, r.scenario, r.step), 0) for r in rows],
    }


def _choice_text(frame: pd.DataFrame, text: CourseText) -> dict[str, list]:
    """:func:`_decision_text`, with each row's option in the course's words and how many chose it."""
    rows = list(frame.itertuples())
    return {
        **_decision_text(frame, text),
        "_option": [text.option(r.module, r.scenario, r.step, r.option) for r in rows],
        "_chosen": [f"{r.count} of {r.decisions} ({r.share:.0%})" for r in rows],
    }


ITEM_MIN_N = 5  # fewer trainees than this: too few to judge a decision by


def items_table(
    report: CohortReport, selection: Selection, text: CourseText, min_n: int = ITEM_MIN_N
) -> str:
    """Item statistics in play order: the decisions taken by at least ``min_n`` trainees in the
    table, the others folded away below it (their figures rest on too few trainees to judge)."""
    frame = selection.items
    if frame.empty:
        return '<p class="mip-empty">No decisions taken yet.</p>'
    frame = frame.assign(
        **_decision_text(frame, text), _module_order=[_module_rank(report, m) for m in frame["module"]]
    ).sort_values(["_module_order", "_order"], kind="stable")
    columns: dict[str, Column] = {
        "_scenario": ("Scenario", _text),
        "_prompt": ("Decision", _text),
        "n": ("Trainees", _text),
        "full_credit_share": ("Earned full credit (high = easy)", _percent),
        "discrimination": (
            "Separates stronger from weaker (-1 to 1)",
            lambda v: "cannot tell: everyone alike" if pd.isna(v) else f"{v:.2f}",
        ),
    }
    enough, few = frame[frame["n"] >= min_n], frame[frame["n"] < min_n]
    grouped = _by_module(report, selection)
    caption = f"Item statistics: decisions taken by {min_n} or more trainees"
    shown = (
        html_table(enough, caption, columns, "mip-items", **grouped)
        if len(enough)
        else f'<p class="mip-empty">No decision has been taken by {min_n} or more trainees yet.</p>'
    )
    if few.empty:
        return shown
    caption = f"Item statistics: decisions taken by fewer than {min_n} trainees"
    folded = html_table(few, caption, columns, "mip-items-few", **grouped)
    return (
        f"{shown}<details><summary>{len(few)} decision{'s' if len(few) != 1 else ''} taken by fewer "
        f"than {min_n} trainees (too few to judge)</summary>{folded}</details>"
    )


def split_table(selection: Selection, text: CourseText) -> str:
    """The words behind the choices chart: every decision's question and each option chosen, with
    how many chose it and the credit it earns; folded away under the chart."""
    frame = selection.split
    if frame.empty:
        return ""
    rows = list(frame.itertuples())
    frame = frame.assign(
        **_choice_text(frame, text),
        _credit=[credit(r.points, r.best_points) for r in rows],
        _decision=[
            f"{text.title(r.module, r.scenario)}: {text.prompt(r.module, r.scenario, r.step)}" for r in rows
        ],
    ).sort_values(["_order", "count"], ascending=[True, False], kind="stable")
    columns: dict[str, Column] = {
        "_option": ("Option chosen", _text),
        "_chosen": ("Chosen by", _text),
        "_credit": ("Credit", _text),
    }
    decision: Column = ("Decision", _text)
    table = html_table(frame, "Choices per decision, in words", columns, "mip-split", decision, "_decision")
    return f"<details><summary>The choices in words (a table of the chart)</summary>{table}</details>"


def comparison_table(summaries: Mapping[str, pd.DataFrame], problems: Mapping[str, str] | None = None) -> str:
    """:func:`compare_cohorts` over every configured cohort; ``problems`` names those not read."""
    frame = compare_cohorts(summaries)
    columns: dict[str, Column] = {
        "cohort": ("Cohort", _text),
        "trainees": ("Trainees", _text),
        "mean_overall": ("Mean overall", _percent),
        "median_overall": ("Median overall", _percent),
        "completion_rate": ("Completion", _percent),
        "share_completed": ("Completed every module", _percent),
        "share_at_risk": ("At risk", _percent),
    }
    table = html_table(frame, "Cohorts compared", columns, "mip-comparison") if len(frame) else ""
    missing = "".join(
        f"<li>{escape(name)}: {escape(reason)}</li>" for name, reason in (problems or {}).items()
    )
    return table + (f'<p class="mip-error">Not compared:</p><ul>{missing}</ul>' if missing else "")
