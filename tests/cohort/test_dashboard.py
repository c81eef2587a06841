"""The tutor dashboard: its figures, tables, filters and exports over a small real cohort (one
module, four trainees, through nbgrader), every figure checked against values computed here from
the gradebook and the answers the trainees gave; then the page itself, served and used in
Chromium."""

from __future__ import annotations

import base64
import csv
import io
import math
import os
import random
import re
import shutil
import struct
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import nbformat
import pandas as pd
import pytest
from nbgrader.api import Gradebook

from course.cohort import cycle
from course.cohort.dashboard.charts import (
    choice_split_chart,
    contrast,
    mastery_colour,
    mastery_heatmap,
    mastery_order,
    score_band,
    score_distribution,
    shorten,
    text_colour,
)
from course.cohort.dashboard.page import ALL_MODULES_LABEL, Dashboard, dashboard_html, downloads_html
from course.cohort.dashboard.select import ALL_MODULES, COHORTS_ENV, cohort_dirs, cohort_labels, select
from course.cohort.dashboard.serve import NOTEBOOK, serve_dashboard
from course.cohort.dashboard.tables import html_table, items_table, submission_counts
from course.cohort.exports import EXPORTS
from course.cohort.report import LOW_SCORE, TABLES, cohort_report
from course.cohort.roster import RosterEntry, import_roster
from course.documents import Answers
from course.paths import GRADING_DIR, NOTEBOOKS_DIR
from course.play.answers import save_answers
from course.play.exchange import submit_module
from course.policy import load_policy
from course.status import ModuleStatus, unmarked_text

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
from .conftest import cohort_cli, fetch

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
GROUP = "<row group>"


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


def gradebook_points(root: Path) -> dict[str, tuple[float, float, int, float]]:
    """Each trainee's submission, read straight from nbgrader: points, maximum, and the cells
    still waiting for the tutor's mark (the reflections) with their points."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        points = {}
        for s in gb.find_assignment(MODULE).submissions:
            waiting = [g for nb in s.notebooks for g in nb.grades if g.needs_manual_grade]
            points[s.student.id] = (
                sum(nb.score for nb in s.notebooks),
                sum(nb.max_score for nb in s.notebooks),
                len(waiting),
                sum(g.max_score for g in waiting),
            )
        return points


def gradebook_overall(root: Path) -> dict[str, float]:
    """Each trainee with a graded submission: points / the maximum of what is marked so far (a
    reflection awaiting marking counts neither as 0 nor as full marks)."""
    return {
        trainee: score / (maximum - waiting_points)
        for trainee, (score, maximum, _, waiting_points) in gradebook_points(root).items()
        if (root / "submitted" / trainee).is_dir()
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
    """The tables (by class: caption and rows of cell texts; a row group's heading row is kept as
    ``[GROUP, heading]``), image alt texts and download links (file name -> href) of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self.alts: list[str] = []
        self.images: list[str] = []
        self.downloads: dict[str, str] = {}
        self.text = ""  # every text outside tables
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
            self._table["rows"].append([GROUP] if attrs.get("class") == "mip-group" else [])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "caption":
            self._in_caption = True
        elif tag == "img":
            self.alts.append(attrs.get("alt"))
            self.images.append(attrs.get("src", ""))
        elif tag == "a" and "download" in attrs:
            self.downloads[attrs["download"]] = attrs["href"]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table["rows"][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._table is None:
            self.text += data
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption and self._table is not None:
            self._table["caption"] += data

    def rows(self, css: str) -> list[dict[str, str]]:
        """The table's rows as {header: cell}; under a row group, with its heading as "Group"."""
        header, *body = self.tables[css]["rows"]
        out, group = [], None
        for row in body:
            if row[:1] == [GROUP]:
                group = row[1]
                continue
            out.append(dict(zip(header, row, strict=True)) | ({"Group": group} if group else {}))
        return out

    def groups(self, css: str) -> list[str]:
        return [row[1] for row in self.tables[css]["rows"] if row[:1] == [GROUP]]


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


def cielab(rgba) -> tuple[float, float, float]:
    """sRGB (D65) to CIELAB, the space where a distance of about 2 is just noticeable."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    rows = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
    white = (0.95047, 1, 1.08883)
    xyz = [sum(w * c for w, c in zip(row, lin, strict=True)) / n for row, n in zip(rows, white, strict=True)]
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def test_the_heat_maps_colours_set_close_shares_apart_and_its_figures_read_on_every_cell():
    def apart(a: float, b: float) -> float:
        return math.dist(cielab(mastery_colour(a)), cielab(mastery_colour(b)))

    assert apart(0.46, 0.58) > 25  # the review's example: cividis gave 14.5
    assert min(apart(v / 100, v / 100 + 0.1) for v in range(91)) > 12  # any 10 points: cividis 8
    for v in range(101):  # black or white, whichever reads; WCAG AA for text (4.5:1) on every cell
        cell = mastery_colour(v / 100)
        assert contrast(cell, text_colour(cell)) >= 4.5, v


def test_chart_labels_are_shortened_at_a_word_never_inside_one():
    words = "Thank her, but point out that the torn-off bottom is where the policy is dated; suggest"
    for width in (11, 20, 34, 44):
        label = shorten(words, 2, width)
        lines = label.split("\n")
        assert len(lines) <= 2 and all(len(line) <= width or " " not in line for line in lines)
        kept = label.replace("\n", " ").removesuffix(" …").split()
        assert kept == words.split()[: len(kept)]  # whole words, from the start
    assert shorten("Short.", 2, 20) == "Short."


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
    heatmap = mastery_heatmap(report.mastery, report.modules, report.text)
    assert_valid_png(heatmap.png)
    assert mastery_heatmap(report.mastery, report.modules, report.text).png == heatmap.png
    assert f"{len(fractions)} clauses by 1 module, weakest clause first" in heatmap.alt
    mastery = {clause: round(sum(values) / len(values), 9) for clause, values in fractions.items()}
    weakest_first = sorted(mastery, key=lambda clause: (mastery[clause], clause))
    assert mastery_order(report.mastery, list(report.modules)) == weakest_first
    plain = load_policy().clauses
    said = []
    for clause in weakest_first:  # each row labelled with the clause's plain words, in this order
        n = len(fractions[clause])
        cell = f"{mastery[clause]:.0%} ({n} decision{'s' if n != 1 else ''})"
        said.append(f"{plain[clause].plain} ({clause}) {cell}")
        assert said[-1] in heatmap.alt
    positions = [heatmap.alt.index(line) for line in said]
    assert positions == sorted(positions)
    # One module: a compact figure, not a wide empty one (pixels at the charts' 100 dpi).
    width, height = struct.unpack(">II", png_chunks(heatmap.png)[0][1][:8])
    assert width < 700 and height < 130 + 70 * len(fractions)

    # Choice split: per decision, how many trainees chose each option.
    taken = defaultdict(Counter)
    for _, scenario, step_id, step, option in decisions(course, cohort):
        taken[scenario, step_id][option.id, option.points, max(o.points for o in step.options)] += 1
    text = report.text
    split = choice_split_chart(report.split, "Keeping up to date", text.order, text)
    assert_valid_png(split.png)
    assert f"each of the {len(taken)} decisions of Keeping up to date" in split.alt
    words = {(i.id, s.id): s for i in course.module(MODULE).items for s in i.steps}
    for (scenario, step_id), options in taken.items():
        total = sum(options.values())
        step = words[scenario, step_id]  # the question and options in full, as the trainees read them
        taken_here = f"{total} decision{'s' if total != 1 else ''}"
        assert f"{step.prompt} ({scenario}, {step_id}; {taken_here})" in split.alt
        for (option, points, best), count in options.items():
            credit = "full credit" if points == best else "part credit" if points else "no credit"
            said = next(o.text for o in step.options if o.id == option)
            assert f"{said} ({option}) {count / total:.0%} ({count}, {credit})" in split.alt
    # One bar per decision, in play order: the alt text lists them as the course plays them.
    play = [(i.id, s.id) for i in course.module(MODULE).items for s in i.steps if (i.id, s.id) in taken]
    positions = [split.alt.index(f" ({scenario}, {step}; ") for scenario, step in play]
    assert positions == sorted(positions)


@pytest.mark.slow
def test_tables_show_trainees_at_risk_first_with_names_escaped(cohort, course):
    report = cohort_report(cohort.root)
    html = dashboard_html(report, ALL_MODULES, report.text)
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
        # Each id opens that trainee's page in this cohort.
        address = "?" + urlencode({"cohort": report.name, "trainee": trainee})
        assert f'<a href="{escape(address)}">{escape(trainee)}</a>' in html, trainee
        assert row["Name"] == names[trainee]
        assert row["At risk"] == ("yes" if trainee == "t4" or trainee in at_risk else "no")
        if trainee == "t4":
            assert row["Keeping up to date"] == "not submitted" and row["Modules submitted"] == "0 of 1"
            assert "nothing submitted" in row["Why"] and "overdue" in row["Why"]
        else:
            score, maximum, waiting, waiting_points = points[trainee]
            marked = maximum - waiting_points
            cell = f"{score:g} / {marked:g}"
            if waiting:
                cell += f" marked so far ({score / marked:.0%}); provisional: "
                cell += unmarked_text(waiting, waiting_points)
            else:
                cell += f" ({score / marked:.0%})"
            assert row["Keeping up to date"] == cell
            assert row["Overall"] == f"{overall[trainee]:.0%}" + (" (provisional)" if waiting else "")
    waiting = sum(p[2] for p in points.values())
    caption = f"Trainees, at risk first: {1 + len(at_risk)} of 4 trainees at risk"
    caption += f" (provisional: {waiting} reflection(s) awaiting marking)" if waiting else ""
    assert page.tables["mip-summary"]["caption"] == caption

    # Most common wrong choice per decision, and item statistics for every decision taken.
    taken = defaultdict(Counter)
    best = {}
    for _, scenario, step_id, step, option in decisions(course, cohort):
        taken[scenario, step_id][option.id] += 1
        best[scenario, step_id] = {o.id: o.points < max(x.points for x in step.options) for o in step.options}
    wrong = page.rows("mip-wrong")
    expected_wrong = {key for key, options in taken.items() if any(best[key][o] for o in options)}
    assert len(wrong) == len(expected_wrong)
    assert page.groups("mip-wrong") == ["Module: Keeping up to date"]  # the module said once
    assert "Module" not in wrong[0] and {r["Group"] for r in wrong} == {"Module: Keeping up to date"}
    steps = {(i.id, s.id): s for i in course.module(MODULE).items for s in i.steps}
    play = list(steps)
    plain = load_policy().clauses
    ranking = []
    for row in wrong:
        key = next(k for k in expected_wrong if steps[k].prompt == row["Decision"])
        count = max(n for o, n in taken[key].items() if best[key][o])
        total = sum(taken[key].values())
        assert row["Chosen by"] == f"{count} of {total} ({count / total:.0%})"
        step = steps[key]
        top = max(o.points for o in step.options)
        assert row["Better option (full credit)"] == next(o.text for o in step.options if o.points == top)
        at_stake = sorted({c for o in step.options for c in o.clauses})
        assert row["The policy on this"] == " | ".join(plain[c].plain for c in at_stake)
        ranking.append((-count, -count / total, play.index(key)))
    assert ranking == sorted(ranking)  # most chosen first, then the larger share, then play order

    # Item statistics: too few trainees (3) for the default minimum, so folded away; all shown
    # in the table with a minimum of 3.
    assert "mip-items" not in page.tables
    few = page.rows("mip-items-few")
    assert sorted(int(r["Trainees"]) for r in few) == sorted(sum(c.values()) for c in taken.values())
    shown = Page(items_table(report, select(report), report.text, min_n=3)).rows("mip-items")
    assert len(shown) == sum(1 for c in taken.values() if sum(c.values()) >= 3)
    for row in shown:
        key = next(k for k in taken if steps[k].prompt == row["Decision"])
        top = max(o.points for o in steps[key].options)
        points = {o.id: o.points for o in steps[key].options}
        earned = [points[option] / top for option, n in taken[key].items() for _ in range(n)]
        assert row["Earned full credit (high = easy)"] == f"{sum(earned) / len(earned):.0%}"


@pytest.mark.slow
def test_the_review_cycle_lists_completions_older_than_the_review_period(cohort, course):
    now = cohort_report(cohort.root)
    text = now.text
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
    assert everything.groups("mip-wrong") == ["Module: Keeping up to date"]

    board.module.value = MODULE
    one = Page(board.body.value)
    assert len(one.alts) == 3 and one.alts[2].startswith("Stacked bar chart")
    assert one.groups("mip-wrong") == [] and "Module" not in one.rows("mip-wrong")[0]  # one module
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
    assert "Nothing to download: cohort no-gradebook could not be read" in board.downloads.value
    assert Page(board.downloads.value).downloads == {}


def decoded(href: str) -> bytes:
    """The bytes of a ``data:<type>;base64,...`` link."""
    head, data = href.split(",", 1)
    assert head.startswith("data:") and head.endswith(";base64")
    return base64.b64decode(data, validate=True)


def read_link(href: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(decoded(href).decode("utf-8-sig"))))


def cli_exports(root: Path) -> dict[str, bytes]:
    """What `course cohort export` and `course cohort report` write for the cohort at ``root``:
    file name (under exports/) -> bytes."""
    for verb in ("export", "report"):
        status, output = cohort_cli(root, verb)
        assert status == 0, output
    exports = root / EXPORTS
    return {str(p.relative_to(exports)): p.read_bytes() for p in exports.rglob("*.csv")}


@pytest.mark.slow
def test_download_links_give_the_browser_the_files_the_cli_writes(cohort, course, tmp_path):
    root = copy_cohort(cohort, tmp_path / "winter")
    board = Dashboard([root])
    links = Page(board.downloads.value).downloads
    assert set(links) == {"report.zip", "grades.csv", "gradebook-moodle.csv", "gradebook-canvas.csv"}
    assert not (root / EXPORTS).exists()  # nothing written on the server
    assert links["grades.csv"].startswith("data:text/csv;base64,")

    written = cli_exports(root)
    for name in ("grades.csv", "gradebook-moodle.csv", "gradebook-canvas.csv"):
        assert decoded(links[name]) == written[name], name
    with zipfile.ZipFile(io.BytesIO(decoded(links["report.zip"]))) as archive:
        assert sorted(archive.namelist()) == sorted(f"report/{t}.csv" for t in TABLES)
        for member in archive.namelist():
            assert archive.read(member) == written[member], member

    # And what they hold is the cohort's, as the gradebook says.
    points = gradebook_points(root)
    moodle = {r["ID number"]: r for r in read_link(links["gradebook-moodle.csv"])}
    column = next(c for c in next(iter(moodle.values())) if c.startswith("Keeping up to date"))
    for trainee, (score, _, waiting, _) in points.items():  # blank while a reflection awaits marking
        assert moodle[trainee][column] == ("" if waiting else f"{score:g}"), trainee
    assert moodle["t4"][column] == ""  # never submitted: blank, not 0
    grades = {r["student_id"]: r for r in read_link(links["grades.csv"])}
    for trainee, (score, _, waiting, _) in points.items():
        status = "awaiting-marking" if waiting else "graded"
        assert float(grades[trainee]["score"]) == score and grades[trainee]["status"] == status
    assert grades["t4"]["status"] == "not-submitted"

    # An export that cannot be built is named with its reason; the others are still offered.
    gone = copy_cohort(cohort, tmp_path / "gone")
    report = cohort_report(gone)
    (gone / "gradebook.db").unlink()
    html = downloads_html(report, gone)
    assert set(Page(html).downloads) == {"report.zip"}
    assert "Could not prepare" in html and "<li>Moodle gradebook: " in html
    assert "no nbgrader gradebook" in html


@pytest.mark.slow
def test_the_counts_line_says_who_submitted_late_and_what_awaits_marking(cohort, course):
    report = cohort_report(cohort.root)
    with Gradebook(f"sqlite:///{cohort.root / 'gradebook.db'}", COURSE_ID) as gb:
        due = gb.find_assignment(MODULE).duedate
        # A module awaits marking while any of its cells waits for the tutor's (manual) mark.
        awaiting = sum(
            any(grade.needs_manual_grade for nb in sub.notebooks for grade in nb.grades)
            for sub in gb.find_assignment(MODULE).submissions
        )
    stamps = {
        t: pd.Timestamp((cohort.root / "submitted" / t / MODULE / "timestamp.txt").read_text().strip())
        for t in SUBMITTERS
    }
    late = sum(stamp.tz_convert(None) > pd.Timestamp(due) for stamp in stamps.values())
    expected = {"roster": 4, "submitted": 3, "not submitted": 1, "late": late, "awaiting marking": awaiting}
    for module in (ALL_MODULES, MODULE):
        assert submission_counts(report, select(report, module)) == expected
    line = Page(dashboard_html(report, MODULE)).text
    said = f"3 submitted · 1 not submitted · {late} late · {awaiting} awaiting marking"
    assert f"4 trainees on the roster · {said}" in line
    # The count follows the grid's status, as scores.py sets it: t1's module marked, or not yet.
    t1 = report.grid["student"] == "t1"
    waits = bool((report.grid.loc[t1, "status"] == ModuleStatus.AWAITING_MARKING).any())
    now = ModuleStatus.GRADED if waits else ModuleStatus.AWAITING_MARKING
    changed = replace(report, grid=report.grid.assign(status=report.grid["status"].mask(t1, now)))
    after = awaiting - 1 if waits else awaiting + 1
    assert submission_counts(changed, select(changed, MODULE))["awaiting marking"] == after
    assert f"· {after} awaiting marking" in dashboard_html(changed, MODULE)


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
        page.goto(f"{url}/", wait_until="commit")  # Voila runs the notebook first: wait below
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

        # The counts line at the top, and the exports downloaded by the browser, not written.
        counts = page.locator(".mip-counts").inner_text()
        assert "4 trainees on the roster · 3 submitted · 1 not submitted" in counts
        downloaded = {}
        for label in ("Moodle gradebook", "Report tables"):
            with page.expect_download() as info:
                page.get_by_role("link", name=re.compile(label)).click()
            download = info.value
            downloaded[download.suggested_filename] = Path(download.path()).read_bytes()
        assert not (root / EXPORTS).exists()
        written = cli_exports(root)
        assert downloaded["gradebook-moodle.csv"] == written["gradebook-moodle.csv"]
        with zipfile.ZipFile(io.BytesIO(downloaded["report.zip"])) as archive:
            assert {m: archive.read(m) for m in archive.namelist()} == {
                f"report/{t}.csv": written[f"report/{t}.csv"] for t in TABLES
            }

        assert violations == {"all modules": [], "one module": []}
        assert seen.errors == [] and seen.external == []
        page.close()
