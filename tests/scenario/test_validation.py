"""Authors get errors they can act on: file, field path, line and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from course.cli import main
from course.scenario.catalog import load_course
from course.scenario.errors import ScenarioError
from course.scenario.validate import max_points

MODULE = """\
schema_version: 1
id: 01-demo
title: Demo
summary: A module for tests.
outcome: Decline a request by the formal route.
cpd_minutes: 10
pass_mark: 80
reading:
  - heading: Withdraw, seek supervision or confront
    clauses: [conduct.questionable-conversations]
    text: What the clause asks, in plain words.
scenarios: [demo]
knowledge_check: check-demo
"""

CHECK = (
    """\
schema_version: 1
kind: knowledge-check
id: check-demo
module: 01-demo
title: Check
start: q1
steps:
"""
    + "".join(
        f"""\
  - id: q{n}
    prompt: Question {n}?
    points: 1
    options:
      - id: right
        text: Right.
        action: withdraw
        points: 1
        feedback: Yes.
        clauses: [review.cycle]
        next: {f"q{n + 1}" if n < 3 else "done"}
      - id: wrong
        text: Wrong.
        action: ignore
        points: 0
        feedback: No.
        clauses: [review.cycle]
        next: {f"q{n + 1}" if n < 3 else "done"}
"""
        for n in (1, 2, 3)
    )
    + """\
endings:
  - id: done
    title: Done
    text: All answered.
"""
)

SCENARIO = """\
schema_version: 1
id: demo
module: 01-demo
title: A demo
platform: facebook
situation:
  narrative: Something happens online.
  artefact:
    kind: post
    author: Sam Lee
    body: A post.
start: first
steps:
  - id: first
    prompt: What do you do?
    points: 2
    options:
      - id: right
        text: The right thing.
        action: withdraw
        points: 2
        feedback: Good, because the policy says so.
        clauses: [conduct.questionable-conversations]
        consequence: It goes well.
        next: second
      - id: wrong
        text: The wrong thing.
        action: reply-publicly
        points: 0
        feedback: Not good.
        clauses: [must-not.defamation]
        consequence: It goes badly.
        next: bad-end
  - id: second
    prompt: And then?
    points: 1
    options:
      - id: follow-up
        text: Follow up.
        action: seek-supervision
        points: 1
        feedback: Yes.
        clauses: [conduct.questionable-conversations]
        consequence: Supervision helps.
        next: good-end
      - id: drop-it
        text: Drop it.
        action: ignore
        points: 0
        feedback: No.
        clauses: [conduct.questionable-conversations]
        consequence: Nothing changes.
        next: good-end
endings:
  - id: good-end
    title: Good
    text: It ends well.
  - id: bad-end
    title: Bad
    text: It ends badly.
reflection:
  prompt: Why?
  points: 2
  rubric: Names the clause.
  model_answer: The clause says so, and I would act on it.
"""


def write(tmp_path: Path, scenario: str = SCENARIO, module: str = MODULE, check: str = CHECK) -> Path:
    folder = tmp_path / "scenarios" / "01-demo"
    folder.mkdir(parents=True)
    (folder / "module.yaml").write_text(module)
    (folder / "demo.yaml").write_text(scenario)
    (folder / "check-demo.yaml").write_text(check)
    return tmp_path / "scenarios"


def problems(tmp_path: Path, scenario: str = SCENARIO, module: str = MODULE, check: str = CHECK) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_course(write(tmp_path, scenario, module, check))
    return [str(p) for p in info.value.problems]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def test_valid_scenario_loads_and_scores_the_best_path(tmp_path):
    course = load_course(write(tmp_path))
    (scenario,) = course.scenarios
    assert scenario.step("first").options[0].next == "second"
    assert max_points(scenario) == 3


def test_unknown_clause_id_names_file_field_and_line(tmp_path):
    bad = SCENARIO.replace("[must-not.defamation]", "[must-not.gossip]")
    (msg,) = problems(tmp_path, bad)
    path = tmp_path / "scenarios" / "01-demo" / "demo.yaml"
    assert msg.startswith(f"{path}:{line_of(bad, 'must-not.gossip')}: steps[0].options[1].clauses[0]:")
    assert "unknown clause id 'must-not.gossip'" in msg


def test_duplicate_ids(tmp_path):
    bad = SCENARIO.replace("id: drop-it", "id: follow-up")
    msgs = problems(tmp_path, bad)
    assert (
        f"demo.yaml:{line_of(bad, 'id: follow-up', 2)}: steps[1].options[1].id: duplicate option id "
        "'follow-up' in step 'second'" in "\n".join(msgs)
    )


def test_duplicate_scenario_ids_across_modules(tmp_path):
    root = write(tmp_path)
    other = root / "02-other"
    other.mkdir()
    (other / "module.yaml").write_text(
        MODULE.replace("01-demo", "02-other").replace("check-demo", "check-other")
    )
    (other / "check-other.yaml").write_text(
        CHECK.replace("01-demo", "02-other").replace("check-demo", "check-other")
    )
    (other / "demo.yaml").write_text(SCENARIO.replace("module: 01-demo", "module: 02-other"))
    with pytest.raises(ScenarioError) as info:
        load_course(root)
    assert any("duplicate scenario id 'demo'" in str(p) for p in info.value.problems)


def test_unreachable_step_and_ending(tmp_path):
    # Nothing leads to the step "second" any more, nor to the ending "bad-end".
    bad = SCENARIO.replace("next: second", "next: good-end").replace("next: bad-end", "next: good-end")
    msgs = problems(tmp_path, bad)
    assert any("steps[1].id" in m and "step 'second' is unreachable" in m for m in msgs), msgs
    path = tmp_path / "scenarios" / "01-demo" / "demo.yaml"
    ending = [m for m in msgs if "ending" in m and "unreachable" in m]
    assert ending == [
        f"{path}:{line_of(bad, 'id: bad-end')}: endings[1].id: ending 'bad-end' is unreachable: "
        "no option leads to it"
    ], msgs
    # "good-end" is still reached, though only from an option of the first step.
    assert not any("'good-end'" in m for m in msgs), msgs


def test_path_that_never_ends(tmp_path):
    bad = SCENARIO.replace("next: good-end\n      - id: drop-it", "next: first\n      - id: drop-it")
    bad = bad.replace(
        "consequence: Nothing changes.\n        next: good-end",
        "consequence: Nothing changes.\n        next: second",
    )
    msgs = problems(tmp_path, bad)
    assert any("path never ends" in m for m in msgs), msgs


def test_option_without_feedback(tmp_path):
    bad = SCENARIO.replace("        feedback: Not good.\n", "")
    (msg,) = problems(tmp_path, bad)
    assert "steps[0].options[1].feedback: required field is missing" in msg


def test_decision_without_full_credit_option(tmp_path):
    bad = SCENARIO.replace("points: 2\n        feedback: Good", "points: 1\n        feedback: Good")
    msgs = problems(tmp_path, bad)
    assert any("steps[0].points" in m and "no option earns the full 2 points" in m for m in msgs)


def test_full_credit_path_must_earn_full_marks(tmp_path):
    # The half-right answer leads on to a further decision, so its path is worth more (1 + 2)
    # than taking the full-credit answer, which ends at once (2).
    bad = (
        SCENARIO.replace("It goes well.\n        next: second", "It goes well.\n        next: good-end")
        .replace("points: 0\n        feedback: Not good.", "points: 1\n        feedback: Not good.")
        .replace("It goes badly.\n        next: bad-end", "It goes badly.\n        next: second")
        .replace("And then?\n    points: 1", "And then?\n    points: 2")
        .replace("points: 1\n        feedback: Yes.", "points: 2\n        feedback: Yes.")
        .replace("Nothing changes.\n        next: good-end", "Nothing changes.\n        next: bad-end")
    )
    msgs = problems(tmp_path, bad)
    assert any("full credit at every step earns only" in m for m in msgs), msgs


def test_wrong_schema_version_unknown_field_and_bad_enum(tmp_path):
    bad = SCENARIO.replace("schema_version: 1", "schema_version: 2").replace(
        "platform: facebook", "platform: myspace\ncolour: blue"
    )
    msgs = problems(tmp_path, bad)
    assert any("schema_version: expected schema_version 1, got 2" in m for m in msgs)
    assert any("colour: unknown field" in m for m in msgs)
    assert any("platform: expected one of" in m and "'myspace'" in m for m in msgs)


ARTEFACT = "  artefact:\n    kind: post\n    author: Sam Lee\n    body: A post.\n"


@pytest.mark.parametrize(
    ("artefact", "at", "field", "message"),
    [
        (
            "kind: post\nformat: reel\nauthor: Sam Lee\nbody: A post.",
            "format: reel",
            "format",
            "expected one of",
        ),
        (
            "kind: post\nformat: invitation\nauthor: Sam Lee\nbody: A post.",
            "format: invitation",
            "format",
            "'invitation' is a format of kind friend-request, not post",
        ),
        (
            "kind: post\nauthor: Sam Lee\nbody: A post.\nquery: Sam Lee",
            "query: Sam Lee",
            "query",
            "drawn only for kind search-result, not post",
        ),
        (
            "kind: email\nauthor: Sam Lee\nbody: Hello.\nphoto: A cat",
            "photo: A cat",
            "photo",
            "drawn only for kinds post, photo-tag, message, not email",
        ),
        (
            "kind: search-result\nauthor: Google\nresults:\n  - title: Sam Lee\n    url: example.org",
            "url: example.org",
            "results[0].url",
            "unknown field",
        ),
        (
            "kind: search-result\nauthor: Google\nresults:\n  - title: Sam Lee",
            "  artefact:",
            "query",
            "required field is missing: the words in the search box",
        ),
        (
            "kind: web-page\nauthor: Sam Lee\nsections:\n  - text: Welcome.\nform:\n  fields: [Name]",
            "    form:",
            "form.submit",
            "required field is missing",
        ),
        (
            "kind: web-page\nauthor: Sam Lee\nnav: [Home, 3]\nsections: []\nbody: Welcome.",
            "nav: [Home, 3]",
            "nav[1]",
            "Input should be a valid string",
        ),
        ("kind: post\nauthor: Sam Lee", "  artefact:", "body", "required field is missing"),
    ],
)
def test_an_artefacts_fields_are_checked_naming_file_field_and_line(tmp_path, artefact, at, field, message):
    """A new field's bad value, or a field its kind does not draw, names where it is."""
    bad = SCENARIO.replace(
        ARTEFACT, "  artefact:\n" + "".join(f"    {line}\n" for line in artefact.split("\n"))
    )
    assert bad != SCENARIO
    (msg,) = problems(tmp_path, bad)
    path = tmp_path / "scenarios" / "01-demo" / "demo.yaml"
    assert msg.startswith(f"{path}:{line_of(bad, at)}: situation.artefact.{field}: {message}"), msg


def test_invalid_yaml_names_the_line(tmp_path):
    bad = SCENARIO.replace("title: A demo", "title: [unclosed")
    (msg,) = problems(tmp_path, bad)
    assert "invalid YAML" in msg and "demo.yaml:" in msg


def test_module_listing_must_match_files(tmp_path):
    msgs = problems(tmp_path, module=MODULE.replace("scenarios: [demo]", "scenarios: [demo, missing]"))
    assert any("scenarios[1]" in m and "no file missing.yaml" in m for m in msgs)


def test_course_check_cli_reports_problems_and_exit_code(tmp_path, capsys):
    root = write(tmp_path, SCENARIO.replace("next: bad-end", "next: nowhere"))
    assert main(["--scenarios", str(root), "check"]) == 1
    err = capsys.readouterr().err
    assert "steps[0].options[1].next: expected the id of a step or ending, got 'nowhere'" in err


def test_the_course_content_is_valid(course):
    assert len(course.module("05-must-not").scenarios) >= 3
    branching = [s for s in course.scenarios if len(s.steps) >= 2]
    assert branching, "at least one scenario must branch into a second decision"


def test_knowledge_check_rules(tmp_path):
    two_questions = CHECK.replace("next: q3", "next: done")
    two_questions = (
        two_questions[: two_questions.index("  - id: q3")] + two_questions[two_questions.index("endings:") :]
    )
    msgs = problems(tmp_path, check=two_questions)
    assert any("a knowledge check asks at least 3 questions, found 2" in m for m in msgs), msgs


def test_knowledge_check_answers_all_lead_to_the_same_next_question(tmp_path):
    forked = CHECK.replace(
        "points: 0\n        feedback: No.\n        clauses: [review.cycle]\n        next: q2",
        "points: 0\n        feedback: No.\n        clauses: [review.cycle]\n        next: q3",
    )
    msgs = problems(tmp_path, check=forked)
    assert any("steps[0].options" in m and "lead to the same next question" in m for m in msgs), msgs


def test_story_fields_are_required_in_scenarios_and_refused_in_checks(tmp_path):
    no_situation = SCENARIO.replace(
        "situation:\n  narrative: Something happens online.\n  artefact:\n"
        "    kind: post\n    author: Sam Lee\n    body: A post.\n",
        "",
    )
    no_situation = no_situation.replace("        consequence: It goes badly.\n", "")
    msgs = problems(
        tmp_path, no_situation, check=CHECK.replace("title: Check", "title: Check\nplatform: blog")
    )
    joined = "\n".join(msgs)
    assert "demo.yaml:1: situation: required field is missing" in joined
    assert "steps[0].options[1].consequence: required field is missing" in joined
    assert "check-demo.yaml" in joined and "platform: not used in a knowledge check" in joined


def test_reading_clauses_and_the_knowledge_check_reference_are_checked(tmp_path):
    module = MODULE.replace("clauses: [conduct.questionable-conversations]", "clauses: [conduct.gossip]")
    module = module.replace("knowledge_check: check-demo", "knowledge_check: demo").replace(
        "scenarios: [demo]", "scenarios: [check-demo]"
    )
    joined = "\n".join(problems(tmp_path, module=module))
    assert "reading[0].clauses[0]: unknown clause id 'conduct.gossip'" in joined
    assert "knowledge_check: 'demo' is a scenario, expected a knowledge-check" in joined
    assert "scenarios[0]: 'check-demo' is a knowledge-check, expected a scenario" in joined


def test_a_chain_of_hundreds_of_steps_is_refused_not_a_crash(tmp_path):
    """600 chained steps (under the file size cap) once exhausted the graph checks' recursion."""
    from course.scenario.schema import MAX_STEPS

    head, _, tail = SCENARIO.partition("steps:\n")
    option = (
        "{{id: {}, text: T., action: {}, points: {}, feedback: F., clauses: [review.cycle], "
        "consequence: C., next: {}}}"
    )
    chain = "".join(
        f"  - {{id: s{n}, prompt: Go on, points: 1, options: ["
        f"{option.format('go', 'withdraw', 1, f's{n + 1}' if n < 599 else 'good-end')}, "
        f"{option.format('stop', 'ignore', 0, 'bad-end')}]}}\n"
        for n in range(600)
    )
    bad = head.replace("start: first", "start: s0") + "steps:\n" + chain + tail[tail.index("endings:") :]
    (msg,) = problems(tmp_path, bad)
    assert f":{line_of(bad, 'steps:')}: steps:" in msg and f"at most {MAX_STEPS}" in msg, msg
