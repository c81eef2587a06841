"""The dashboard's tables: HTML with every value escaped (trainee names come from a roster anyone
could type), and the course's words (scenario titles, questions, options) behind the ids in the
report's frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import pandas as pd

from ...status import ModuleStatus, unmarked_text
from ..analytics import compare_cohorts
from ..report import CohortReport
from .select import ALL_MODULES, Selection
from .wording import trainees


@dataclass(frozen=True)
class CourseText:
    """The words behind the ids in the frames, as released to the cohort; ids where unknown."""

    titles: dict[tuple[str, str], str]  # (module, scenario) -> scenario title
    prompts: dict[tuple[str, str, str], str]  # (module, scenario, step) -> question
    options: dict[tuple[str, str, str, str], str]  # ... + option -> option text
    order: dict[tuple[str, str, str], int]  # decision -> play order

    def title(self, module: str, scenario: str) -> str:
        return self.titles.get((module, scenario), scenario)

    def prompt(self, module: str, scenario: str, step: str) -> str:
        return self.prompts.get((module, scenario, step), step)

    def option(self, module: str, scenario: str, step: str, option: str) -> str:
        return self.options.get((module, scenario, step, option), option)


def course_text(report: CohortReport) -> CourseText:
    """The words of every released scenario, its decisions in play order (the module's pages in
    order, each scenario's steps as authored), from the keys as released: a scenario reworded
    since release is shown as the trainees read it."""
    titles, prompts, options, order = {}, {}, {}, {}
    for m, document in report.released.items():
        for page in document["pages"]:
            key = report.keys.get(m, {}).get(page["id"])
            if key is None:
                continue  # the reading, or a scenario whose key could not be read
            item = key["scenario"]
            titles[m, item["id"]] = item["title"]
            for step in item["steps"]:
                order[m, item["id"], step["id"]] = len(order)
                prompts[m, item["id"], step["id"]] = step["prompt"]
                for option in step["options"]:
                    options[m, item["id"], step["id"], option["id"]] = option["text"]
    return CourseText(titles, prompts, options, order)


Column = tuple[str, Callable[[Any], str]]  # header, how a value is shown


def html_table(frame: pd.DataFrame, caption: str, columns: Mapping[str, Column], css: str = "") -> str:
    """``frame`` as an HTML table with a caption and column headers; every value escaped.
    ``columns`` maps the frame's columns, in order, to (header, formatter)."""
    head = "".join(f'<th scope="col">{escape(header)}</th>' for header, _ in columns.values())
    shows = [show for _, show in columns.values()]
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape(show(value))}</td>" for show, value in zip(shows, row, strict=True))
        + "</tr>"
        for row in frame[list(columns)].itertuples(index=False, name=None)
    )
    return (
        f'<table class="mip-table {escape(css)}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _percent(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0%}"


def _yes(value: Any) -> str:
    return "yes" if bool(value) else "no"


def _names(roster: pd.DataFrame) -> dict[str, str]:
    return {
        str(r.id): " ".join(p for p in (_text(r.first_name), _text(r.last_name)) if p)
        for r in roster.itertuples(index=False)
    }


def summary_table(report: CohortReport, selection: Selection) -> str:
    """Per trainee, at risk first: name, completion, score per shown module, overall, why at risk."""
    names = _names(report.roster)
    grid = {(r.student, r.module): r for r in selection.grid.itertuples(index=False)}
    frame = selection.summary.assign(name=selection.summary["student"].map(names))
    columns: dict[str, Column] = {
        "student": ("Trainee", _text),
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


def review_table(report: CohortReport, selection: Selection) -> str:
    frame = selection.review
    if frame.empty:
        return (
            '<p class="mip-empty">No trainee is due a retake: no completion predates a revision of '
            "the clauses it rests on or is older than the policy's review period.</p>"
        )
    names = _names(report.roster)
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
    frame = selection.wrong
    if frame.empty:
        return '<p class="mip-empty">No wrong choices: every decision taken earned full credit.</p>'
    frame = frame.assign(
        **_decision_text(frame, text),
        _option=[
            f"{text.option(r.module, r.scenario, r.step, r.option)} ({r.option})" for r in frame.itertuples()
        ],
        _chosen=[f"{r.count} of {r.decisions} ({r.share:.0%})" for r in frame.itertuples()],
    ).sort_values(["share", "_order"], ascending=[False, True], kind="stable")
    columns: dict[str, Column] = {
        **_module_column(report, selection),
        "_scenario": ("Scenario", _text),
        "_prompt": ("Decision", _text),
        "_option": ("Most chosen wrong option", _text),
        "_chosen": ("Chosen by", _text),
        "points": ("Points it earns", _text),
    }
    return html_table(frame, "Most common wrong choices, most chosen first", columns, "mip-wrong")


def _module_column(report: CohortReport, selection: Selection) -> dict[str, Column]:
    """A Module column only when all modules are shown."""
    if selection.module != ALL_MODULES:
        return {}
    return {"module": ("Module", lambda m: report.modules.get(m, m))}


def _decision_text(frame: pd.DataFrame, text: CourseText) -> dict[str, list]:
    """Each decision row's scenario title, question and place in play order, for display."""
    rows = list(frame.itertuples())
    return {
        "_scenario": [text.title(r.module, r.scenario) for r in rows],
        "_prompt": [text.prompt(r.module, r.scenario, r.step) for r in rows],
        "_order": [text.order.get((r.module, r.scenario, r.step), 0) for r in rows],
    }


def items_table(report: CohortReport, selection: Selection, text: CourseText) -> str:
    frame = selection.items
    if frame.empty:
        return '<p class="mip-empty">No decisions taken yet.</p>'
    frame = frame.assign(**_decision_text(frame, text)).sort_values("_order", kind="stable")
    columns: dict[str, Column] = {
        **_module_column(report, selection),
        "_scenario": ("Scenario", _text),
        "_prompt": ("Decision", _text),
        "n": ("Trainees", _text),
        "difficulty": ("Difficulty (share of full credit)", _percent),
        "discrimination": ("Discrimination", lambda v: "not defined" if pd.isna(v) else f"{v:.2f}"),
    }
    return html_table(frame, "Item statistics, in play order", columns, "mip-items")


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
