"""`course lint`: spelling with a real British English dictionary, clause quotes, CPD minutes."""

from __future__ import annotations

from course.policy import load_policy
from course.scenario.catalog import load_course
from course.scenario.lint import lint, misspelt, quotes_a_clause
from course.scenario.schema import Option

from .test_validation import SCENARIO, write


def option(feedback: str, clauses=("must-not.friend-requests",)) -> Option:
    return Option(
        id="x",
        text="t",
        action="withdraw",
        points=1,
        feedback=feedback,
        clauses=clauses,
        consequence="c",
        next="end",
    )


def test_quote_must_be_word_for_word_from_one_of_the_options_clauses():
    policy = load_policy()
    assert quotes_a_clause(
        option('It says "decline this request using formal means of communication."'), policy
    )
    assert quotes_a_clause(option("Curly “Accept friend requests from clients” quotes count"), policy)
    assert not quotes_a_clause(option('It says "decline it formally", more or less.'), policy)
    assert not quotes_a_clause(option('Two words: "friend requests"'), policy)
    # Word for word, but from a clause the option does not cite.
    assert not quotes_a_clause(
        option('"Defamation law applies to any comments posted on the internet."'), policy
    )


def test_british_dictionary_flags_typos_not_british_spellings():
    assert misspelt({"organise", "behaviour", "programme", "colour", "teh", "recieve"}) == {"teh", "recieve"}


def test_lint_reports_typos_missing_quotes_and_low_cpd_minutes(tmp_path):
    bad = SCENARIO.replace("Something happens online.", "Somthing happens online.")
    course = load_course(write(tmp_path, bad))
    findings, minutes = lint(course, load_policy(), allowed=set())
    text = "\n".join(map(str, findings))
    assert "demo.yaml: situation.narrative: unknown word 'Somthing'" in text
    assert "steps[0].options[0].feedback: quotes none of its clauses" in text
    assert minutes["01-demo"] > 0
    assert "cpd_minutes" not in text  # 10 minutes is plenty for the tiny demo
    allowed = lint(course, load_policy(), allowed={"Somthing"})[0]
    assert "Somthing" not in "\n".join(map(str, allowed))


def test_lint_refuses_a_clause_id_in_what_trainees_read(tmp_path):
    bad = SCENARIO.replace("Something happens online.", "See must-not.defamation for this.")
    course = load_course(write(tmp_path, bad))
    text = "\n".join(map(str, lint(course, load_policy(), allowed={"See"})[0]))
    assert "demo.yaml: situation.narrative: names clause id 'must-not.defamation'" in text


def test_lint_spells_a_web_pages_and_a_searchs_words_but_not_their_addresses(tmp_path):
    page = (
        "  artefact:\n    kind: web-page\n    author: Sam Lee\n    address: samleeeee.example/bloggg\n"
        "    nav: [Hoem, Fees]\n    sections:\n      - heading: Welcom\n        text: Hello.\n"
        "    form:\n      fields: [Nmae]\n      submit: Sned\n    footer: Copyrihgt Sam Lee\n"
    )
    bad = SCENARIO.replace("  artefact:\n    kind: post\n    author: Sam Lee\n    body: A post.\n", page)
    course = load_course(write(tmp_path, bad))
    text = "\n".join(map(str, lint(course, load_policy(), allowed=set())[0]))
    for field, word in [
        ("nav", "Hoem"),
        ("sections[0]", "Welcom"),
        ("form", "Nmae"),
        ("form", "Sned"),
        ("footer", "Copyrihgt"),
    ]:
        assert f"demo.yaml: situation.artefact.{field}: unknown word '{word}'" in text
    assert "samleeeee" not in text and "bloggg" not in text
