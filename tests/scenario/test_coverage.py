"""`course coverage`: the clause x item matrix, failing by name when a clause is untested."""

from __future__ import annotations

from course.cli import main
from course.policy import load_policy
from course.scenario.catalog import load_course
from course.scenario.coverage import coverage_matrix, uncovered

from .test_validation import write


def test_matrix_counts_the_options_citing_each_clause(tmp_path):
    course = load_course(write(tmp_path))
    matrix = coverage_matrix(course, load_policy())
    assert list(matrix.columns) == ["demo", "check-demo"]
    assert list(matrix.index) == list(load_policy().clauses)
    # Counted independently from the fixture text: 3 options of the demo cite this clause,
    # every option of the 3-question check cites review.cycle.
    assert matrix.loc["conduct.questionable-conversations", "demo"] == 3
    assert matrix.loc["must-not.defamation", "demo"] == 1
    assert matrix.loc["review.cycle", "check-demo"] == 6
    assert matrix.loc["review.cycle", "demo"] == 0
    missing = uncovered(matrix)
    assert "intro.purpose" in missing and "review.cycle" not in missing
    assert len(missing) == len(load_policy().clauses) - 3


def test_cli_fails_naming_the_uncovered_clauses_and_writes_csv(tmp_path, capsys):
    root = write(tmp_path)
    assert main(["--scenarios", str(root), "coverage", "--csv", str(tmp_path / "m.csv")]) == 1
    captured = capsys.readouterr()
    assert "tested by no graded decision or question" in captured.err
    assert "intro.public-permanent" in captured.err
    header = (tmp_path / "m.csv").read_text().splitlines()[0]
    assert header == "clause,demo,check-demo"
