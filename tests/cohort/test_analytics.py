"""The tutors' analytics over synthetic frames; every figure is recomputed here with plain loops."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter, defaultdict
from datetime import date

import pandas as pd
import pytest

from course.cohort.analytics import (
    FLAGS,
    SCORE_COLUMNS,
    choice_split,
    clause_mastery,
    common_wrong_choices,
    compare_cohorts,
    item_statistics,
    trainee_summary,
)
from course.cohort.choices import CHOICE_COLUMNS

MODULES = ["01-first", "02-second", "03-third", "04-fourth"]
DUE = {"01-first": date(2024, 1, 10), "02-second": date(2024, 1, 20), "03-third": date(2024, 2, 1)}
TODAY = date(2024, 1, 20)  # 01 is overdue; 02 is due today (not yet overdue); 03 and 04 later


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


# --- scores and the per-trainee summary ---------------------------------------------------------


def synthetic_scores(rng: random.Random, students: list[str]) -> list[dict]:
    rows = []
    for student in students:
        if student == "s00":
            continue  # nothing submitted
        for module in MODULES:
            draw = rng.random()
            if draw < 0.25:
                continue
            max_score = float(rng.choice([10, 14, 20]))
            tampered = int(rng.random() < 0.1)
            if draw < 0.32 or (student == "s01" and module == "02-second"):
                rows.append(
                    dict(student=student, module=module, status="failed", score=math.nan, max_score=max_score)
                    | dict(scenarios=5, attempted=5, tampered=tampered, failed=1)
                    | dict(unmarked=0, unmarked_points=0.0, penalty=0.0)
                )
            else:
                # Some modules still have reflections (2 points each) waiting for the tutor.
                unmarked = rng.choice([0, 0, 1, 2])
                status = "awaiting-marking" if unmarked else "graded"
                score = float(rng.randint(0, int(max_score) - 2 * unmarked))
                rows.append(
                    dict(student=student, module=module, status=status, score=score, max_score=max_score)
                    | dict(scenarios=5, attempted=rng.randint(1, 5), tampered=tampered, failed=0)
                    | dict(unmarked=unmarked, unmarked_points=2.0 * unmarked, penalty=0.0)
                )
    return rows


def expected_summary(rows: list[dict], students: list[str], low: float) -> dict[str, dict]:
    out = {}
    for student in students:
        mine = [r for r in rows if r["student"] == student]
        done = {r["module"] for r in mine}
        graded = [r for r in mine if r["status"] in ("graded", "awaiting-marking")]
        # Of what is marked: an unmarked reflection counts neither as 0 nor as full marks.
        total_max = sum(r["max_score"] - r["unmarked_points"] for r in graded)
        overall = sum(r["score"] for r in graded) / total_max if total_max else math.nan
        fractions = {m: math.nan for m in MODULES}
        for r in graded:
            fractions[r["module"]] = r["score"] / (r["max_score"] - r["unmarked_points"])
        late = [m for m, d in DUE.items() if d < TODAY and m not in done]
        flags = {
            "not_started": not done,
            "low_score": not math.isnan(overall) and overall < low,
            "overdue": bool(late),
            "grading_failed": any(r["status"] == "failed" or r["failed"] > 0 for r in mine),
            "tampered": any(r["tampered"] > 0 for r in mine),
        }
        out[student] = {
            "modules_submitted": len(done),
            "completion": len(done) / len(MODULES),
            "fractions": fractions,
            "overall": overall,
            "unmarked": sum(r["unmarked"] for r in mine),
            "flags": flags,
            "late": late,
            "failed": [r["module"] for r in mine if r["status"] == "failed"],
            "tampered_in": [r["module"] for r in mine if r["tampered"] > 0],
        }
    return out


@pytest.mark.parametrize(("low", "grid"), [(0.6, False), (0.45, False), (0.6, True)])
def test_trainee_summary_matches_a_hand_computation(low: float, grid: bool) -> None:
    rng = random.Random(7)
    students = [f"s{i:02d}" for i in range(30)]
    rows = synthetic_scores(rng, students)
    filler = []
    if grid:  # scores.cohort_grid's form: a not-submitted row for every pair without one
        present = {(r["student"], r["module"]) for r in rows}
        for student in students:
            for module in MODULES:
                if (student, module) not in present:
                    filler.append(
                        dict(student=student, module=module, status="not-submitted", score=math.nan)
                        | dict(max_score=math.nan, scenarios=0, attempted=0, tampered=0, failed=0)
                        | dict(unmarked=0, unmarked_points=0.0, penalty=0.0)
                    )
    scores = pd.DataFrame(rows + filler, columns=SCORE_COLUMNS)

    summary = trainee_summary(scores, students, MODULES, low_score=low, due=DUE, today=TODAY)

    want = expected_summary(rows, students, low)
    assert list(summary["student"]) == students
    assert list(summary.columns[4:8]) == MODULES
    seen = Counter()
    for row in summary.to_dict("records"):
        w = want[row["student"]]
        assert row["modules_submitted"] == w["modules_submitted"]
        assert row["modules_total"] == len(MODULES)
        assert same(row["completion"], w["completion"])
        for module in MODULES:
            assert same(row[module], w["fractions"][module]), (row["student"], module)
        assert same(row["overall"], w["overall"]), row["student"]
        assert row["unmarked"] == w["unmarked"], row["student"]
        seen["provisional"] += bool(w["unmarked"] and w["flags"]["low_score"])
        if w["flags"]["low_score"]:
            assert ("provisional" in row["reasons"]) == bool(w["unmarked"]), row["reasons"]
        for flag in FLAGS:
            assert row[flag] == w["flags"][flag], (row["student"], flag)
            seen[flag] += row[flag]
        assert row["at_risk"] == any(w["flags"].values())
        assert (row["reasons"] == "") == (not row["at_risk"])
        for module in w["late"]:
            assert f"{module} (due {DUE[module].isoformat()})" in row["reasons"]
        for module in w["failed"] + w["tampered_in"]:
            assert module in row["reasons"]
        if w["flags"]["low_score"]:
            assert f"{w['overall']:.0%}" in row["reasons"]
        if w["flags"]["not_started"]:
            assert "nothing submitted" in row["reasons"]
    # The synthetic cohort exercises every flag, and not everyone is at risk.
    assert all(seen[flag] for flag in [*FLAGS, "provisional"]), seen
    assert not summary["at_risk"].all()
    assert summary.loc[summary["student"] == "s01", "02-second"].isna().all()  # failed is not 0


def test_trainee_summary_of_an_empty_cohort_flags_everyone_not_started() -> None:
    empty = pd.DataFrame(columns=SCORE_COLUMNS)
    summary = trainee_summary(empty, ["a", "b"], MODULES, due=DUE, today=TODAY)
    assert list(summary["not_started"]) == [True, True]
    assert list(summary["overdue"]) == [True, True]
    assert summary["overall"].isna().all() and (summary["completion"] == 0).all()


def test_trainee_summary_reads_boolean_tampered_and_failed_columns() -> None:
    scores = pd.DataFrame(
        [
            ["a", "01-first", "graded", 8.0, 10.0, 5, 5, True, False, 0, 0.0, 0.0],
            ["b", "01-first", "graded", 8.0, 10.0, 5, 5, False, False, 0, 0.0, 0.0],
        ],
        columns=SCORE_COLUMNS,
    )
    summary = trainee_summary(scores, ["a", "b"], ["01-first"]).set_index("student")
    assert summary.loc["a", "tampered"] and not summary.loc["b", "tampered"]
    assert not summary["grading_failed"].any()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"student": "stranger"}, "row 1 .*not in students"),
        ({"module": "99-extra"}, "row 1 .*not in modules"),
        ({"status": "ok"}, "row 1 .*status 'ok'"),
        ({"score": math.nan}, "row 1 .*score is missing"),
        ({"student": "a"}, "row 1 .*repeats row 0"),
    ],
)
def test_trainee_summary_names_the_bad_row(change: dict, message: str) -> None:
    rows = [
        ["a", "01-first", "graded", 8.0, 10.0, 5, 5, 0, 0, 0, 0.0, 0.0],
        ["b", "01-first", "graded", 6.0, 10.0, 5, 5, 0, 0, 0, 0.0, 0.0],
    ]
    scores = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    for column, value in change.items():
        scores.loc[1, column] = value
    with pytest.raises(ValueError, match=message):
        trainee_summary(scores, ["a", "b"], MODULES)


def test_trainee_summary_rejects_bad_arguments() -> None:
    scores = pd.DataFrame(columns=SCORE_COLUMNS)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['failed'\]"):
        trainee_summary(scores.drop(columns=["failed"]), ["a"], MODULES)
    with pytest.raises(ValueError, match="not in modules"):
        trainee_summary(scores, ["a"], MODULES, due={"99-extra": TODAY})
    with pytest.raises(ValueError, match=r"students lists \['a'\] more than once"):
        trainee_summary(scores, ["a", "a"], MODULES)


def test_compare_cohorts_matches_a_hand_computation() -> None:
    rng = random.Random(11)
    summaries, expected = {}, {}
    for name, size, low in (("2024-spring", 30, 0.6), ("2024-autumn", 20, 0.7)):
        students = [f"s{i:02d}" for i in range(size)]
        rows = synthetic_scores(rng, students)
        summaries[name] = trainee_summary(
            pd.DataFrame(rows, columns=SCORE_COLUMNS), students, MODULES, low_score=low, due=DUE, today=TODAY
        )
        want = expected_summary(rows, students, low)
        overall = [w["overall"] for w in want.values() if not math.isnan(w["overall"])]
        completion = [w["completion"] for w in want.values()]
        expected[name] = {
            "trainees": size,
            "mean_overall": statistics.fmean(overall),
            "median_overall": statistics.median(overall),
            "completion_rate": statistics.fmean(completion),
            "share_completed": sum(c == 1 for c in completion) / size,
            "share_at_risk": sum(any(w["flags"].values()) for w in want.values()) / size,
        }
    summaries["empty"] = summaries["2024-spring"].iloc[0:0]

    table = compare_cohorts(summaries)

    assert list(table["cohort"]) == ["2024-spring", "2024-autumn", "empty"]
    for row in table.to_dict("records")[:2]:
        for column, value in expected[row["cohort"]].items():
            assert same(row[column], value), (row["cohort"], column)
    empty = table.iloc[2]
    assert empty["trainees"] == 0 and math.isnan(empty["mean_overall"]) and math.isnan(empty["share_at_risk"])


# --- decisions: clauses, choice split, item statistics -------------------------------------------


def synthetic_choices(rng: random.Random, n_students: int = 30) -> pd.DataFrame:
    """Decisions with partial credit, several clauses each, and some left untaken."""
    clauses = ["a.one", "a.two", "b.one", "b.two", "c.one"]
    decisions = []
    for module in ("m1", "m2"):
        for scenario in ("s1", "s2"):
            for step in ("start", "then"):
                best = rng.choice([1, 2, 3])
                options = [(f"o{k}", f"act-{k}", points) for k, points in enumerate([best, 0, best // 2, 0])]
                at_stake = tuple(sorted(rng.sample(clauses, rng.randint(1, 3))))
                decisions.append((module, f"{module}-{scenario}", step, best, options, at_stake))
    rows = []
    for i in range(n_students):
        skill = rng.random()
        for module, scenario, step, best, options, at_stake in decisions:
            if rng.random() < 0.15:
                continue
            option = options[0] if rng.random() < skill else rng.choice(options[1:])
            rows.append(
                [f"t{i:02d}", module, scenario, step, option[0], option[1], option[2], best, at_stake]
            )
    # Everyone gets this one right: its discrimination is undefined.
    for i in range(n_students):
        rows.append([f"t{i:02d}", "m1", "m1-easy", "start", "o0", "act-0", 2, 2, ("c.one",)])
    # Only one trainee took this one.
    rows.append(["t00", "m2", "m2-rare", "start", "o1", "act-1", 0, 2, ("a.one",)])
    return pd.DataFrame(rows, columns=CHOICE_COLUMNS)


def records(choices: pd.DataFrame) -> list[dict]:
    return choices.to_dict("records")


@pytest.mark.parametrize("by", ["module", "student", ["student", "module"]])
def test_clause_mastery_is_the_mean_fraction_over_decisions_at_stake(by) -> None:
    choices = synthetic_choices(random.Random(3))
    keys = [by] if isinstance(by, str) else by
    fractions = defaultdict(list)
    for r in records(choices):
        for clause in r["clauses"]:
            fractions[(*(r[k] for k in keys), clause)].append(r["points"] / r["best_points"])

    table = clause_mastery(choices, by=by)

    assert list(table.columns) == [*keys, "clause", "mastery", "decisions"]
    got = {tuple(row[:-2]): (row[-2], row[-1]) for row in table.itertuples(index=False)}
    assert set(got) == set(fractions)
    for key, values in fractions.items():
        assert got[key][0] == pytest.approx(statistics.fmean(values)), key
        assert got[key][1] == len(values)


def test_choice_split_counts_and_shares_every_chosen_option() -> None:
    choices = synthetic_choices(random.Random(4))
    counts, totals, info = Counter(), Counter(), {}
    for r in records(choices):
        decision = (r["module"], r["scenario"], r["step"])
        counts[(*decision, r["option"])] += 1
        totals[decision] += 1
        info[(*decision, r["option"])] = (r["action"], r["points"], r["best_points"])

    split = choice_split(choices)

    assert len(split) == len(counts)
    for row in split.to_dict("records"):
        key = (row["module"], row["scenario"], row["step"], row["option"])
        assert row["count"] == counts[key]
        assert row["decisions"] == totals[key[:3]]
        assert row["share"] == pytest.approx(counts[key] / totals[key[:3]])
        assert (row["action"], row["points"], row["best_points"]) == info[key]
    for _, group in split.groupby(["module", "scenario", "step"]):
        assert group["share"].sum() == pytest.approx(1.0)
        assert list(group["count"]) == sorted(group["count"], reverse=True)


def test_common_wrong_choice_is_the_most_chosen_option_below_full_credit() -> None:
    choices = synthetic_choices(random.Random(5))
    counts, totals, info = defaultdict(Counter), Counter(), {}
    for r in records(choices):
        decision = (r["module"], r["scenario"], r["step"])
        totals[decision] += 1
        if r["points"] < r["best_points"]:
            counts[decision][r["option"]] += 1
            info[(*decision, r["option"])] = (r["action"], r["points"])

    table = common_wrong_choices(choices)

    got = {(r["module"], r["scenario"], r["step"]): r for r in table.to_dict("records")}
    assert set(got) == set(counts)  # the all-correct decision has no wrong choice to show
    assert ("m1", "m1-easy", "start") not in got
    for decision, options in counts.items():
        top = max(options.values())
        option = min(o for o, n in options.items() if n == top)  # ties: first option id
        row = got[decision]
        assert row["option"] == option
        assert row["count"] == top
        assert row["share"] == pytest.approx(top / totals[decision])
        assert (row["action"], row["points"]) == info[(*decision, option)]
    # Ranked by how many chose it, then by share, then by decision: never share alone.
    ranked = sorted(got, key=lambda d: (-max(counts[d].values()), -max(counts[d].values()) / totals[d], d))
    assert [tuple(r) for r in table[["module", "scenario", "step"]].itertuples(index=False)] == ranked
    clauses = {(r["module"], r["scenario"], r["step"]): r["clauses"] for r in records(choices)}
    assert all(row["clauses"] == clauses[d] for d, row in got.items())


def test_item_statistics_full_credit_share_and_rest_of_test_discrimination() -> None:
    choices = synthetic_choices(random.Random(6))
    module_total = Counter()
    for r in records(choices):
        module_total[r["student"], r["module"]] += r["points"]
    items = defaultdict(list)
    for r in records(choices):
        rest = module_total[r["student"], r["module"]] - r["points"]
        items[r["module"], r["scenario"], r["step"]].append((r["points"] / r["best_points"], rest))

    table = item_statistics(choices)

    assert len(table) == len(items)
    defined = 0
    for row in table.to_dict("records"):
        pairs = items[row["module"], row["scenario"], row["step"]]
        x, y = [p[0] for p in pairs], [p[1] for p in pairs]
        assert row["n"] == len(pairs)
        assert row["full_credit_share"] == pytest.approx(statistics.fmean(x))
        if len(pairs) >= 2 and len(set(x)) > 1 and len(set(y)) > 1:
            assert row["discrimination"] == pytest.approx(statistics.correlation(x, y))
            defined += 1
        else:
            assert math.isnan(row["discrimination"])
    by_item = table.set_index(["module", "scenario", "step"])
    assert math.isnan(by_item.loc[("m1", "m1-easy", "start"), "discrimination"])
    assert math.isnan(by_item.loc[("m2", "m2-rare", "start"), "discrimination"])
    assert defined >= 8
    # Trainees who do well elsewhere do well on these items: the mean discrimination is positive.
    assert table["discrimination"].mean() > 0


def test_empty_choices_give_empty_tables() -> None:
    empty = pd.DataFrame(columns=CHOICE_COLUMNS)
    assert clause_mastery(empty).empty
    assert choice_split(empty).empty
    assert common_wrong_choices(empty).empty
    assert item_statistics(empty).empty


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"best_points": 0}, "row 1: .*best_points > 0"),
        ({"points": 5}, "row 1: points 5 of best_points 2"),
        ({"student": "t0"}, r"rows \[0, 1\]: the same student"),
    ],
)
def test_bad_choices_rows_are_named(change: dict, message: str) -> None:
    choices = pd.DataFrame(
        [
            ["t0", "m1", "m1-s1", "start", "o0", "act-0", 2, 2, ("a.one",)],
            ["t1", "m1", "m1-s1", "start", "o1", "act-1", 0, 2, ("a.one",)],
        ],
        columns=CHOICE_COLUMNS,
    )
    for column, value in change.items():
        choices.loc[1, column] = value
    for analysis in (clause_mastery, choice_split, common_wrong_choices, item_statistics):
        with pytest.raises(ValueError, match=message):
            analysis(choices)
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['clauses'\]"):
        clause_mastery(choices.drop(columns=["clauses"]))


def test_position_effects_count_choices_by_position_against_chance():
    from course.cohort.analytics import position_effects

    base = {"module": "m", "scenario": "s", "action": "a", "best_points": 2, "clauses": ("c.x",)}
    rows = [
        # Two 3-option decisions and one 2-option decision, for three trainees.
        {**base, "student": "a", "step": "p", "option": "o1", "points": 2, "shown_at": 1, "options": 3},
        {**base, "student": "a", "step": "q", "option": "o2", "points": 0, "shown_at": 1, "options": 3},
        {**base, "student": "a", "step": "r", "option": "o1", "points": 2, "shown_at": 2, "options": 2},
        {**base, "student": "b", "step": "p", "option": "o3", "points": 0, "shown_at": 3, "options": 3},
        {**base, "student": "b", "step": "q", "option": "o1", "points": 2, "shown_at": 1, "options": 3},
        {**base, "student": "c", "step": "p", "option": "o1", "points": 2, "shown_at": None, "options": 3},
    ]
    frame = pd.DataFrame(rows).astype({"shown_at": "Int64"})
    out = position_effects(frame).set_index("position")
    assert list(out.index) == [1, 2, 3] and list(out["choices"]) == [3, 1, 1]  # c's order unknown
    assert out.loc[1, "share"] == pytest.approx(3 / 5)
    # Chance: each of the 5 known decisions spreads 1 over its options (3, 3, 2, 3, 3).
    assert out.loc[1, "chance_share"] == pytest.approx((4 / 3 + 1 / 2) / 5)
    assert out.loc[3, "chance_share"] == pytest.approx((4 / 3) / 5)
    assert out.loc[1, "full_credit_share"] == pytest.approx(2 / 3)
    assert out["chance_share"].sum() == pytest.approx(1)
    assert position_effects(frame.assign(shown_at=pd.array([None] * 6, dtype="Int64"))).empty
