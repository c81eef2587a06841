"""Roster import: every rule reported by row and field, and the gradebook changed all at once or not at all.

The gradebook is nbgrader's own (a SQLite file in a scratch course that loads the repository's
nbgrader configuration), read back through nbgrader's Gradebook API.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from sqlalchemy import event
from sqlalchemy.orm import Session

from course.cohort.roster import (
    ImportFailed,
    RosterEntry,
    RosterError,
    import_roster,
    read_roster,
)
from course.paths import GRADING_DIR

COURSE_ID = "mip-social-media"
HEADER = ["id", "first_name", "last_name", "email", "lms_user_id"]


@pytest.fixture(scope="session")
def new_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty gradebook made by nbgrader once (making one runs alembic: seconds); courses get a copy."""
    path = tmp_path_factory.mktemp("template") / "gradebook.db"
    Gradebook(f"sqlite:///{path}", COURSE_ID).close()
    return path


def make_course(folder: Path, gradebook: Path, db_url: str | None = None) -> Path:
    """A course directory whose nbgrader_config.py loads the repository's, as a deployment would."""
    folder.mkdir()
    shutil.copyfile(gradebook, folder / "gradebook.db")
    lines = [
        "c = get_config()",
        f"load_subconfig({str(GRADING_DIR / 'nbgrader_config.py')!r})",
        f"c.CourseDirectory.root = {str(folder)!r}",
    ]
    if db_url:
        lines.append(f"c.CourseDirectory.db_url = {db_url!r}")
    (folder / "nbgrader_config.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def course_dir(tmp_path: Path, new_gradebook: Path) -> Path:
    return make_course(tmp_path / "course", new_gradebook)


def write_csv(path: Path, rows: list[list[str]], bom: bool = False) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    return path


def people(count: int, start: int = 0) -> list[list[str]]:
    return [
        [f"t{n:03d}", f"First{n}", f"Last{n}", f"t{n:03d}@example.org", f"lms-{n}"]
        for n in range(start, start + count)
    ]


def gradebook_rows(course: Path) -> list[tuple]:
    """Every student as nbgrader's API returns them, opened independently of the code under test."""
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        return sorted((s.id, s.first_name, s.last_name, s.email, s.lms_user_id) for s in gb.students)


# Reading -------------------------------------------------------------------------------------


def test_good_roster_reads_every_row(tmp_path: Path):
    rows = people(5)
    entries = read_roster(write_csv(tmp_path / "r.csv", [HEADER, *rows]))
    assert [tuple(vars(e).values()) for e in entries] == [tuple(r) for r in rows]


def test_bom_mixed_case_headers_spaces_and_blank_lines(tmp_path: Path):
    header = [" ID", "First_Name ", "LAST_NAME", " Email "]  # no lms_user_id: it is optional
    rows = [
        [" ann ", " Ann ", "Lee", " ann@example.org"],
        [],
        ["", "", "", ""],
        ["bo", "Bo", "Ng", "bo@x.org"],
    ]
    entries = read_roster(write_csv(tmp_path / "r.csv", [header, *rows], bom=True))
    expected = [RosterEntry(*(cell.strip() for cell in row)) for row in rows if any(row)]
    assert entries == expected
    assert all(e.lms_user_id is None for e in entries)


def bad_rows() -> list[tuple[list[str], str | None]]:
    """Rows of a roster, each good or breaking exactly one rule (the field named beside it)."""
    good = people(3, start=900)
    return [
        (good[0], None),
        (["", "No", "Id", "noid@example.org", ""], "id"),
        (["ann+1", "Ann", "Plus", "plus@example.org", ""], "id"),
        ([".hidden", "Dot", "First", "dot@example.org", ""], "id"),
        (["has space", "Sp", "Ace", "space@example.org", ""], "id"),
        (["x" * 65, "Too", "Long", "long@example.org", ""], "id"),
        ([good[0][0], "Dup", "Exact", "dupexact@example.org", ""], "id"),
        ([good[0][0].upper(), "Dup", "Case", "dupcase@example.org", ""], "id"),
        (["n1", "   ", "Blank", "n1@example.org", ""], "first_name"),
        (["n2", "Long", "L" * 101, "n2@example.org", ""], "last_name"),
        (["n3", "Bell\x07", "Ctl", "n3@example.org", ""], "first_name"),
        (["n4", "Tab", "In\tside", "n4@example.org", ""], "last_name"),
        (["e1", "No", "At", "e1.example.org", ""], "email"),
        (["e2", "Two", "Ats", "e2@x@example.org", ""], "email"),
        (["e3", "No", "Local", "@example.org", ""], "email"),
        (["e4", "No", "Dot", "e4@localhost", ""], "email"),
        (["e5", "Has", "Space", "e 5@example.org", ""], "email"),
        (["e6", "No", "Email", "", ""], "email"),
        (["e7", "Dup", "Email", good[0][3].upper(), ""], "email"),
        (["l1", "Lms", "Ctl", "l1@example.org", "a\nb"], "lms_user_id"),
        (good[1], None),
        (["short", "row", "only"], "row"),
        (["long", "row", "x", "long@example.org", "", "extra"], "row"),
        (good[2], None),
    ]


def test_every_rule_is_reported_with_its_row_and_field(tmp_path: Path):
    rows = bad_rows()
    cells = [HEADER, []]  # a blank line still counts as a spreadsheet row
    cells += [row for row, _ in rows]
    path = write_csv(tmp_path / "bad.csv", cells)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    # Spreadsheet rows: header 1, blank line 2, then one per row written.
    expected = {(index + 3, field) for index, (_, field) in enumerate(rows) if field}
    found = {(p.row, p.field) for p in caught.value.problems}
    assert found == expected
    assert len(caught.value.problems) == len(expected)
    for problem in caught.value.problems:
        assert problem.file == str(path)
        assert (
            str(problem.row) in str(problem) and problem.field in str(problem) and str(path) in str(problem)
        )
        assert problem.expected


def test_duplicates_name_both_rows(tmp_path: Path):
    rows = [row for row, _ in bad_rows()]
    path = write_csv(tmp_path / "bad.csv", [HEADER, *rows])
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    numbered = [(n, row) for n, row in enumerate(rows, start=2) if len(row) == len(HEADER)]
    dups = [(n, row) for n, row in numbered if row[1] == "Dup"]
    for number, row in dups:
        field = "email" if row[2] == "Email" else "id"
        column = HEADER.index(field)
        first = min(n for n, other in numbered if other[column].lower() == row[column].lower())
        (problem,) = [p for p in caught.value.problems if p.row == number]
        assert problem.field == field and first < number and f"row {first}" in problem.expected
    assert len(dups) == 3


def test_bad_value_is_quoted_and_truncated(tmp_path: Path):
    long_id = "+" * 500
    path = write_csv(tmp_path / "r.csv", [HEADER, [long_id, "A", "B", "a@example.org", ""]])
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    (problem,) = caught.value.problems
    assert problem.value.startswith("'+++") and problem.value.endswith("...")
    assert len(problem.value) < len(repr(long_id))


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (["id", "first_name", "last_name", "email", "phone"], "phone"),
        (["id", "first_name", "email"], "last_name"),
        (["id", "first_name", "last_name", "email", "Email"], "Email"),
    ],
)
def test_unknown_missing_or_repeated_columns_are_named(tmp_path: Path, header: list[str], named: str):
    good = dict(zip(HEADER, ["a1", "A", "B", "a1@example.org", "x"], strict=True))
    row = [good.get(name.lower(), "x") for name in header]
    with pytest.raises(RosterError) as caught:
        read_roster(write_csv(tmp_path / "r.csv", [header, row]))
    assert [p.row for p in caught.value.problems] == [1]
    assert named in str(caught.value.problems[0])


def test_header_only_or_empty_file_is_an_error(tmp_path: Path):
    with pytest.raises(RosterError, match="at least one trainee"):
        read_roster(write_csv(tmp_path / "r.csv", [HEADER, [], ["", "", "", "", ""]]))
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(RosterError, match="header row"):
        read_roster(tmp_path / "empty.csv")


def test_text_that_is_not_utf8_is_reported_by_row(tmp_path: Path):
    good = ",".join(people(1)[0]).encode()
    data = b"\n".join([",".join(HEADER).encode(), good, "Zoë,Zoë,Z,z@example.org,".encode("latin-1")])
    (tmp_path / "latin.csv").write_bytes(data)
    with pytest.raises(RosterError) as caught:
        read_roster(tmp_path / "latin.csv")
    assert [(p.row, "UTF-8" in p.expected) for p in caught.value.problems] == [(3, True)]


# Importing ---------------------------------------------------------------------------------------


def test_import_is_readable_through_nbgraders_api(tmp_path: Path, course_dir: Path):
    rows = people(12)
    rows[3][4] = ""  # no LMS id for this one
    entries = read_roster(write_csv(tmp_path / "r.csv", [HEADER, *rows]))
    report = import_roster(course_dir, entries)
    assert (report.added, report.updated, report.unchanged) == (len(rows), 0, 0)
    assert gradebook_rows(course_dir) == sorted((*r[:4], r[4] or None) for r in rows)
    assert str(len(rows)) in report.summary()


def test_reimport_updates_changed_rows_and_counts_unchanged(tmp_path: Path, course_dir: Path):
    first = people(10)
    import_roster(course_dir, read_roster(write_csv(tmp_path / "a.csv", [HEADER, *first])))
    second = [list(row) for row in first[2:]] + people(3, start=50)  # two dropped, three new
    second[0][1] = "Renamed"
    second[1][3] = "changed@example.org"
    second[2][4] = "new-lms"
    second[3][4] = ""  # an empty LMS id keeps the stored one
    before = {row[0]: row for row in gradebook_rows(course_dir)}

    report = import_roster(course_dir, read_roster(write_csv(tmp_path / "b.csv", [HEADER, *second])))

    expected = dict(before)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for row in second:
        stored = before.get(row[0])
        new = (*row[:4], row[4] or (stored[4] if stored else None))
        kind = "added" if stored is None else "unchanged" if new == stored else "updated"
        counts[kind] += 1
        expected[row[0]] = new
    assert (report.added, report.updated, report.unchanged) == tuple(counts.values())
    assert counts["updated"] == 3 and counts["added"] == 3  # the edits above really are edits
    assert gradebook_rows(course_dir) == sorted(expected.values())
    summary = report.summary()
    assert all(f"{n} {kind}" in summary for kind, n in counts.items())
    # Each update says what changed, from what to what; the rows left out are named, not dropped.
    fields = ["id", "first_name", "last_name", "email", "lms_user_id"]
    for row in second:
        old, new = before.get(row[0]), expected[row[0]]
        if old is not None and old != new:
            said = [f"{f} {a!r} -> {b!r}" for f, a, b in zip(fields, old, new, strict=True) if a != b]
            assert f"updated {row[0]}: {', '.join(said)}" in summary
    dropped = sorted(set(before) - {row[0] for row in second})
    assert report.not_in_file == dropped and len(dropped) == 2
    assert f"not in this file (withdrawn?): {', '.join(dropped)}" in summary
    assert set(dropped) <= {row[0] for row in gradebook_rows(course_dir)}


@pytest.mark.parametrize("separator", [";", "\t"])
def test_a_file_separated_by_semicolons_or_tabs_is_one_clear_problem(tmp_path: Path, separator: str):
    path = tmp_path / "excel.csv"
    path.write_text("\n".join(separator.join(row) for row in [HEADER, *people(3)]) + "\n", encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    (problem,) = caught.value.problems
    assert (problem.row, problem.field) == (1, "header")
    assert repr(separator) in problem.value and "separated by commas" in problem.expected


def test_a_bad_row_imports_nothing(tmp_path: Path, course_dir: Path):
    import_roster(course_dir, read_roster(write_csv(tmp_path / "a.csv", [HEADER, *people(4)])))
    before = gradebook_rows(course_dir)
    rows = [list(row) for row in people(30)]
    rows[0][1] = "Changed"
    rows[20][3] = "not-an-email"
    with pytest.raises(RosterError):
        import_roster(course_dir, read_roster(write_csv(tmp_path / "b.csv", [HEADER, *rows])))
    assert gradebook_rows(course_dir) == before


def test_two_hundred_rows_are_written_in_one_flush(tmp_path: Path, course_dir: Path):
    import_roster(course_dir, read_roster(write_csv(tmp_path / "a.csv", [HEADER, *people(1)])))
    flushes = []

    def count(session, context):
        flushes.append(len(session.new) + len(session.dirty))

    event.listen(Session, "after_flush", count)
    try:
        report = import_roster(course_dir, read_roster(write_csv(tmp_path / "b.csv", [HEADER, *people(200)])))
    finally:
        event.remove(Session, "after_flush", count)
    assert (report.added, report.unchanged) == (199, 1)
    assert flushes == [199]  # one write of every new student, not one per row
    assert len(gradebook_rows(course_dir)) == 200


def test_entries_repeating_an_id_are_refused(course_dir: Path):
    entries = [
        RosterEntry("ann", "Ann", "A", "a@example.org"),
        RosterEntry("Ann", "Ann", "B", "b@example.org"),
    ]
    with pytest.raises(ImportFailed, match="same id"):
        import_roster(course_dir, entries)
    assert gradebook_rows(course_dir) == []


def test_id_differing_only_in_case_from_a_stored_one_is_refused(course_dir: Path):
    import_roster(course_dir, [RosterEntry("ann", "Ann", "A", "a@example.org")])
    before = gradebook_rows(course_dir)
    entries = [RosterEntry("bo", "Bo", "B", "b@example.org"), RosterEntry("ANN", "Ann", "A", "a@example.org")]
    with pytest.raises(ImportFailed, match="letter case"):
        import_roster(course_dir, entries)
    assert gradebook_rows(course_dir) == before


def test_failure_midway_through_the_write_leaves_the_gradebook_unchanged(tmp_path: Path, course_dir: Path):
    stored = people(5)
    import_roster(course_dir, read_roster(write_csv(tmp_path / "a.csv", [HEADER, *stored])))
    before = gradebook_rows(course_dir)
    # The database itself refuses the 4th new student of the next import, after it has already
    # taken an update and three inserts in the same transaction.
    with sqlite3.connect(course_dir / "gradebook.db") as db:
        db.execute(
            f"CREATE TRIGGER refuse BEFORE INSERT ON student WHEN (SELECT count(*) FROM student) >= "
            f"{len(stored) + 3} BEGIN SELECT RAISE(ABORT, 'roster refused by the database'); END"
        )
    db.close()
    entries = [RosterEntry(stored[0][0], "Changed", "Name", stored[0][3])]
    entries += [RosterEntry(*row) for row in people(6, start=100)]
    with pytest.raises(ImportFailed, match="roster refused by the database"):
        import_roster(course_dir, entries)
    assert gradebook_rows(course_dir) == before


LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")  # hold the write lock, as another nbgrader command would
print("locked", flush=True)
sys.stdin.read()
db.execute("ROLLBACK")
"""


def test_gradebook_locked_by_another_process_imports_nothing(tmp_path: Path, new_gradebook: Path):
    db = tmp_path / "course" / "gradebook.db"  # the default place, named so as to set a short lock timeout
    course = make_course(tmp_path / "course", new_gradebook, db_url=f"sqlite:///{db}?timeout=0.2")
    import_roster(course, [RosterEntry(*people(1)[0])])
    before = gradebook_rows(course)
    entries = [RosterEntry(*row) for row in people(5)]
    entries[0] = RosterEntry(entries[0].id, "Changed", "Name", entries[0].email)
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert locker.stdout.readline().strip() == "locked"
        with pytest.raises(ImportFailed, match="locked"):
            import_roster(course, entries)
    finally:
        locker.communicate(timeout=10)
    assert gradebook_rows(course) == before
    report = import_roster(course, entries)
    assert (report.added, report.updated, report.unchanged) == (4, 1, 0)
