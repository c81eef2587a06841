"""Answer cues: the figures `course lint` prints and fails on, computed on small known cases and
then on the real course, where naive strategies must score well below the pass mark."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.scenario.catalog import Course, ModuleContent
from course.scenario.cues import (
    STRATEGIES,
    at_random,
    cue_findings,
    expected_points,
    longest,
    measure,
    naming_supervision_or_reporting,
    step_cues,
)
from course.scenario.schema import Module, Scenario

# An option, as (id, text, points, next).
Opt = tuple[str, str, int, str]


def scenario(steps: dict[str, list[Opt]], *, item_id: str = "demo") -> Scenario:
    first = next(iter(steps))
    return Scenario.model_validate(
        {
            "schema_version": 1,
            "kind": "knowledge-check",  # no story needed: cues look at decisions only
            "id": item_id,
            "module": "01-demo",
            "title": "Demo",
            "start": first,
            "steps": [
                {
                    "id": step_id,
                    "prompt": "What now?",
                    "points": 2,
                    "options": [
                        {
                            "id": oid,
                            "text": text,
                            "action": "withdraw",
                            "points": points,
                            "feedback": "Because.",
                            "clauses": ["conduct.questionable-conversations"],
                            "next": nxt,
                        }
                        for oid, text, points, nxt in options
                    ],
                }
                for step_id, options in steps.items()
            ],
            "endings": [{"id": "end", "title": "The end", "text": "Over."}],
        }
    )


def course_of(*items: Scenario, check: Scenario | None = None) -> Course:
    module = Module.model_validate(
        {
            "schema_version": 1,
            "id": "01-demo",
            "title": "Demo",
            "summary": "Demo.",
            "outcome": "Decline a request by the formal route.",
            "cpd_minutes": 10,
            "pass_mark": 80,
            "reading": [{"heading": "H", "clauses": ["conduct.questionable-conversations"], "text": "T."}],
            "scenarios": [i.id for i in items],
            "knowledge_check": check.id if check else "check",
        }
    )
    return Course((ModuleContent(module, Path("01-demo"), items, check),))


CUED = {
    # The right answer is the longest and the only one naming supervision: a cue on both counts.
    "first": [
        ("right", "Take it to supervision this week and decide together how to raise it.", 2, "second"),
        ("partly", "Mention it to a friend.", 1, "end"),
        ("wrong", "Leave it alone.", 0, "end"),
    ],
    "second": [
        ("right", "Raise it directly with her, in private, and report it through the Code.", 2, "end"),
        ("wrong", "Say nothing.", 0, "end"),
    ],
}


def test_a_step_whose_best_answer_is_longest_is_measured_against_chance():
    item = scenario(CUED)
    cues = step_cues("here", item.step("first"))
    assert cues.full_is_longest and cues.options == 3 and cues.full == 1
    assert cues.chance_longest == pytest.approx(1 / 3)
    others = (len("Mention it to a friend.") + len("Leave it alone.")) / 2
    assert cues.length_ratio == pytest.approx(len(item.step("first").options[0].text) / others)


def test_strategies_are_played_through_every_branch():
    item = scenario(CUED)
    # Longest: right (2) then right (2).
    assert expected_points(item, longest) == 4
    # At random: first step 1/3 each; only "right" leads on, where the mean is 1.
    assert expected_points(item, at_random) == pytest.approx((2 + 1 + 0) / 3 + (1 / 3) * (2 + 0) / 2)
    # Only the first step's right answer names supervision; the second names "report" once.
    assert expected_points(item, naming_supervision_or_reporting) == 4


def test_cues_are_lint_findings_per_decision_and_over_the_course():
    item = scenario(CUED)
    findings = cue_findings(measure(course_of(item)), {"01-demo": 80})
    text = "\n".join(f"{where}: {what}" for where, what in findings)
    assert "steps[0] (first): the full-credit option is" in text
    assert "a full-credit option is the longest in 100% of decisions" in text
    assert "'always the longest' scores 100% of the course's decision points" in text


def test_a_word_that_marks_the_wrong_answers_is_a_cue_too():
    # Eight options name the placement; none of them is full credit.
    item = scenario(
        {
            f"q{n}": [
                ("right", "Ask her in private to take it down today.", 2, f"q{n + 1}" if n < 4 else "end"),
                ("wrong", "Tell the placement manager it is fine.", 0, f"q{n + 1}" if n < 4 else "end"),
                ("other", "Ask the placement to wait and see.", 0, f"q{n + 1}" if n < 4 else "end"),
            ]
            for n in range(1, 5)
        }
    )
    findings = cue_findings(measure(course_of(item)), {"01-demo": 80})
    placement = [what for _, what in findings if "naming 'placement' is 0.00x" in what]
    assert placement and "write full-credit options that name it too" in placement[0]


def test_balanced_options_raise_no_finding():
    balanced = {
        "first": [
            ("right", "Ask her privately to take it down.", 2, "end"),
            ("wrong", "Ask the whole group to take it down now.", 0, "end"),
            ("other", "Wait for supervision next month.", 0, "end"),
        ],
    }
    item = scenario(balanced)
    assert step_cues("x", item.step("first")).length_ratio == pytest.approx(34 / ((40 + 32) / 2))
    assert cue_findings(measure(course_of(item)), {"01-demo": 80}) == []


def test_a_naive_strategy_that_passes_a_knowledge_check_is_a_finding():
    check = scenario(CUED, item_id="check")
    findings = cue_findings(measure(course_of(scenario(CUED), check=check)), {"01-demo": 80})
    assert any(where == "01-demo: knowledge check" and "enough to pass" in what for where, what in findings)


# -- the real course ---------------------------------------------------------------------------
def test_naive_strategies_score_well_below_the_pass_mark_on_the_real_course(course):
    report = measure(course)
    lowest_pass_mark = min(c.module.pass_mark for c in course.modules) / 100
    for name, score in report.strategy_scores.items():
        assert score < lowest_pass_mark - 0.2, (name, score)
        assert score <= report.chance_score + 0.15, (name, score, report.chance_score)
    for content in course.modules:
        for name in STRATEGIES:
            score = report.check_scores[content.module.id][name]
            assert score * 100 < content.module.pass_mark, (content.module.id, name, score)


def test_the_real_course_has_no_answer_cue(course):
    report = measure(course)
    assert cue_findings(report, {c.module.id: c.module.pass_mark for c in course.modules}) == []
    assert report.longest_share <= report.chance_longest + 0.10


def test_the_readme_shows_the_figures_lint_computes(course):
    """The README's cue table (its "Now" and "Chance" columns) is what `course lint` measures."""
    from course.paths import REPO

    report = measure(course)
    check = max(scores[name] for scores in report.check_scores.values() for name in STRATEGIES)
    rows = {
        "Full-credit option is the longest": (
            f"{report.longest_share:.1%} of {len(report.steps)} decisions",
            f"{report.chance_longest:.1%}",
        ),
        "Full-credit length / the others' mean": (f"{sum(report.ratios) / len(report.ratios):.2f}", "1.00"),
        "An option naming supervision is likelier full credit": (
            f"{report.keyword_lift['supervision'][1]:.2f}x",
            "1.00x",
        ),
        "An option naming reporting is likelier full credit": (
            f"{report.keyword_lift['reporting'][1]:.2f}x",
            "1.00x",
        ),
        '"Always the longest" scores': (
            f"{report.strategy_scores['always the longest']:.1%}",
            f"{report.chance_score:.1%} (at random)",
        ),
        '"Always the one naming supervision or reporting" scores': (
            f"{report.strategy_scores['always the one naming supervision or reporting']:.1%}",
            f"{report.chance_score:.1%}",
        ),
        "Best knowledge-check score of any naive strategy": (f"{check:.1%}", ""),
    }
    table = {}
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in rows:
            table[cells[0]] = (cells[2], cells[3])
    assert table == rows
