"""The tutor dashboard: one page (a Voila notebook, ``grading/tutor-dashboard.ipynb``) where a tutor
sees who needs help and where the cohort goes wrong.

Filters (cohort, module) redraw every table and figure for that selection; export buttons write
the report CSVs and the Moodle and Canvas gradebooks into ``<cohort>/exports/``. The figures are
PNGs drawn with matplotlib's Agg renderer, each with an alt text that states the figures it shows;
tables are HTML with every value escaped (trainee names come from a roster anyone could type).

Everything is a plain function over :class:`course.cohort.report.CohortReport` except
:class:`Dashboard`, which wires the functions to ipywidgets, and :func:`serve_dashboard`.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..paths import GRADING_DIR
from ..policy import Policy, load_policy
from ..scenario.catalog import Course, load_course
from .analytics import compare_cohorts
from .exports import GRADES, REPORT, export
from .gradebook import CANVAS, MOODLE
from .report import LOW_SCORE, CohortReport, cohort_name, cohort_report

COHORTS_ENV = "COURSE_COHORTS"
NOTEBOOK = GRADING_DIR / "tutor-dashboard.ipynb"
ALL_MODULES = ""  # the module filter's value for "All modules"
ALL_MODULES_LABEL = "All modules"
BANDS = 10  # score distribution: 0-10%, 10-20%, ..., 90-100%
DPI = 100
PNG_METADATA: dict[str, Any] = {"Software": None}  # no version stamp: same data, same bytes
# Okabe-Ito colours (distinguishable with colour-blindness); black text reads on all three.
CREDIT_COLOURS = {"full credit": "#009E73", "part credit": "#E69F00", "no credit": "#D55E00"}
BAR_COLOUR = "#0b57d0"
MISSING_CELL = "#f2f2f2"


# --- cohorts ---------------------------------------------------------------------------------


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


# --- what a filter selects -------------------------------------------------------------------


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


# --- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A figure as PNG bytes and the alt text a screen reader reads instead."""

    png: bytes
    alt: str


def score_band(fraction: float) -> int:
    """The distribution's band (0-9) of a score fraction; 100% goes in the top band."""
    return min(math.floor(round(fraction * 100, 6) / (100 / BANDS)), BANDS - 1)


def band_label(band: int, joiner: str = "\u2013") -> str:
    """E.g. "60-70%" with an en dash (on the chart) or, with ``joiner=" to "``, "60 to 70%" (read aloud)."""
    width = 100 // BANDS
    return f"{band * width}{joiner}{(band + 1) * width}%"


def score_distribution(summary: pd.DataFrame, module: str = ALL_MODULES, title: str = "") -> Chart | None:
    """Bar chart of how many trainees scored in each 10% band: overall, or in ``module`` (a score
    column of the summary, named ``title`` in the text). None when no trainee has a score."""
    column = "overall" if module == ALL_MODULES else module
    if column not in summary.columns:
        raise ValueError(f"the summary has no score column {column!r}")
    scores = [float(v) for v in summary[column] if pd.notna(v)]
    if not scores:
        return None
    counts = [0] * BANDS
    for score in scores:
        counts[score_band(score)] += 1
    what = "overall score" if module == ALL_MODULES else f"score in {title or module}"

    fig, ax = _figure(8, 3.6)
    bars = ax.bar(range(BANDS), counts, color=BAR_COLOUR, width=0.85)
    ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2)
    ax.set_xticks(range(BANDS), [band_label(b) for b in range(BANDS)], fontsize=8)
    ax.set_xlabel(what[0].upper() + what[1:])
    ax.set_ylabel("Trainees")
    ax.set_ylim(0, max(counts) * 1.2 + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    threshold = LOW_SCORE * BANDS - 0.5  # the edge between the bands either side of LOW_SCORE
    ax.axvline(threshold, color="#333333", linestyle="--", linewidth=1)
    ax.text(
        threshold - 0.1, max(counts) * 1.1 + 0.3, f"at risk below {LOW_SCORE:.0%}", ha="right", fontsize=8
    )
    ax.set_title(f"Distribution of the {what}")
    _tidy(ax)

    missing = len(summary) - len(scores)
    bands = "; ".join(f"{band_label(b, ' to ')}: {c}" for b, c in enumerate(counts) if c)
    others = "; no trainees in the other bands" if 0 in counts else ""
    alt = (
        f"Bar chart of the {what} of {_trainees(len(scores))} with a graded score, in 10% bands. "
        f"{bands}{others}. Mean {np.mean(scores):.0%}, median "
        f"{np.median(scores):.0%}; {sum(s < LOW_SCORE for s in scores)} below the at-risk line at "
        f"{LOW_SCORE:.0%}."
        + (f" {_trainees(missing).capitalize()} without a graded score not shown." if missing else "")
    )
    return Chart(_png(fig), alt)


def mastery_heatmap(mastery: pd.DataFrame, modules: Mapping[str, str]) -> Chart | None:
    """Heat map of clause mastery: one row per clause, one column per module of ``modules`` (id ->
    title, in column order), each cell's share printed in it. None when no decision was taken."""
    if mastery.empty:
        return None
    columns = [m for m in modules if m in set(mastery["module"])]
    clauses = sorted(set(mastery["clause"]))
    values = np.full((len(clauses), len(columns)), np.nan)
    for row in mastery.itertuples(index=False):
        if row.module in columns:
            values[clauses.index(row.clause), columns.index(row.module)] = row.mastery

    cmap = colormaps["cividis"].with_extremes(bad=MISSING_CELL)
    fig, ax = _figure(3.6 + 1.25 * len(columns), 1.4 + 0.34 * len(clauses))
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    for (r, c), value in np.ndenumerate(values):
        if not np.isnan(value):
            colour = _text_colour(cmap(float(value)))
            ax.text(c, r, f"{value:.0%}", ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(clauses)), clauses, fontsize=8)
    ax.set_title("Clause mastery (share of full credit on the decisions resting on each clause)", fontsize=10)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("Mastery")
    bar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")

    parts = []
    for module in columns:
        cells = mastery[mastery["module"] == module].sort_values("clause")
        listed = ", ".join(
            f"{c.clause} {c.mastery:.0%} ({_decisions(c.decisions)})" for c in cells.itertuples(index=False)
        )
        parts.append(f"{modules[module]} ({module}): {listed}.")
    alt = (
        f"Heat map of clause mastery, {len(clauses)} clauses by {len(columns)} "
        f"module{'s' if len(columns) != 1 else ''}: the share of full credit trainees earned on the "
        f"decisions resting on each clause. " + " ".join(parts)
    )
    return Chart(_png(fig), alt)


def choice_split_chart(
    split: pd.DataFrame, title: str, order: Mapping[tuple, int] | None = None
) -> Chart | None:
    """Stacked horizontal bars of how the cohort's choices split at each decision of one module
    (``split`` filtered to it; ``title`` names it), one bar per decision in play ``order``
    ((module, scenario, step) -> rank; else by id), segments coloured by the option's credit.
    None when no decision was taken."""
    if split.empty:
        return None
    modules = sorted(set(split["module"]))
    if len(modules) != 1:
        raise ValueError(f"choice_split_chart draws one module at a time; the split holds {modules}")
    keys = list(dict.fromkeys(zip(split["module"], split["scenario"], split["step"], strict=True)))
    keys.sort(key=lambda k: (order or {}).get(k, len(keys)))
    by_key = {k: split[(split["scenario"] == k[1]) & (split["step"] == k[2])] for k in keys}

    fig, ax = _figure(9, 1.3 + 0.5 * len(keys))
    for y, key in enumerate(keys):
        left = 0.0
        for option in by_key[key].itertuples(index=False):
            credit = _credit(option.points, option.best_points)
            ax.barh(y, option.share, left=left, color=CREDIT_COLOURS[credit], edgecolor="white", height=0.7)
            if option.share >= 0.12:
                # ~1 character per 1% of the width at this size, less room for the share itself
                label = f"{_short(option.option, int(option.share * 100) - 5)} {option.share:.0%}"
                ax.text(
                    left + option.share / 2, y, label, ha="center", va="center", fontsize=7, color="black"
                )
            left += option.share
    labels = [f"{_short(k[1], 34)} · {_short(k[2], 20)} (n={by_key[k]['decisions'].iloc[0]})" for k in keys]
    ax.set_yticks(range(len(keys)), labels, fontsize=8)
    ax.invert_yaxis()  # first decision on top
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("Share of the trainees who took the decision")
    ax.set_title(f"How the choices split: {title}", fontsize=10)
    handles = [Patch(color=colour, label=credit) for credit, colour in CREDIT_COLOURS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=8)
    _tidy(ax)

    parts = []
    for key in keys:
        rows = by_key[key]
        options = ", ".join(
            f"{o.option} {o.share:.0%} ({o.count}, {_credit(o.points, o.best_points)})"
            for o in rows.itertuples(index=False)
        )
        parts.append(f"{key[1]}, {key[2]} ({_decisions(rows['decisions'].iloc[0])}): {options}.")
    alt = (
        f"Stacked bar chart of how the cohort's choices split at each of the {len(keys)} decisions "
        f"of {title}, one bar per decision, each option's share of the trainees who took it. "
        + " ".join(parts)
    )
    return Chart(_png(fig), alt)


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # Agg, whatever backend the kernel has chosen: no display, no GUI
    return fig, fig.add_subplot()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata=PNG_METADATA)
    return buffer.getvalue()


def _tidy(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)


def _text_colour(rgba: Sequence[float]) -> str:
    """Black or white, whichever contrasts more with the cell (WCAG relative luminance)."""
    lum = sum(
        w * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        for w, c in zip((0.2126, 0.7152, 0.0722), to_rgb(rgba), strict=True)
    )
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def _credit(points: float, best: float) -> str:
    return "full credit" if points >= best else "part credit" if points > 0 else "no credit"


def _short(text: str, limit: int) -> str:
    limit = max(limit, 4)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _trainees(n: int) -> str:
    return f"{n} trainee{'s' if n != 1 else ''}"


def _decisions(n: int) -> str:
    return f"{n} decision{'s' if n != 1 else ''}"


# --- tables ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseText:
    """The words behind the ids in the frames, from the authored course; ids where unknown."""

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


def course_text(course: Course) -> CourseText:
    titles, prompts, options, order = {}, {}, {}, {}
    for content in course.modules:
        m = content.module.id
        for item in content.items:
            titles[m, item.id] = item.title
            for step in item.steps:
                order[m, item.id, step.id] = len(order)
                prompts[m, item.id, step.id] = step.prompt
                for option in step.options:
                    options[m, item.id, step.id, option.id] = option.text
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
    columns.update(
        {"overall": ("Overall", _percent), "at_risk": ("At risk", _yes), "reasons": ("Why", _text)}
    )
    at_risk = int(frame["at_risk"].astype(bool).sum())
    caption = f"Trainees, at risk first: {at_risk} of {_trainees(len(frame))} at risk"
    return html_table(frame, caption, columns, "mip-summary")


def _score_cell(row: Any) -> str:
    if row is None or row.status == "not-submitted":
        return "not submitted"
    if row.status != "graded" or pd.isna(row.score):
        return "grading failed"
    share = row.score / row.max_score if row.max_score else None
    return f"{row.score:g} / {row.max_score:g} ({_percent(share)})"


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


# --- the page ------------------------------------------------------------------------------------


STYLE = """<style>
.mip-dashboard { max-width: 72rem; }
.mip-dashboard h2 { margin-top: 1.6rem; border-bottom: 1px solid #c6cbd1; }
.mip-table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
.mip-table caption { text-align: left; font-weight: 600; padding: 0.3rem 0; color: #1f2d3a; }
.mip-table th, .mip-table td { border-bottom: 1px solid #dde1e5; padding: 0.25rem 0.6rem;
  text-align: left; vertical-align: top; color: #1c1e21; }
.mip-table th { background: #eef1f4; }
.mip-dashboard figure { margin: 0.5rem 0 1rem; }
.mip-dashboard figure img { max-width: 100%; height: auto; }
.mip-dashboard figcaption, .mip-note { color: #3d4852; font-size: 0.9rem; }
.mip-error { color: #a40e26; font-weight: 600; }
.mip-dashboard .widget-dropdown select { min-width: 16rem; }
.mip-dashboard .widget-hbox { gap: 1rem; flex-wrap: wrap; }
</style>"""


def chart_html(chart: Chart | None, caption: str, empty: str) -> str:
    if chart is None:
        return f'<p class="mip-empty">{escape(empty)}</p>'
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(chart.alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def dashboard_html(
    report: CohortReport,
    module: str = ALL_MODULES,
    text: CourseText | None = None,
    comparison: str = "",
) -> str:
    """The page's body for one cohort and module filter: every table and figure, in the order a
    tutor reads them (who needs help, then where the cohort goes wrong)."""
    selection = select(report, module)
    text = text or course_text(load_course())
    shown = "every module" if module == ALL_MODULES else report.modules[module]
    if module == ALL_MODULES:
        split = (
            '<p class="mip-note">Choose a module in the filter above to see how the cohort\'s choices '
            "split at each of its decisions.</p>"
        )
    else:
        chart = choice_split_chart(selection.split, shown, text.order)
        split = chart_html(
            chart, f"How the choices split at each decision of {shown}.", "No decisions taken yet."
        )
    distribution = score_distribution(selection.summary, module, shown)
    heatmap = mastery_heatmap(selection.mastery, selection.modules)
    return (
        f'<p class="mip-note">Cohort <strong>{escape(report.name)}</strong>, showing '
        f"<strong>{escape(shown)}</strong>: {_trainees(len(report.roster))} on the roster.</p>"
        f"<h2>Trainees</h2>{summary_table(report, selection)}"
        "<h2>Score distribution</h2>"
        + chart_html(distribution, f"Trainees by score band ({shown}).", "No graded scores yet.")
        + "<h2>Clause mastery</h2>"
        + chart_html(
            heatmap,
            "Share of full credit on the decisions resting on each clause, per module; blank where the "
            "module tests no decision on the clause.",
            "No decisions taken yet.",
        )
        + f"<h2>Choices per decision</h2>{split}"
        f"<h2>Most common wrong choices</h2>{wrong_table(report, selection, text)}"
        "<h2>Item statistics</h2>"
        '<p class="mip-note">Difficulty: the share of full credit earned (low = hard). Discrimination: '
        "how the decision's score correlates with the rest of the module (near 0 or negative: the "
        "decision does not separate stronger from weaker trainees; worth a look).</p>"
        f"{items_table(report, selection, text)}"
        f"<h2>Review cycle</h2>{review_table(report, selection)}"
        f"<h2>Cohorts compared</h2>{comparison}"
    )


EXPORT_BUTTONS = {
    REPORT: ("Export report tables (CSV)", "the report's tables"),
    GRADES: ("Export nbgrader grades", "nbgrader's grades CSV"),
    MOODLE: ("Export Moodle gradebook", "the Moodle gradebook"),
    CANVAS: ("Export Canvas gradebook", "the Canvas gradebook"),
}


class Dashboard:
    """The page: filters, export buttons, a status line and the tables and figures.

    Every cohort's report is read once, at the start (the comparison needs all their summaries);
    filters only redraw. A cohort that cannot be read is named, with the reason, on the page.
    ``today`` is for the overdue flags and the review cycle (default: the real date)."""

    def __init__(
        self,
        cohorts: Sequence[Path],
        *,
        course: Course | None = None,
        policy: Policy | None = None,
        today: date | None = None,
    ):
        self.course = course or load_course()
        self.policy = policy or load_policy()
        self.today = today
        self.text = course_text(self.course)
        self.cohorts = cohort_labels(list(cohorts))
        self.reports: dict[str, CohortReport] = {}
        self.problems: dict[str, str] = {}
        for label in self.cohorts:
            self._load(label)
        self.comparison = comparison_table(
            {label: report.summary for label, report in self.reports.items()}, self.problems
        )

        wide = {"description_width": "initial"}
        self.cohort = widgets.Dropdown(options=list(self.cohorts), description="Cohort", style=wide)
        self.module = widgets.Dropdown(
            options=[(ALL_MODULES_LABEL, ALL_MODULES)], description="Module", style=wide
        )
        self.buttons = {
            what: widgets.Button(description=label, tooltip=f"Write {thing} (all modules) as CSV")
            for what, (label, thing) in EXPORT_BUTTONS.items()
        }
        for what, button in self.buttons.items():
            button.layout.width = "auto"
            button.on_click(lambda _, what=what: self.export(what))
        self.status = widgets.HTML(_status(""))
        self.body = widgets.HTML()
        self.view = widgets.VBox(
            [
                widgets.HTML(
                    STYLE + '<p class="mip-note">Choose a cohort and a module: every table and figure below '
                    "follows the choice. Exports cover the whole cohort.</p>"
                ),
                widgets.HBox([self.cohort, self.module]),
                widgets.HBox(list(self.buttons.values())),
                self.status,
                self.body,
            ]
        )
        self.view.add_class("mip-dashboard")
        self._refilling = False
        self.cohort.observe(lambda _: self._on_cohort(), names="value")
        self.module.observe(lambda _: self.render(), names="value")
        self._on_cohort()

    def _load(self, label: str) -> None:
        try:
            self.reports[label] = cohort_report(
                self.cohorts[label], self.course, self.policy, today=self.today
            )
        except Exception as exc:  # shown on the page: one unreadable cohort must not hide the rest
            self.problems[label] = f"{type(exc).__name__}: {exc}"

    @property
    def report(self) -> CohortReport | None:
        return self.reports.get(self.cohort.value)

    def _on_cohort(self) -> None:
        report, kept = self.report, self.module.value
        modules = report.modules if report else {}
        self._refilling = True  # one redraw for the new cohort, not one per option change
        try:
            self.module.options = [(ALL_MODULES_LABEL, ALL_MODULES), *((t, m) for m, t in modules.items())]
            self.module.value = kept if kept in modules else ALL_MODULES
        finally:
            self._refilling = False
        for button in self.buttons.values():
            button.disabled = report is None
        self.status.value = _status("")
        self.render()

    def render(self) -> None:
        """Redraw the body for the current filters."""
        if self._refilling:
            return
        label = self.cohort.value
        if self.report is None:
            where = escape(str(self.cohorts[label]))
            self.body.value = (
                f'<p class="mip-error" role="alert">Cohort {escape(label)} ({where}) '
                f"could not be read: {escape(self.problems.get(label, 'unknown problem'))}</p>"
                f"<h2>Cohorts compared</h2>{self.comparison}"
            )
            return
        try:
            self.body.value = dashboard_html(self.report, self.module.value, self.text, self.comparison)
        except Exception as exc:  # a page that says what went wrong, not a blank one
            self.body.value = (
                f'<p class="mip-error" role="alert">Cannot show this selection: {escape(str(exc))}</p>'
            )

    def export(self, what: str) -> list[Path]:
        """Write one export for the current cohort and say where in the status line; errors are
        shown there, not raised (returns [] then)."""
        report, label = self.report, self.cohort.value
        thing = EXPORT_BUTTONS[what][1]
        if report is None:
            self.status.value = _status(f"Nothing exported: cohort {label} could not be read.", error=True)
            return []
        self.status.value = _status(f"Writing {thing}…")
        try:
            paths = export(report, self.cohorts[label], what)
        except Exception as exc:
            self.status.value = _status(f"Could not write {thing}: {exc}", error=True)
            return []
        folder = paths[0].parent
        files = ", ".join(p.name for p in paths)
        self.status.value = _status(f"Wrote {thing} of cohort {label} to {folder}: {files}.")
        return paths


def _status(message: str, error: bool = False) -> str:
    css = "mip-export-status mip-error" if error else "mip-export-status"
    return f'<p class="{css}" role="status">{escape(message)}</p>'


def show_dashboard() -> None:
    """The notebook's one call: the dashboard for the cohorts in ``COURSE_COHORTS``."""
    from IPython.display import display

    display(Dashboard(cohort_dirs()).view)


# --- serving -------------------------------------------------------------------------------------


def serve_dashboard(
    port: int = 8867,
    cohorts: Iterable[Path] = (GRADING_DIR,),
    ip: str = "127.0.0.1",
    voila_args: Sequence[str] = (),
) -> None:
    """Run Voila on the dashboard notebook alone (single-notebook mode) until interrupted, with
    the repository's ``voila.json`` and the course's template; the kernel reads ``cohorts`` from
    the ``COURSE_COHORTS`` environment variable. ``voila_args`` are Voila's own options (they win)."""

    from ..serve import CourseVoila, run_voila

    class DashboardVoila(CourseVoila):
        """The course's Voila (its page handler sets the cookie Voila's kernel shutdown needs)
        without the redirect of the root URL to the trainees' landing page: the root is the
        dashboard here."""

        def init_handlers(self) -> list:
            from tornado.web import RedirectHandler

            return [h for h in super().init_handlers() if h[1] is not RedirectHandler]

    dirs = [Path(c).resolve() for c in cohorts]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        raise FileNotFoundError(f"no cohort course directory at {', '.join(missing)}")
    os.environ[COHORTS_ENV] = os.pathsep.join(map(str, dirs))  # the kernels inherit it
    run_voila(DashboardVoila, NOTEBOOK, port, ip, voila_args)
