"""The course itself: every part of the policy, in order, taught and assessed (issue 3)."""

from __future__ import annotations

from course.cli import main
from course.policy import load_policy

REVIEW_MODULE = "07-keeping-up-to-date"


def test_one_module_per_part_of_the_policy_in_its_order(course):
    sections = [s.id for s in load_policy().sections]
    assert len(course.modules) == len(sections) == 7
    for content, section in zip(course.modules, sections, strict=True):
        cited = {c for part in content.module.reading for c in part.clauses}
        own = {c.id for c in load_policy().sections[sections.index(section)].clauses}
        assert own <= cited, f"{content.module.id}'s reading does not quote {sorted(own - cited)}"


def test_at_least_30_scenarios_and_4_per_module_but_the_review_cycle(course):
    assert len(course.scenarios) >= 30
    for content in course.modules:
        minimum = 3 if content.module.id == REVIEW_MODULE else 4
        assert len(content.scenarios) >= minimum, content.module.id


def test_at_least_a_third_of_scenarios_branch(course):
    branching = [s for s in course.scenarios if len(s.steps) >= 2]
    assert 3 * len(branching) >= len(course.scenarios)


def test_every_module_closes_with_a_graded_check_and_states_cpd_minutes(course):
    for content in course.modules:
        assert content.check is not None and len(content.check.steps) >= 3
        assert content.module.cpd_minutes > 0
        assert content.items[-1] is content.check


def test_every_clause_is_tested_by_a_graded_decision_or_question(capsys):
    assert main(["coverage"]) == 0, capsys.readouterr().err


def test_content_lint_is_clean(capsys):
    assert main(["lint"]) == 0, capsys.readouterr().err
