"""The course itself: every part of the policy, in order, taught and assessed (issue 3)."""

from __future__ import annotations

from course.cli import main
from course.policy import load_policy

REVIEW_MODULE = "09-keeping-up-to-date"


def test_one_module_per_part_of_the_policy_in_its_order_and_applied_modules_between(course):
    """Each part of the policy has its module, in the policy's order, whose reading quotes all of
    it; the other modules apply clauses from several parts to situations of today."""
    policy = load_policy()
    own = {c.id: s.id for s in policy.sections for c in s.clauses}
    taught = []
    for content in course.modules:
        cited = {c for part in content.module.reading for c in part.clauses}
        whole = [s.id for s in policy.sections if {c.id for c in s.clauses} <= cited]
        if whole:
            taught += whole
        else:
            assert len({own[c] for c in cited}) >= 2, f"{content.module.id} applies a single part"
    assert taught == [s.id for s in policy.sections]
    assert course.modules[-1].module.id == REVIEW_MODULE  # keeping up to date comes last


def test_at_least_45_scenarios_and_4_per_module_but_the_review_cycle(course):
    assert len(course.scenarios) >= 45
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


def fewest_decisions(scn, node: str) -> int:
    """The fewest decisions from ``node`` to an ending, whatever is chosen."""
    step = next((s for s in scn.steps if s.id == node), None)
    return 0 if step is None else 1 + min(fewest_decisions(scn, o.next) for o in step.options)


def test_every_path_through_every_scenario_has_at_least_two_decisions(course):
    """As the README says: no scenario ends after a single decision, whatever the trainee chose."""
    for scn in course.scenarios:
        assert fewest_decisions(scn, scn.start) >= 2, scn.id
