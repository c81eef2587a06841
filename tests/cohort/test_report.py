"""Every figure the tutors' report gives for the synthetic cohort, computed again here from what
the trainees did (their answers and the scenario model), independently of the analytics code."""

from __future__ import annotations

import csv
import math
import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta

import pandas as pd
import pytest

from course.cohort.report import TABLES, cohort_report
from course.policy import load_policy
from course.scenario.validate import max_points

from ..play.test_progress_and_certificate import revised
from .conftest import FAILING, MODULE, NEVER_SUBMIT, NEW_VERSION, OLD_VERSION, TAMPERED, cohort_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(synthetic_cohort):
    return cohort_report(synthetic_cohort.root)


@pytest.fixture(scope="module")
def decisions(synthetic_cohort, course) -> list[dict]:
    """Each decision a trainee submitted: what it earned, its best, the clauses at stake."""
    items = {item.id: item for item in course.module(MODULE).items}
    rows = []
    for (trainee, scenario), choices in synthetic_cohort.answered.items():
        steps = {step.id: step for step in items[scenario].steps}
        for choice in choices:
            step = steps[choice["step"]]
            option = next(o for o in step.options if o.id == choice["option"])
            rows.append(
                {
                    "student": trainee,
                    "scenario": scenario,
                    "step": step.id,
                    "option": option.id,
                    "points": option.points,
                    "best": max(o.points for o in step.options),
                    "clauses": {c for o in step.options for c in o.clauses},
                }
            )
    return rows


def marked_maximum(cohort, course) -> dict[str, int]:
    """Each submitter's maximum of what is marked so far: the module's maximum less the points of
    the reflections they wrote, which await the tutor's mark (neither 0 nor full marks yet)."""
    _, maximum = module_points(cohort, course)
    items = {item.id: item for item in course.module(MODULE).items}
    waiting = {trainee: 0 for trainee in cohort.submitters}
    for trainee, scenario in cohort.answered:
        reflection = items[scenario].reflection
        waiting[trainee] += reflection.points if reflection else 0
    return {trainee: maximum - points for trainee, points in waiting.items()}


def module_points(cohort, course) -> tuple[dict[str, int], int]:
    """Each submitter's autograded points and the module's maximum (reflections included, graded
    by hand later, so 0 for now)."""
    content = course.module(MODULE)
    points = {trainee: 0 for trainee in cohort.submitters}
    items = {item.id: item for item in content.items}
    for (trainee, scenario), choices in cohort.answered.items():
        steps = {step.id: step for step in items[scenario].steps}
        for choice in choices:
            points[trainee] += next(
                o.points for o in steps[choice["step"]].options if o.id == choice["option"]
            )
    maximum = sum(
        max_points(item) + (item.reflection.points if item.reflection else 0) for item in content.items
    )
    return points, maximum


def test_per_trainee_completion_score_and_at_risk_flags(synthetic_cohort, course, report):
    cohort = synthetic_cohort
    points, _ = module_points(cohort, course)
    marked = marked_maximum(cohort, course)
    summary = report.summary.set_index("student")
    assert set(summary.index) == {t["id"] for t in cohort.roster}
    at_risk = set()
    for trainee in summary.index:
        row = summary.loc[trainee]
        submitted = trainee not in NEVER_SUBMIT
        assert row["completion"] == (1.0 if submitted else 0.0)
        # Provisional: of what is marked so far (no reflection is marked in this cohort).
        expected = points[trainee] / marked[trainee] if submitted and trainee != FAILING else math.nan
        assert row[MODULE] == pytest.approx(expected, nan_ok=True), trainee
        assert row["overall"] == pytest.approx(expected, nan_ok=True), trainee
        flags = {
            "not_started": not submitted,
            "low_score": not math.isnan(expected) and expected < 0.6,
            "overdue": not submitted,  # the module was due a week ago
            "grading_failed": trainee == FAILING,
            "tampered": trainee == TAMPERED,
        }
        assert {flag: bool(row[flag]) for flag in flags} == flags, trainee
        assert bool(row["at_risk"]) == any(flags.values())
        if any(flags.values()):
            # Most flags first, then the lowest overall score (nothing graded lowest), then id.
            at_risk.add((-sum(flags.values()), -1.0 if math.isnan(expected) else expected, trainee))
            assert row["reasons"]
    assert 0 < len(at_risk) < len(summary)  # the cohort is varied: some at risk, some not
    # Printed by name, the trainees most in need of attention first.
    names = {t["id"]: f"{t['first_name']} {t['last_name']}" for t in cohort.roster}
    lines = [line for line in cohort.outputs["report"][1].splitlines() if "at risk: " in line]
    printed = [line.split("at risk: ")[1].split(":")[0] for line in lines]
    assert printed == [f"{trainee} ({names[trainee]})" for *_, trainee in sorted(at_risk)]


def test_clause_mastery_per_module(report, decisions):
    fractions = defaultdict(list)
    for d in decisions:
        for clause in d["clauses"]:
            fractions[clause].append(d["points"] / d["best"])
    mastery = report.mastery.set_index("clause")
    assert set(mastery["module"]) == {MODULE}
    assert set(mastery.index) == set(fractions)
    for clause, values in fractions.items():
        assert mastery.loc[clause, "mastery"] == pytest.approx(statistics.mean(values)), clause
        assert mastery.loc[clause, "decisions"] == len(values)


def test_choice_split_and_the_most_common_wrong_choice(report, decisions):
    counts = Counter((d["scenario"], d["step"], d["option"]) for d in decisions)
    taken = Counter((d["scenario"], d["step"]) for d in decisions)
    split = report.split
    assert len(split) == len(counts)
    for row in split.itertuples(index=False):
        assert row.count == counts[(row.scenario, row.step, row.option)]
        assert row.decisions == taken[(row.scenario, row.step)]
        assert row.share == pytest.approx(row.count / row.decisions)

    earned = {(d["scenario"], d["step"], d["option"]): (d["points"], d["best"]) for d in decisions}
    expected = {}
    for (scenario, step), _ in taken.items():
        wrong = [
            (-n, option)
            for (s, st, option), n in counts.items()
            if (s, st) == (scenario, step) and earned[(s, st, option)][0] < earned[(s, st, option)][1]
        ]
        if wrong:
            expected[(scenario, step)] = min(wrong)[1]
    got = {(row.scenario, row.step): row.option for row in report.wrong.itertuples(index=False)}
    assert got == expected
    assert expected  # some decisions were got wrong


def test_item_difficulty_and_discrimination(report, decisions):
    totals = Counter()
    for d in decisions:
        totals[d["student"]] += d["points"]
    by_item = defaultdict(list)
    for d in decisions:
        by_item[(d["scenario"], d["step"])].append(
            (d["points"] / d["best"], totals[d["student"]] - d["points"])
        )
    items = report.items.set_index(["scenario", "step"])
    assert set(items.index) == set(by_item)
    defined = 0
    for key, pairs in by_item.items():
        fraction, rest = zip(*pairs, strict=True)
        assert items.loc[key, "n"] == len(pairs)
        assert items.loc[key, "full_credit_share"] == pytest.approx(statistics.mean(fraction))
        if len(pairs) > 1 and len(set(fraction)) > 1 and len(set(rest)) > 1:
            expected = statistics.correlation(fraction, rest)
            defined += 1
        else:
            expected = math.nan
        assert items.loc[key, "discrimination"] == pytest.approx(expected, nan_ok=True), key
    assert defined  # not all NaN


def test_the_tampered_answers_file_is_listed_with_its_reason(report, course):
    (row,) = report.invalid.itertuples(index=False)
    assert (row.student, row.scenario) == (TAMPERED, course.module(MODULE).items[0].id)
    assert "JSON" in row.reason


def read_csv(path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_lms_gradebooks_show_scores_failed_and_blank_and_neutralise_formulas(synthetic_cohort, course):
    cohort = synthetic_cohort
    points, maximum = module_points(cohort, course)
    marked = marked_maximum(cohort, course)

    def expected_cell(trainee: str) -> str:
        if trainee in NEVER_SUBMIT:
            return ""
        if trainee == FAILING:
            return "failed"
        # A provisional score (reflections awaiting marking) is never passed on as a grade.
        return "" if marked[trainee] < maximum else str(points[trainee])

    moodle = read_csv(cohort.root / "exports" / "gradebook-moodle.csv")
    header, rows = moodle[0], moodle[1:]
    assert header[-2:] == [f"Keeping up to date (out of {maximum})", f"Total (out of {maximum})"]
    by_id = {row[header.index("ID number")]: row for row in rows}
    assert set(by_id) == {t["id"] for t in cohort.roster}
    for trainee, row in by_id.items():
        assert row[-2] == row[-1] == expected_cell(trainee), trainee
    assert by_id["t02"][header.index("Last name")] == "'=SUM(1+1)"  # not a formula
    assert by_id["t04"][header.index("Last name")] == "Smith, Jr"  # quoted, not split

    canvas = read_csv(cohort.root / "exports" / "gradebook-canvas.csv")
    assert canvas[1][0] == "Points Possible" and canvas[1][5] == str(maximum)
    for row in canvas[2:]:
        assert row[5] == expected_cell(row[2]), row


def test_grades_csv_keeps_nbgraders_columns_and_marks_failed_not_zero(synthetic_cohort, course):
    cohort = synthetic_cohort
    points, maximum = module_points(cohort, course)
    marked = marked_maximum(cohort, course)
    rows = read_csv(cohort.root / "exports" / "grades.csv")
    header = rows[0]
    assert header[:11] == [
        "assignment",
        "duedate",
        "timestamp",
        "student_id",
        "last_name",
        "first_name",
        "email",
        "raw_score",
        "late_submission_penalty",
        "score",
        "max_score",
    ]
    table = {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(table) == {t["id"] for t in cohort.roster}
    for trainee, row in table.items():
        assert float(row["max_score"]) == maximum
        if trainee in NEVER_SUBMIT:
            assert (row["status"], float(row["score"])) == ("not-submitted", 0.0)
        elif trainee == FAILING:
            assert (row["status"], row["score"], row["raw_score"]) == ("failed", "failed", "failed")
        else:
            status = "awaiting-marking" if marked[trainee] < maximum else "graded"
            assert (row["status"], float(row["score"])) == (status, points[trainee]), trainee
    assert table["t02"]["last_name"] == "'=SUM(1+1)"


def test_report_tables_are_written_as_csv(synthetic_cohort, report):
    folder = synthetic_cohort.root / "exports" / "report"
    for table in TABLES:
        frame = pd.read_csv(folder / f"{table}.csv", encoding="utf-8-sig", keep_default_na=False)
        assert len(frame) == len(getattr(report, table)), table


def report_csv(cohort, table: str) -> list[dict[str, str]]:
    with (cohort.root / "exports" / "report" / f"{table}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_report_csvs_give_names_words_and_whole_percentages(synthetic_cohort, course, decisions):
    """What `course cohort report` wrote, read as a tutor reads it: each trainee's name beside the
    id, the course's words beside each id, shares as whole percentages (round(100 x share))."""
    cohort, content, plain = synthetic_cohort, course.module(MODULE), load_policy().clauses
    names = {t["id"]: f"{t['first_name']} {t['last_name']}" for t in cohort.roster}
    points, _ = module_points(cohort, course)
    marked = marked_maximum(cohort, course)  # percentages of what is marked so far
    summary = report_csv(cohort, "summary")
    assert sorted(r["student"] for r in summary) == sorted(names)
    for row in summary:
        trainee = row["student"]
        assert row["name"] == names[trainee]  # the roster's name, as typed
        graded = trainee not in NEVER_SUBMIT and trainee != FAILING
        expected = str(round(100 * points[trainee] / marked[trainee])) if graded else ""
        assert row["overall_percent"] == row[f"{MODULE}_percent"] == expected, trainee
        assert row["completion_percent"] == ("0" if trainee in NEVER_SUBMIT else "100")
    assert "overall" not in summary[0] and "difficulty" not in report_csv(cohort, "items")[0]

    # Clause mastery in the policy's plain words.
    fractions = defaultdict(list)
    for d in decisions:
        for clause in d["clauses"]:
            fractions[clause].append(d["points"] / d["best"])
    for row in report_csv(cohort, "mastery"):
        values = fractions[row["clause"]]
        assert row["clause_text"] == plain[row["clause"]].plain
        assert row["mastery_percent"] == str(round(100 * sum(values) / len(values)))

    # Items: the share of full credit (high = easy), named for what it is.
    by_item = defaultdict(list)
    for d in decisions:
        by_item[(d["scenario"], d["step"])].append(d["points"] / d["best"])
    steps = {(i.id, s.id): s for i in content.items for s in i.steps}
    for row in report_csv(cohort, "items"):
        values = by_item[(row["scenario"], row["step"])]
        assert row["full_credit_percent"] == str(round(100 * sum(values) / len(values)))
        assert row["question"] == steps[row["scenario"], row["step"]].prompt

    # Wrong choices: the option and the better one in words, the clauses at stake, most chosen first.
    counts = Counter((d["scenario"], d["step"], d["option"]) for d in decisions)
    taken = Counter((d["scenario"], d["step"]) for d in decisions)
    wrong = report_csv(cohort, "wrong")
    assert wrong
    for row in wrong:
        step = steps[row["scenario"], row["step"]]
        options = {o.id: o for o in step.options}
        best = max(o.points for o in step.options)
        total = taken[row["scenario"], row["step"]]
        count = counts[row["scenario"], row["step"], row["option"]]
        assert (row["count"], row["share_percent"]) == (str(count), str(round(100 * count / total)))
        assert row["option_text"] == options[row["option"]].text
        assert options[row["better_option"]].points == best
        assert row["better_option_text"] == options[row["better_option"]].text
        at_stake = sorted({c for o in step.options for c in o.clauses})
        assert row["clauses"] == ", ".join(at_stake)
        assert row["clause_text"] == " | ".join(plain[c].plain for c in at_stake)
        title = next(i.title for i in content.items if i.id == row["scenario"])
        assert row["scenario_title"] == title
    ranks = [(-int(r["count"]), -int(r["count"]) / taken[r["scenario"], r["step"]]) for r in wrong]
    assert ranks == sorted(ranks)

    # Every share in every table: a whole percentage, never a long fraction.
    for table in TABLES:
        for row in report_csv(cohort, table):
            for column, value in row.items():
                if column.endswith("_percent") and value:
                    assert value.isdigit() and 0 <= int(value) <= 100, (table, column, value)


def test_review_lists_completions_under_a_since_revised_clause(synthetic_cohort, course):
    cohort = synthetic_cohort
    content = course.module(MODULE)
    clause = sorted({c for item in content.items for s in item.steps for o in s.options for c in o.clauses})[
        0
    ]
    policy = revised(load_policy(), clause, NEW_VERSION)
    review = cohort_report(cohort.root, policy=policy).review
    expected = sorted(t for t in cohort.submitters if cohort.versions[t] == OLD_VERSION)
    assert list(review["student"]) == expected
    assert set(review["revised_clauses"]) == {clause}
    assert set(review["module"]) == {MODULE} and not review["expired"].any()
    assert all(clause in reason and OLD_VERSION in reason for reason in review["reason"])
    assert cohort_report(cohort.root).review.empty  # the current policy: nothing revised


def test_review_lists_completions_older_than_the_review_period(synthetic_cohort):
    cohort = synthetic_cohort
    period = load_policy().review_every_months
    later = date.today() + timedelta(days=31 * period + 1)
    review = cohort_report(cohort.root, today=later).review
    assert list(review["student"]) == sorted(cohort.submitters)
    assert review["expired"].all()
    assert all(f"more than {period} months ago" in reason for reason in review["reason"])
    just_inside = date.today() + timedelta(days=28 * period - 31)
    assert cohort_report(cohort.root, today=just_inside).review.empty


def test_each_trainees_knowledge_check_against_the_modules_pass_mark(synthetic_cohort, course, report):
    cohort, content = synthetic_cohort, course.module(MODULE)
    check = content.check
    steps = {s.id: s for s in check.steps}
    passes = report.passes.set_index("student")
    assert set(passes.index) == {t["id"] for t in cohort.roster}
    outcomes = set()
    for trainee in passes.index:
        row = passes.loc[trainee]
        assert (row["module"], row["check"], row["pass_mark"]) == (MODULE, check.id, content.module.pass_mark)
        if trainee in NEVER_SUBMIT or trainee == FAILING:  # nothing graded: neither passed nor failed
            assert pd.isna(row["passed"]), trainee
            continue
        choices = cohort.answered.get((trainee, check.id), [])  # left out or tampered: 0
        points = sum(next(o.points for o in steps[c["step"]].options if o.id == c["option"]) for c in choices)
        assert (row["check_score"], row["check_max"]) == (points, max_points(check)), trainee
        passed = 100 * points / max_points(check) >= content.module.pass_mark
        assert bool(row["passed"]) == passed, trainee
        outcomes.add(passed)
    assert outcomes == {True, False}  # the cohort is varied: some pass, some do not


def test_review_names_each_trainee_due_a_retake(synthetic_cohort):
    """Past the policy's review period every submission is due again: each submitter listed by
    id and name (the roster's), nobody who never submitted."""
    cohort = synthetic_cohort
    status, output = cohort_cli(cohort.root, "review", "--today", "2031-01-01")
    assert status == 0, output
    names = {t["id"]: f"{t['first_name']} {t['last_name']}" for t in cohort.roster}
    listed = [line for line in output.splitlines() if "must retake" in line]
    assert sorted(listed) == sorted(
        f"{trainee} ({names[trainee]}) must retake 1 module(s):" for trainee in cohort.submitters
    )
    # The failed grading's trainee (no score at all) is listed too: submitted is completed.
    assert FAILING in cohort.submitters
    assert "completed on the day it was submitted, whatever its score" in output
