"""The dashboard page: filters, download links for the exports, a line of counts, then every table
and figure for the chosen cohort and module. Its styles are in the course's Voila template
(``mip``), which serves it."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from pathlib import Path

import ipywidgets as widgets

from ...policy import Policy, load_policy
from ..exports import GRADES, REPORT, download
from ..labels import CourseText
from ..report import CohortReport, cohort_report
from ..settings import CANVAS, MOODLE
from .chart_cache import ChartCache
from .charts import Chart, choice_split_chart, mastery_heatmap, score_distribution
from .select import ALL_MODULES, cohort_dirs, cohort_labels, select
from .tables import (
    comparison_table,
    counts_line,
    items_table,
    review_table,
    split_table,
    summary_table,
    wrong_table,
)
from .views import TutorViews

ALL_MODULES_LABEL = "All modules"


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
    charts: ChartCache | None = None,
) -> str:
    """The page's body for one cohort and module filter: every table and figure, in the order a
    tutor reads them (who needs help, then where the cohort goes wrong). ``charts``: where charts
    drawn before are kept (default: none kept, each drawn now)."""
    selection = select(report, module)
    draw = (charts or ChartCache(None)).draw
    text = text or report.text
    shown = "every module" if module == ALL_MODULES else report.modules[module]
    if module == ALL_MODULES:
        split = (
            '<p class="mip-note">Choose a module in the filter above to see how the cohort\'s choices '
            "split at each of its decisions.</p>"
        )
    else:
        chart = draw(choice_split_chart, selection.split, shown, text.order, text)
        split = chart_html(
            chart, f"How the choices split at each decision of {shown}.", "No decisions taken yet."
        ) + split_table(selection, text)
    distribution = draw(score_distribution, selection.summary, module, shown)
    heatmap = draw(mastery_heatmap, selection.mastery, selection.modules, text)
    return (
        f"{counts_line(report, selection)}"
        f"<h2>Trainees</h2>{summary_table(report, selection)}"
        "<h2>Score distribution</h2>"
        + chart_html(distribution, f"Trainees by score band ({shown}).", "No graded scores yet.")
        + "<h2>Clause mastery</h2>"
        + chart_html(
            heatmap,
            "Share of full credit on the decisions resting on each clause, per module, the weakest "
            "clause first; blank where the module tests no decision on the clause.",
            "No decisions taken yet.",
        )
        + f"<h2>Choices per decision</h2>{split}"
        f"<h2>Most common wrong choices</h2>{wrong_table(report, selection, text)}"
        "<h2>Item statistics</h2>"
        '<p class="mip-note">Earned full credit: the share of the decision\'s points trainees earned '
        "(high = easy, low = hard). Separates stronger from weaker: how the decision's score "
        "correlates with the rest of the module (near 0 or negative: it does not separate stronger "
        "from weaker trainees; worth a look).</p>"
        f"{items_table(report, selection, text)}"
        f"<h2>Review cycle</h2>{review_table(report, selection)}"
        f"<h2>Cohorts compared</h2>{comparison}"
    )


DOWNLOADS = {  # each link also shows the file's name, which says its format
    REPORT: "Report tables",
    GRADES: "nbgrader grades",
    MOODLE: "Moodle gradebook",
    CANVAS: "Canvas gradebook",
}
MEDIA_TYPES = {".csv": "text/csv", ".zip": "application/zip"}


def download_link(name: str, data: bytes, label: str) -> str:
    """A link the browser saves as ``name``: the file's bytes are in the link itself (a data URL
    built in the kernel), so nothing is written on the server and nothing goes over the network."""
    media = MEDIA_TYPES[Path(name).suffix]
    encoded = base64.b64encode(data).decode("ascii")
    return (
        f'<a download="{escape(name)}" href="data:{media};base64,{encoded}">'
        f"{escape(label)} <small>({escape(name)})</small></a>"
    )


def downloads_html(report: CohortReport, course_dir: Path) -> str:
    """The cohort's exports (all modules) as download links; an export that cannot be built is
    named with the reason instead, and the others are still offered."""
    links, problems = [], []
    for kind, label in DOWNLOADS.items():
        try:
            name, data = download(report, course_dir, kind)
        except Exception as exc:  # said on the page: one failed export must not hide the others
            problems.append(f"<li>{escape(label)}: {escape(f'{type(exc).__name__}: {exc}')}</li>")
            continue
        links.append(download_link(name, data, label))
    failed = (
        f'<div class="mip-error" role="alert">Could not prepare:<ul>{"".join(problems)}</ul></div>'
        if problems
        else ""
    )
    return f'<p class="mip-download mip-downloads">Download: {" ".join(links)}</p>{failed}'


Selection = tuple[str, str]  # (cohort label, module filter value)


class Bodies:
    """The page's body for each selection (cohort, module), drawn once and kept: a filter change
    to a selection drawn already only swaps the HTML. Its figures take about a second each to draw
    whatever the cohort's size, so after the first body is shown the others are drawn in a
    background thread (:meth:`prepare`). One body is drawn at a time (matplotlib is not
    thread-safe) and one asked for goes first: the background waits while one is asked for."""

    def __init__(self, draw: Callable[[str, str], str]):
        self._draw = draw
        self._done: dict[Selection, str] = {}
        self._drawing = threading.Lock()  # held while a body is drawn
        self._turn = threading.Condition()  # guards the queue and the count of callers waiting
        self._asking = 0
        self._queue: list[Selection] = []
        self._worker: threading.Thread | None = None

    def get(self, label: str, module: str) -> str:
        """The body of the selection, drawn now unless it was drawn already (an error is raised,
        and nothing kept, for a selection that cannot be drawn)."""
        with self._turn:
            self._asking += 1
        try:
            with self._drawing:
                if (label, module) not in self._done:
                    self._done[label, module] = self._draw(label, module)
                return self._done[label, module]
        finally:
            with self._turn:
                self._asking -= 1
                self._turn.notify_all()

    def prepare(self, selections: Sequence[Selection]) -> None:
        """Draw ``selections`` in the background, in this order, those not drawn yet."""
        with self._turn:
            self._queue = [s for s in dict.fromkeys([*self._queue, *selections]) if s not in self._done]
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="dashboard-bodies", daemon=True)
                self._worker.start()

    def forget(self, label: str) -> None:
        """Drop the cohort's bodies (its report was read again)."""
        with self._drawing:
            for selection in [s for s in self._done if s[0] == label]:
                del self._done[selection]

    def _work(self) -> None:
        while True:
            with self._turn:
                while self._asking:
                    self._turn.wait()
                if not self._queue:
                    return
                selection = self._queue.pop(0)
            with self._drawing:
                if selection not in self._done:
                    try:
                        self._done[selection] = self._draw(*selection)
                    except Exception:  # drawn again when asked for, and the error shown then
                        continue


class Dashboard:
    """The page: filters, download links for the exports, and the tables and figures.

    Every cohort's report is read once, at the start (the comparison needs all their summaries);
    filters only show the body drawn for the selection (:class:`Bodies`). A cohort that cannot be
    read is named, with the reason, on the page.
    ``today`` is for the overdue flags and the review cycle (default: the real date)."""

    def __init__(
        self,
        cohorts: Sequence[Path],
        *,
        policy: Policy | None = None,
        today: date | None = None,
    ):
        self.policy = policy or load_policy()
        self.today = today
        self.cohorts = cohort_labels(list(cohorts))
        self.reports: dict[str, CohortReport] = {}
        self.problems: dict[str, str] = {}
        self._links: dict[str, str] = {}  # cohort -> its download links, built on first showing
        self.bodies = Bodies(
            lambda label, module: dashboard_html(
                self.reports[label],
                module,
                comparison=self.comparison,
                charts=ChartCache(self.cohorts[label]),
            )
        )
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
        self.downloads = widgets.HTML()
        self.body = widgets.HTML()
        self.view = widgets.VBox(
            [
                widgets.HTML(
                    '<p class="mip-note">Choose a cohort and a module: every table and figure below '
                    "follows the choice. Downloads cover the whole cohort.</p>"
                ),
                widgets.HBox([self.cohort, self.module]),
                self.downloads,
                self.body,
            ]
        )
        self.view.add_class("mip-dashboard")
        self._refilling = False
        self.cohort.observe(lambda _: self._on_cohort(), names="value")
        self.module.observe(lambda _: self.render(), names="value")
        self._on_cohort()
        self.views = TutorViews(self)  # marking reflections and one trainee's page
        self.prepare(self.cohort.value)

    def _load(self, label: str) -> None:
        self._links.pop(label, None)  # a cohort read again (a mark saved) offers its new files
        try:
            report = cohort_report(self.cohorts[label], policy=self.policy, today=self.today)
        except Exception as exc:  # shown on the page: one unreadable cohort must not hide the rest
            self.problems[label] = f"{type(exc).__name__}: {exc}"
            report = None
        else:
            self.reports[label] = report
        # After the new report is in place: a body the background drew meanwhile was of the old one.
        self.bodies.forget(label)
        if report is not None and hasattr(self, "views"):  # read again after the page was shown
            self.prepare(label)

    def prepare(self, first: str) -> None:
        """Draw every selection of every readable cohort in the background, ``first``'s first."""
        labels = [first, *(label for label in self.reports if label != first)]
        reports = [(label, self.reports[label]) for label in labels if label in self.reports]
        self.bodies.prepare([(label, m) for label, r in reports for m in (ALL_MODULES, *r.modules)])

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
        self.render()

    def render(self) -> None:
        """Redraw the body for the current filters."""
        if self._refilling:
            return
        self.downloads.value = self.links()
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
            self.body.value = self.bodies.get(label, self.module.value)
        except Exception as exc:  # a page that says what went wrong, not a blank one
            self.body.value = (
                f'<p class="mip-error" role="alert">Cannot show this selection: {escape(str(exc))}</p>'
            )

    def links(self) -> str:
        """The current cohort's download links (built once per cohort: the report is read once)."""
        label, report = self.cohort.value, self.report
        if report is None:
            return f'<p class="mip-note">Nothing to download: cohort {escape(label)} could not be read.</p>'
        if label not in self._links:
            self._links[label] = downloads_html(report, self.cohorts[label])
        return self._links[label]


def show_dashboard() -> None:
    """The notebook's one call: the dashboard for the cohorts in ``COURSE_COHORTS``."""
    from IPython.display import display

    display(Dashboard(cohort_dirs()).view)
