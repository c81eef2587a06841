"""The tutor dashboard: its figures, tables, filters and exports over a small real cohort (one
module, four trainees, through nbgrader), every figure checked against values computed here from
the gradebook and the answers the trainees gave; then the page itself, served and used in
Chromium."""

from __future__ import annotations

import csv
import io
import math
import os
import random
import shutil
import struct
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from course.cohort import cycle
from course.cohort.dashboard.charts import choice_split_chart, mastery_heatmap, score_band, score_distribution
from course.cohort.dashboard.page import ALL_MODULES_LABEL, Dashboard, dashboard_html
from course.cohort.dashboard.select import ALL_MODULES, COHORTS_ENV, cohort_dirs, cohort_labels, select
from course.cohort.dashboard.serve import NOTEBOOK, serve_dashboard
from course.cohort.dashboard.tables import course_text, html_table
from course.cohort.exports import EXPORTS
from course.cohort.report import LOW_SCORE, TABLES, cohort_report
from course.cohort.roster import RosterEntry, import_roster
from course.documents import Answers
from course.paths import GRADING_DIR, NOTEBOOKS_DIR
from course.play.answers import save_answers
from course.play.exchange import submit_module

from ..conftest import (
    BIN,
    COURSE_ID,
    axe_violations,
    choices_of,
    free_port,
    http_server,
    make_nbgrader_course,
    walk_model,
    watch,
)
from .conftest import fetch

MODULE = "09-keeping-up-to-date"
SCRIPT_NAME = "<script>alert('dashboard')</script>"
ROSTER = [  # t4 never submits; t2's first name is markup, which must stay text
    RosterEntry("t1", "Ada", "Best", "t1@example.org"),
    RosterEntry("t2", SCRIPT_NAME, "Low", "t2@example.org"),
    RosterEntry("t3", "Cy", "Random", "t3@example.org"),
    RosterEntry("t4", "Di", "Absent", "t4@example.org"),
]
SUBMITTERS = ["t1", "t2", "t3"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- a small real cohort, built once for this file ------------------------------------------------


@dataclass
class Cohort:
    root: Path
    choices: dict[str, dict[str, list[dict[str, str]]]]  # trainee -> scenario -> choices made


def walk_choosing(scn, pick) -> list[dict[str, str]]:
    return choices_of(walk_model(scn, lambda step: pick(step.options)))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory, course) -> Cohort:
    nbc = make_nbgrader_course(tmp_path_factory.mktemp("dashboard"), course, name="autumn")
    root = nbc.root
    import_roster(root, ROSTER)
    yesterday = datetime.now() - timedelta(days=1)  # t4's module is overdue
    assert all(r.ok for r in cycle.release(root, [MODULE], duedate=yesterday))

    rng = random.Random(5)
    picks = {
        "t1": lambda options: max(options, key=lambda o: o.points),
        "t2": lambda options: min(options, key=lambda o: o.points),
        "t3": rng.choice,
        "t4": rng.choice,
    }
    made: dict[str, dict[str, list[dict[str, str]]]] = {}
    for entry in ROSTER:
        home = nbc.trainee_home(entry.id)
        fetch(home, MODULE)
        for item in course.module(MODULE).items:
            choices = walk_choosing(item, picks[entry.id])
            save_answers(home / MODULE, Answers(item.id, choices, "Because the policy says so."))
            made.setdefault(entry.id, {})[item.id] = choices
        if entry.id in SUBMITTERS:
            submit_module(home / MODULE, entry.id)
    assert all(r.ok for r in cycle.collect(root, [MODULE]))
    graded = cycle.autograde(root, [MODULE], workers=3)
    assert [(r.student, r.ok) for r in graded] == [(t, True) for t in SUBMITTERS], [str(r) for r in graded]
    return Cohort(root, {t: made[t] for t in SUBMITTERS})


def copy_cohort(cohort: Cohort, folder: Path, without: str | None = None) -> Path:
    """A second cohort: a copy of the first, less one trainee's submission if ``without``."""
    shutil.copytree(cohort.root, folder, ignore=shutil.ignore_patterns("exports"))
    if without:
        shutil.rmtree(folder / "submitted" / without)
        shutil.rmtree(folder / "autograded" / without)
    return folder


# --- what the test computes itself ------------------------------------------------------------------


def gradebook_overall(root: Path) -> dict[str, float]:
    """Each trainee with a graded submission: points / maximum of what is marked so far (a
    reflection awaiting the tutor's mark counts neither way), read straight from nbgrader."""
    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        for submission in gb.find_assignment(MODULE).submissions:
            if (root / "submitted" / submission.student.id).is_dir():
                notebooks = submission.notebooks
                total = sum(nb.score for nb in notebooks)
                waiting = sum(g.max_score for nb in notebooks for g in nb.grades if g.needs_manual_grade)
                maximum = sum(nb.max_score for nb in notebooks) - waiting
                scores[submission.student.id] = total / maximum
    return scores


def gradebook_points(root: Path) -> dict[str, tuple[float, float]]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        return {
            s.student.id: (sum(nb.score for nb in s.notebooks), sum(nb.max_score for nb in s.notebooks))
            for s in gb.find_assignment(MODULE).submissions
        }


def decisions(course, cohort: Cohort) -> list[tuple[str, str, str, object, object]]:
    """(trainee, scenario, step, step model, option model) for every decision submitted."""
    content, rows = course.module(MODULE), []
    for trainee, made in cohort.choices.items():
        for item in content.items:
            steps = {s.id: s for s in item.steps}
            for choice in made[item.id]:
                step = steps[choice["step"]]
                option = next(o for o in step.options if o.id == choice["option"])
                rows.append((trainee, item.id, step.id, step, option))
    return rows


class Page(HTMLParser):
    """The tables (by class: caption and rows of cell texts) and image alt texts of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.alts: list[str] = []
        self.images: list[str] = []
        self._table: dict | None = None
        self._cell: list[str] | None = None
        self._in_caption = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = {"caption": "", "rows": []}
            self.tables[attrs.get("class", "").split()[-1]] = self._table
        elif tag == "tr" and self._table is not None:
            self._table["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "img":
            self.alts.append(attrs.get("alt"))
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table["rows"][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption and self._table is not None:
            self._table["caption"] += data

    def rows(self, css: str) -> list[dict[str, str]]:
        header, *body = self.tables[css]["rows"]
        return [dict(zip(header, row, strict=True)) for row in body]


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The PNG's chunks (type, payload); fails on anything that is not a well-formed PNG."""
    assert data.startswith(PNG_SIGNATURE)
    chunks, at = [], len(PNG_SIGNATURE)
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        chunks.append((kind, data[at + 8 : at + 8 + length]))
        at += 12 + length
    assert at == len(data) and chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def assert_valid_png(data: bytes) -> None:
    chunks = png_chunks(data)
    width, height = struct.unpack(">II", chunks[0][1][:8])
    assert width > 100 and height > 100
    kinds = {kind for kind, _ in chunks}
    assert not kinds & {b"tIME", b"tEXt", b"iTXt", b"zTXt"}, kinds  # nothing that changes per run


def band_of(score: float) -> int:
    percent = score * 100
    for band in range(10):
        if band * 10 <= percent + 1e-9 < (band + 1) * 10:
            return band
    return 9  # 100%


# --- fast: no cohort needed --------------------------------------------------------------------------


def test_cohorts_come_from_the_environment_else_the_course_grading_folder(tmp_path, monkeypatch):
    a, b = tmp_path / "2026-spring", tmp_path / "2026-autumn"
    monkeypatch.setenv(COHORTS_ENV, f"{a}{os.pathsep}{os.pathsep}{b}{os.pathsep}{a}")
    assert cohort_dirs() == [a.resolve(), b.resolve()]  # empty parts skipped, repeats once
    monkeypatch.delenv(COHORTS_ENV)
    assert cohort_dirs() == [GRADING_DIR]
    assert cohort_dirs("  ") == [GRADING_DIR]

    twin = tmp_path / "elsewhere" / "2026-spring"
    labels = cohort_labels([a, b, twin])
    assert list(labels) == [str(a.resolve()), "2026-autumn", str(twin.resolve())]  # same name: full path
    assert list(labels.values()) == [a, b, twin]


def test_score_bands_and_the_distribution_chart_on_given_scores():
    scores = [0.0, 0.05, 0.1, 0.299999, 0.3, 0.59, 0.6, 0.7, 0.7, 0.999, 1.0, float("nan")]
    expected = Counter(band_of(s) for s in scores if not math.isnan(s))
    assert [score_band(s) for s in scores[:-1]] == [band_of(s) for s in scores[:-1]]
    summary = pd.DataFrame({"student": [f"s{i}" for i in range(len(scores))], "overall": scores})
    chart = score_distribution(summary)
    assert_valid_png(chart.png)
    for band in range(10):
        said = f"{band * 10} to {band * 10 + 10}%: {expected[band]}"
        assert (said in chart.alt) == (expected[band] > 0), said
    assert "11 trainees with a graded score" in chart.alt
    assert "1 trainee without a graded score" in chart.alt
    below = sum(1 for s in scores if s < LOW_SCORE)  # NaN compares False
    assert f"{below} below the at-risk line at 60%" in chart.alt
    assert score_distribution(summary.assign(overall=float("nan"))) is None
    with pytest.raises(ValueError, match="no score column 'nope'"):
        score_distribution(summary, "nope")


def test_tables_escape_every_value_and_have_captions_and_headers():
    frame = pd.DataFrame({"who": [SCRIPT_NAME, 'a "quoted" & <b>bold</b> name']})
    html = html_table(frame, "Caption <i>", {"who": ("Name <th>", str)})
    assert "<script>" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&#x27;dashboard&#x27;)&lt;/script&gt;" in html
    parsed = Page(html)
    assert parsed.tables["mip-table"]["caption"] == "Caption <i>"
    assert parsed.tables["mip-table"]["rows"] == [
        ["Name <th>"],
        [SCRIPT_NAME],
        ['a "quoted" & <b>bold</b> name'],
    ]
    assert '<th scope="col">' in html


def test_the_dashboard_notebook_is_one_title_and_one_call_on_the_tutors_side():
    assert NOTEBOOK.parent == GRADING_DIR and not NOTEBOOK.is_relative_to(NOTEBOOKS_DIR)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code"]
    assert nb.cells[0].source.startswith("# ")
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    code = nb.cells[1].source
    assert "from course.cohort.dashboard import show_dashboard" in code and code.rstrip().endswith(
        "show_dashboard()"
    )
    assert nb.metadata.kernelspec.name == "python3"


def test_serving_a_cohort_that_is_not_there_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no cohort course directory at .*missing"):
        serve_dashboard(cohorts=[tmp_path / "missing"])


# --- a real cohort --------------------------------------------------------------------------------


@pytest.mark.slow
def test_figures_are_deterministic_pngs_whose_alt_texts_state_the_cohorts_figures(cohort, course):
    report = cohort_report(cohort.root)

    distribution = score_distribution(report.summary)
    assert_valid_png(distribution.png)
    assert score_distribution(report.summary).png == distribution.png  # same data, same bytes
    overall = gradebook_overall(cohort.root)
    assert sorted(overall) == SUBMITTERS
    bands = Counter(band_of(v) for v in overall.values())
    for band, count in bands.items():
        assert f"{band * 10} to {band * 10 + 10}%: {count}" in distribution.alt
    assert f"{len(overall)} trainees with a graded score" in distribution.alt
    assert f"Mean {sum(overall.values()) / len(overall):.0%}" in distribution.alt
    assert "1 trainee without a graded score" in distribution.alt  # t4

    # Clause mastery: every clause any option of a decision cites, points / best points there.
    fractions = defaultdict(list)
    for _, _, _, step, option in decisions(course, cohort):
        best = max(o.points for o in step.options)
        for clause in {c for o in step.options for c in o.clauses}:
            fractions[clause].append(option.points / best)
    heatmap = mastery_heatmap(report.mastery, report.modules)
    assert_valid_png(heatmap.png)
    assert mastery_heatmap(report.mastery, report.modules).png == heatmap.png
    assert f"{len(fractions)} clauses by 1 module" in heatmap.alt
    for clause, values in fractions.items():
        n = len(values)
        said = f"{clause} {sum(values) / n:.0%} ({n} decision{'s' if n != 1 else ''})"
        assert said in heatmap.alt

    # Choice split: per decision, how many trainees chose each option.
    taken = defaultdict(Counter)
    for _, scenario, step_id, step, option in decisions(course, cohort):
        taken[scenario, step_id][option.id, option.points, max(o.points for o in step.options)] += 1
    text = course_text(report)
    split = choice_split_chart(report.split, "Keeping up to date", text.order)
    assert_valid_png(split.png)
    assert f"each of the {len(taken)} decisions of Keeping up to date" in split.alt
    for (scenario, step_id), options in taken.items():
        total = sum(options.values())
        assert f"{scenario}, {step_id} ({total} decision{'s' if total != 1 else ''})" in split.alt
        for (option, points, best), count in options.items():
            credit = "full credit" if points == best else "part credit" if points else "no credit"
            assert f"{option} {count / total:.0%} ({count}, {credit})" in split.alt
    # One bar per decision, in play order: the alt text lists them as the course plays them.
    play = [(i.id, s.id) for i in course.module(MODULE).items for s in i.steps if (i.id, s.id) in taken]
    positions = [split.alt.index(f" {scenario}, {step} (") for scenario, step in play]
    assert positions == sorted(positions)


@pytest.mark.slow
def test_tables_show_trainees_at_risk_first_with_names_escaped(cohort, course):
    report = cohort_report(cohort.root)
    html = dashboard_html(report, ALL_MODULES, course_text(report))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;dashboard&#x27;)&lt;/script&gt;" in html
    page = Page(html)
    rows = page.rows("mip-summary")
    points, overall = gradebook_points(cohort.root), gradebook_overall(cohort.root)
    # At risk: nothing submitted (t4, also overdue) or overall below 60%; lowest score first.
    at_risk = sorted((t for t in overall if overall[t] < LOW_SCORE), key=lambda t: overall[t])
    safe = sorted((t for t in overall if overall[t] >= LOW_SCORE), key=lambda t: overall[t])
    assert [r["Trainee"] for r in rows] == ["t4", *at_risk, *safe]
    names = {e.id: f"{e.first_name} {e.last_name}" for e in ROSTER}
    for row in rows:
        trainee = row["Trainee"]
        assert row["Name"] == names[trainee]
        assert row["At risk"] == ("yes" if trainee == "t4" or trainee in at_risk else "no")
        if trainee == "t4":
            assert row["Keeping up to date"] == "not submitted" and row["Modules submitted"] == "0 of 1"
            assert "nothing submitted" in row["Why"] and "overdue" in row["Why"]
        else:
            score, maximum = points[trainee]
            assert row["Keeping up to date"] == f"{score:g} / {maximum:g} ({score / maximum:.0%})"
            assert row["Overall"] == f"{overall[trainee]:.0%}"
    assert (
        page.tables["mip-summary"]["caption"]
        == f"Trainees, at risk first: {1 + len(at_risk)} of 4 trainees at risk"
    )

    # Most common wrong choice per decision, and item statistics for every decision taken.
    taken = defaultdict(Counter)
    best = {}
    for _, scenario, step_id, step, option in decisions(course, cohort):
        taken[scenario, step_id][option.id] += 1
        best[scenario, step_id] = {o.id: o.points < max(x.points for x in step.options) for o in step.options}
    wrong = page.rows("mip-wrong")
    expected_wrong = {key for key, options in taken.items() if any(best[key][o] for o in options)}
    assert len(wrong) == len(expected_wrong)
    text = course_text(report)
    for row in wrong:
        key = next(k for k in expected_wrong if text.prompt(MODULE, *k) == row["Decision"])
        count = max(n for o, n in taken[key].items() if best[key][o])
        total = sum(taken[key].values())
        assert row["Chosen by"] == f"{count} of {total} ({count / total:.0%})"
    items = page.rows("mip-items")
    assert len(items) == len(taken)
    assert sorted(int(r["Trainees"]) for r in items) == sorted(sum(c.values()) for c in taken.values())


@pytest.mark.slow
def test_the_review_cycle_lists_completions_older_than_the_review_period(cohort, course):
    now = cohort_report(cohort.root)
    text = course_text(now)
    assert "No trainee is due a retake" in dashboard_html(now, MODULE, text)
    later = cohort_report(cohort.root, today=date.today() + timedelta(days=3 * 365))
    rows = Page(dashboard_html(later, MODULE, text)).rows("mip-review")
    assert [r["Trainee"] for r in rows] == SUBMITTERS
    assert all("more than 18 months ago" in r["Why a retake is due"] for r in rows)
    assert {r["Module"] for r in rows} == {"Keeping up to date"}


@pytest.mark.slow
def test_the_module_filter_selects_rows_of_that_module_only(cohort, course):
    report = cohort_report(cohort.root)
    other = "08-another-module"

    def doubled(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([frame, frame.assign(module=other)], ignore_index=True)

    two = replace(
        report,
        modules={**report.modules, other: "Another module"},
        summary=report.summary.assign(**{other: report.summary[MODULE] / 2}),
        grid=doubled(report.grid),
        mastery=doubled(report.mastery),
        split=doubled(report.split),
        wrong=doubled(report.wrong),
        items=doubled(report.items),
        review=doubled(report.review),
    )
    for module in (MODULE, other):
        chosen = select(two, module)
        assert chosen.modules == {module: two.modules[module]}
        for field in ("grid", "mastery", "split", "wrong", "items", "review"):
            frame = getattr(two, field)
            expected = [i for i in range(len(frame)) if frame["module"].iloc[i] == module]
            assert len(getattr(chosen, field)) == len(expected), field
            assert set(getattr(chosen, field)["module"]) <= {module}
        dropped = other if module == MODULE else MODULE
        assert module in chosen.summary.columns and dropped not in chosen.summary.columns
    everything = select(two)
    assert len(everything.split) == 2 * len(report.split) and {MODULE, other} <= set(
        everything.summary.columns
    )
    with pytest.raises(ValueError, match="'nope' is not released to cohort autumn; expected one of 09-"):
        select(two, "nope")


@pytest.mark.slow
def test_filters_redraw_the_page_for_the_chosen_cohort_and_module(cohort, course, tmp_path):
    spring = copy_cohort(cohort, tmp_path / "spring", without="t3")
    board = Dashboard([cohort.root, spring])
    assert list(board.cohort.options) == ["autumn", "spring"]
    assert list(board.module.options) == [
        (ALL_MODULES_LABEL, ALL_MODULES),
        ("Keeping up to date", MODULE),
    ]

    everything = Page(board.body.value)
    assert len(everything.alts) == 2  # distribution and heat map; the split needs a module
    assert "Choose a module in the filter above" in board.body.value
    assert "Module" in everything.rows("mip-wrong")[0]

    board.module.value = MODULE
    one = Page(board.body.value)
    assert len(one.alts) == 3 and one.alts[2].startswith("Stacked bar chart")
    assert "Module" not in one.rows("mip-wrong")[0]  # one module: no column repeating it
    assert "score in Keeping up to date" in one.alts[0]

    t3 = {r["Trainee"]: r for r in one.rows("mip-summary")}["t3"]
    assert t3["Keeping up to date"] != "not submitted"
    board.cohort.value = "spring"
    assert board.module.value == MODULE  # kept: spring has the same module
    t3 = {r["Trainee"]: r for r in Page(board.body.value).rows("mip-summary")}["t3"]
    assert t3["Keeping up to date"] == "not submitted" and t3["At risk"] == "yes"

    # The comparison covers both cohorts whichever is shown.
    comparison = {r["Cohort"]: r for r in Page(board.body.value).rows("mip-comparison")}
    autumn_scores = gradebook_overall(cohort.root)
    spring_scores = gradebook_overall(spring)
    assert sorted(spring_scores) == ["t1", "t2"]
    for name, scores in (("autumn", autumn_scores), ("spring", spring_scores)):
        assert comparison[name]["Trainees"] == "4"
        assert comparison[name]["Mean overall"] == f"{sum(scores.values()) / len(scores):.0%}"
        assert comparison[name]["Completion"] == f"{len(scores) / 4:.0%}"


@pytest.mark.slow
def test_an_unreadable_cohort_is_reported_and_the_others_still_shown(cohort, course, tmp_path):
    empty = tmp_path / "no-gradebook"
    empty.mkdir()
    board = Dashboard([cohort.root, empty])
    comparison = Page(board.body.value).rows("mip-comparison")
    assert [r["Cohort"] for r in comparison] == ["autumn"]
    assert "Not compared" in board.body.value and "no nbgrader gradebook" in board.body.value
    board.cohort.value = "no-gradebook"
    assert "could not be read" in board.body.value and "no nbgrader gradebook" in board.body.value
    assert all(button.disabled for button in board.buttons.values())
    assert board.export("report") == []


@pytest.mark.slow
def test_export_buttons_write_the_report_and_both_gradebooks_and_say_where(cohort, course, tmp_path):
    root = copy_cohort(cohort, tmp_path / "winter")
    board = Dashboard([root])
    exports = root / EXPORTS

    board.buttons["report"].click()
    for table in TABLES:
        assert (exports / "report" / f"{table}.csv").is_file(), table
    assert str(exports / "report") in board.status.value and 'role="status"' in board.status.value
    with open(exports / "report" / "summary.csv", encoding="utf-8-sig", newline="") as fh:
        assert sorted(r["student"] for r in csv.DictReader(fh)) == [e.id for e in ROSTER]

    points = gradebook_points(root)
    board.buttons["moodle"].click()
    with open(exports / "gradebook-moodle.csv", encoding="utf-8-sig", newline="") as fh:
        moodle = {r["ID number"]: r for r in csv.DictReader(fh)}
    column = next(c for c in next(iter(moodle.values())) if c.startswith("Keeping up to date"))
    for trainee, (score, _) in points.items():
        assert float(moodle[trainee][column]) == score
    assert moodle["t4"][column] == ""  # never submitted: blank, not 0
    assert "gradebook-moodle.csv" in board.status.value

    board.buttons["canvas"].click()
    with open(exports / "gradebook-canvas.csv", encoding="utf-8-sig", newline="") as fh:
        canvas = list(csv.reader(io.StringIO(fh.read())))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0] == "Points Possible" and len(canvas) == 2 + len(ROSTER)
    assert "gradebook-canvas.csv" in board.status.value

    board.buttons["grades"].click()
    with open(exports / "grades.csv", encoding="utf-8-sig", newline="") as fh:
        grades = {r["student_id"]: r for r in csv.DictReader(fh)}
    for trainee, (score, _) in points.items():
        assert float(grades[trainee]["score"]) == score and grades[trainee]["status"] == "graded"
    assert grades["t4"]["status"] == "not-submitted"
    assert "grades.csv" in board.status.value

    # A failure is said in the status line, not raised into the page.
    shutil.rmtree(exports)
    exports.write_text("a file where the exports folder should be")
    assert board.export("report") == []
    assert "Could not write the report" in board.status.value and "mip-error" in board.status.value
    board.buttons["moodle"].click()  # a click that fails raises nothing either
    assert "Could not write the Moodle gradebook" in board.status.value


# --- in the browser ---------------------------------------------------------------------------------


@contextmanager
def dashboard_server(*cohorts: Path) -> Iterator[str]:
    """`course cohort dashboard --cohort DIR...` in its own process on a free port; yields its URL."""
    port = free_port()
    args = [str(BIN / "course"), "cohort", "dashboard", "--port", str(port)]
    for cohort in cohorts:
        args += ["--cohort", str(cohort)]
    with http_server(args, port, cohorts[0].parent / f"dashboard-{port}.log") as url:
        yield url


@pytest.mark.slow
@pytest.mark.browser
def test_the_dashboard_in_the_browser(cohort, tmp_path, browser, shots):
    root = copy_cohort(cohort, tmp_path / "summer")
    with dashboard_server(root) as url:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        seen = watch(page)
        page.goto(f"{url}/")
        summary = page.locator("table.mip-summary")
        summary.wait_for(timeout=90_000)
        assert summary.locator("caption").inner_text().startswith("Trainees, at risk first")
        assert summary.locator("tbody tr").count() == len(ROSTER)
        assert page.get_by_text(SCRIPT_NAME + " Low").count() == 1  # shown as text, never run
        images = page.locator(".mip-dashboard figure img")
        assert images.count() == 2
        assert all(images.nth(i).evaluate("img => img.complete && img.naturalWidth > 100") for i in range(2))
        assert all(images.nth(i).get_attribute("alt") for i in range(2))
        page.wait_for_timeout(300)
        violations = {"all modules": axe_violations(page)}

        page.get_by_label("Module", exact=True).select_option(label="Keeping up to date")
        page.locator("img[alt^='Stacked bar chart']").wait_for(timeout=30_000)
        assert images.count() == 3
        assert "score in Keeping up to date" in images.nth(0).get_attribute("alt")
        page.wait_for_timeout(300)
        violations["one module"] = axe_violations(page)
        page.screenshot(path=str(shots / "dashboard.png"))

        page.get_by_role("button", name="Export report tables (CSV)").click()
        status = page.get_by_role("status").filter(has_text="Wrote the report")
        status.wait_for(timeout=30_000)
        assert str(root / "exports" / "report") in status.inner_text()
        assert sorted(p.name for p in (root / "exports" / "report").iterdir()) == sorted(
            f"{t}.csv" for t in TABLES
        )

        assert violations == {"all modules": [], "one module": []}
        assert seen.errors == [] and seen.external == []
        page.close()
