"""module_scores and cohort_grid against figures computed here with plain loops over the rows."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from course.cohort.scores import NOT_SUBMITTED, SCORE_COLUMNS, cohort_grid, module_scores

RESULT_COLUMNS = ["student", "module", "scenario", "status", "score", "max_score", "reasons"]

# (student, module, scenario, status, score, max_score). Failed rows have no score and, as nbgrader
# leaves them, usually no maximum. m2/b2 fails for everyone, so its maximum is known from no row.
ROWS = [
    ("ann", "m1", "a1", "graded", 4.0, 5.0),
    ("ann", "m1", "a2", "graded", 2.5, 3.0),
    ("ann", "m2", "b1", "tampered", 0.0, 6.0),
    ("ann", "m2", "b2", "failed", None, None),
    ("bob", "m1", "a1", "not-started", 0.0, 5.0),
    ("bob", "m1", "a2", "not-started", 0.0, 3.0),
    ("cat", "m1", "a1", "failed", None, None),
    ("cat", "m1", "a2", "graded", 3.0, 3.0),
    ("cat", "m3", "c1", "graded", 7.0, 7.0),
    ("dan", "m3", "c1", "tampered", 0.0, 7.0),
    ("dan", "m1", "a1", "graded", 5.0, 5.0),
    ("dan", "m1", "a2", "tampered", 0.0, 3.0),
]


def results_frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame([[*row, ""] for row in rows], columns=RESULT_COLUMNS)


def expected_scores(rows=ROWS) -> dict[tuple[str, str], dict]:
    """What each (student, module) should get, by the rules, computed row by row."""
    scenario_max: dict[tuple[str, str], float] = {}
    for _student, module, scenario, _status, _score, maximum in rows:
        if maximum is not None:
            scenario_max.setdefault((module, scenario), maximum)
    out: dict[tuple[str, str], dict] = {}
    for student, module, scenario, status, score, maximum in rows:
        entry = out.setdefault(
            (student, module),
            {"score": 0.0, "max_score": 0.0, "scenarios": 0, "attempted": 0, "tampered": 0, "failed": 0},
        )
        entry["scenarios"] += 1
        entry["attempted"] += status != "not-started"
        entry["tampered"] += status == "tampered"
        entry["failed"] += status == "failed"
        entry["score"] += score if score is not None else 0.0
        known = maximum if maximum is not None else scenario_max.get((module, scenario), math.nan)
        entry["max_score"] += known
    for entry in out.values():
        entry["status"] = "failed" if entry["failed"] else "graded"
        if entry["failed"]:
            entry["score"] = math.nan
    return out


def same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


def test_one_row_per_student_module_with_exactly_the_documented_columns():
    scores = module_scores(results_frame())
    assert list(scores.columns) == [
        "student",
        "module",
        "status",
        "score",
        "max_score",
        "scenarios",
        "attempted",
        "tampered",
        "failed",
        "unmarked",
        "unmarked_points",
        "penalty",
    ]
    assert list(scores.columns) == SCORE_COLUMNS
    expected = expected_scores()
    assert sorted(zip(scores["student"], scores["module"], strict=True)) == sorted(expected)
    assert not scores.duplicated(["student", "module"]).any()


def test_every_figure_matches_the_rules():
    expected = expected_scores()
    for row in module_scores(results_frame()).to_dict("records"):
        want = expected[(row["student"], row["module"])]
        for column in ["status", "score", "max_score", "scenarios", "attempted", "tampered", "failed"]:
            assert same(row[column], want[column]), (row["student"], row["module"], column, row[column])


def test_a_failed_module_has_no_score_not_zero_and_keeps_its_maximum():
    scores = module_scores(results_frame()).set_index(["student", "module"])
    cat = scores.loc[("cat", "m1")]
    assert cat["status"] == "failed"
    assert math.isnan(cat["score"])
    # a1's maximum comes from another trainee's row (ann's 5.0) plus a2's own 3.0.
    assert cat["max_score"] == 5.0 + 3.0
    # b2 failed for everyone: no row knows its maximum, so neither does the module.
    assert math.isnan(scores.loc[("ann", "m2"), "max_score"])


def test_not_started_and_tampered_modules_are_graded_with_their_zeros():
    scores = module_scores(results_frame()).set_index(["student", "module"])
    bob = scores.loc[("bob", "m1")]
    assert (bob["status"], bob["score"], bob["attempted"]) == ("graded", 0.0, 0)
    dan = scores.loc[("dan", "m1")]
    assert (dan["status"], dan["score"], dan["tampered"], dan["attempted"]) == ("graded", 5.0, 1, 2)


def test_a_module_with_a_reflection_awaiting_marking_is_never_called_graded():
    # (student, module, scenario, status, score, max_score, unmarked, unmarked_points)
    rows = [
        ("ann", "m1", "a1", "awaiting-marking", 3.0, 5.0, 1, 2.0),
        ("ann", "m1", "a2", "graded", 2.0, 3.0, 0, 0.0),
        ("bob", "m1", "a1", "awaiting-marking", 1.0, 5.0, 1, 2.0),
        ("bob", "m1", "a2", "awaiting-marking", 0.0, 3.0, 2, 3.0),
        ("cat", "m1", "a1", "awaiting-marking", 3.0, 5.0, 1, 2.0),
        ("cat", "m1", "a2", "failed", None, None, 0, 0.0),
        ("dan", "m1", "a1", "graded", 5.0, 5.0, 0, 0.0),
        ("dan", "m1", "a2", "graded", 3.0, 3.0, 0, 0.0),
    ]
    columns = [*RESULT_COLUMNS[:-1], "unmarked", "unmarked_points"]
    scores = module_scores(pd.DataFrame(rows, columns=columns)).set_index("student")
    for student in ("ann", "bob", "cat", "dan"):
        mine = [r for r in rows if r[0] == student]
        statuses = {r[3] for r in mine}
        want = next(s for s in ("failed", "awaiting-marking", "graded") if s in statuses | {"graded"})
        assert scores.loc[student, "status"] == want, student
        assert scores.loc[student, "unmarked"] == sum(r[6] for r in mine)
        assert scores.loc[student, "unmarked_points"] == sum(r[7] for r in mine)
        if want != "failed":
            assert scores.loc[student, "score"] == sum(r[4] for r in mine)  # provisional, not changed
    grid = cohort_grid(scores.reset_index(), ["ann", "eve"], ["m1"]).set_index("student")
    assert (grid.loc["eve", "unmarked"], grid.loc["eve", "unmarked_points"]) == (0, 0.0)


def test_counts_are_integers_and_scores_floats():
    scores = module_scores(results_frame())
    for column in ["scenarios", "attempted", "tampered", "failed"]:
        assert pd.api.types.is_integer_dtype(scores[column]), column
    assert pd.api.types.is_float_dtype(scores["score"])
    assert pd.api.types.is_float_dtype(scores["max_score"])


def test_empty_results_give_an_empty_frame_with_the_columns():
    scores = module_scores(pd.DataFrame(columns=RESULT_COLUMNS))
    assert scores.empty
    assert list(scores.columns) == SCORE_COLUMNS


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (("eve", "m1", "a1", "graded", None, 5.0), ["row 12", "eve", "m1", "a1", "no score"]),
        (("eve", "m1", "a1", "passed", 1.0, 5.0), ["row 12", "eve", "'passed'", "graded"]),
    ],
)
def test_bad_rows_are_named(row, words):
    with pytest.raises(ValueError) as error:
        module_scores(results_frame([*ROWS, row]))
    for word in words:
        assert word in str(error.value)


def test_a_missing_column_is_named():
    with pytest.raises(ValueError, match="max_score"):
        module_scores(results_frame().drop(columns=["max_score"]))


STUDENTS = ["dan", "ann", "bob", "cat", "fay"]  # fay submitted nothing
MODULES = ["m3", "m1", "m2"]


def test_grid_has_every_student_by_module_in_the_given_order():
    grid = cohort_grid(module_scores(results_frame()), STUDENTS, MODULES)
    assert list(grid.columns) == SCORE_COLUMNS
    assert list(zip(grid["student"], grid["module"], strict=True)) == [
        (s, m) for s in STUDENTS for m in MODULES
    ]


def test_grid_keeps_submitted_rows_and_marks_the_rest_not_submitted():
    expected = expected_scores()
    module_max: dict[str, float] = {}
    for (_student, module), entry in expected.items():
        if not math.isnan(entry["max_score"]):
            module_max.setdefault(module, entry["max_score"])
    grid = cohort_grid(module_scores(results_frame()), STUDENTS, MODULES)
    for row in grid.to_dict("records"):
        want = expected.get((row["student"], row["module"]))
        if want is None:
            assert row["status"] == NOT_SUBMITTED
            assert math.isnan(row["score"])
            assert same(row["max_score"], module_max.get(row["module"], math.nan)), row
            assert (row["scenarios"], row["attempted"], row["tampered"], row["failed"]) == (0, 0, 0, 0)
        else:
            for column in ["status", "score", "max_score", "scenarios", "attempted", "tampered", "failed"]:
                assert same(row[column], want[column]), (row, column)


def test_grid_max_for_a_module_nobody_submitted_is_unknown():
    grid = cohort_grid(module_scores(results_frame()), ["ann"], ["m1", "m9"])
    m9 = grid[grid["module"] == "m9"].iloc[0]
    assert m9["status"] == NOT_SUBMITTED
    assert math.isnan(m9["max_score"])


def test_grid_leaves_out_students_and_modules_not_asked_for():
    grid = cohort_grid(module_scores(results_frame()), ["ann"], ["m1"])
    assert grid[["student", "module"]].values.tolist() == [["ann", "m1"]]


def test_grid_refuses_duplicates():
    scores = module_scores(results_frame())
    with pytest.raises(ValueError, match="ann"):
        cohort_grid(scores, ["ann", "bob", "ann"], MODULES)
    with pytest.raises(ValueError, match="ann/m1"):
        cohort_grid(pd.concat([scores, scores.head(1)]), STUDENTS, MODULES)
