"""A trainee's reflections gathered for their CPD log (``course.play.reflections``), the PDF made of
them (``course.reflections_pdf``), and the links to it on a scenario page and the landing page."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest

from course.build.notebooks import build_course
from course.documents import Answers, answers_path, read_play_document
from course.engine import walk
from course.play.answers import save_answers
from course.play.app import reflection_intro
from course.play.landing import landing_html
from course.play.learner import new_learner_id
from course.play.reflections import Reflection, Reflections, gather_reflections
from course.play.site import open_site
from course.policy import load_policy
from course.reflections_pdf import TITLE, reflections_pdf

from ..conftest import best_path, read_pdf

FIRST, LAST = "01-public-and-permanent", "05-must-not"
HOSTILE = '<script>alert("x")</script> <b>not bold</b> & **not markdown**'
HEBREW, ARABIC, EMOJI = "שלום עולם, זה חשוב", "مرحبا بالعالم", "I felt 🙈 then 😀 👩‍💻"


@pytest.fixture
def site(tmp_path, course) -> Path:
    root = tmp_path / "site"
    build_course(course, source_dir=tmp_path / "source", practice_dir=root / "practice")
    return root


@pytest.fixture
def learner(site) -> Path:
    return site.parent / "progress" / new_learner_id()


def write(learner: Path, scenario, reflection: str, choices=None, version: str = "2021-09") -> Answers:
    """Answers as the app saves them, in the learner's own folder."""
    answers = Answers(scenario.id, best_path(scenario) if choices is None else choices, reflection)
    answers.policy_version = version
    save_answers(learner / scenario.module, answers)
    return answers


def gathered(site: Path, learner: Path | None) -> Reflections:
    return gather_reflections(open_site(site, learner))


def test_every_reflection_in_course_order_with_its_scenario_prompt_choices_date_and_version(
    site, learner, course
):
    first, last = course.module(FIRST), course.module(LAST)
    # Written out of order: the last module's second scenario, then its first, then the first module's.
    write(learner, last.scenarios[1], "On the photo.")
    write(learner, last.scenarios[0], "On the friend request.", best_path(last.scenarios[0])[:1])
    saved = write(learner, first.scenarios[2], "On the story.")
    found = gathered(site, learner)
    assert found.notes == ()
    assert [(e.module, e.scenario) for e in found.entries] == [
        (first.module.title, first.scenarios[2].title),
        (last.module.title, last.scenarios[0].title),
        (last.module.title, last.scenarios[1].title),
    ]
    entry = found.entries[0]
    assert entry.prompt == first.scenarios[2].reflection.prompt and entry.text == "On the story."
    assert entry.saved == datetime.fromisoformat(saved.updated) and entry.saved.tzinfo is not None
    document = read_play_document(site / "practice" / FIRST, first.scenarios[2].id)
    played = walk(document["scenario"], best_path(first.scenarios[2]))
    assert entry.path == tuple(o["text"] for _, o in played.taken) and len(entry.path) >= 1
    assert entry.ending == played.ending["title"] and entry.policy_version == "2021-09"
    unfinished = found.entries[1]  # one choice made so far: the path so far, no ending yet
    assert len(unfinished.path) == 1 and unfinished.ending == ""


def test_empty_reflections_and_knowledge_checks_are_left_out(site, learner, course):
    content = course.module(LAST)
    write(learner, content.scenarios[0], "")
    write(learner, content.scenarios[1], "  \n\t ")
    write(learner, content.check, "")
    assert gathered(site, learner) == Reflections(())
    assert gathered(site, None) == Reflections(())  # nobody's answers beside the pages either


def test_a_reflection_written_before_any_choice_carries_the_pages_policy_version(site, learner, course):
    scenario = course.module(LAST).scenarios[0]
    write(learner, scenario, "Thinking before choosing.", choices=[], version="")
    (entry,) = gathered(site, learner).entries
    assert entry.path == () and entry.ending == ""
    assert entry.policy_version == load_policy().version


def test_without_a_saved_timestamp_the_files_time_is_the_date(site, learner, course):
    scenario = course.module(LAST).scenarios[0]
    write(learner, scenario, "Undated.")
    path = answers_path(learner / LAST, scenario.id)
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "updated": ""}), encoding="utf-8")
    when = datetime(2026, 3, 4, 10, 30, tzinfo=UTC).timestamp()
    os.utime(path, (when, when))
    (entry,) = gathered(site, learner).entries
    assert entry.saved == datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def test_answers_that_cannot_be_read_are_left_out_with_a_note_and_the_rest_kept(site, learner, course):
    content = course.module(LAST)
    broken, odd, fine = content.scenarios[0], content.scenarios[1], content.scenarios[2]
    write(learner, fine, "Still here.")
    answers_path(learner / LAST, broken.id).write_text("{not json", encoding="utf-8")
    answers_path(learner / LAST, odd.id).mkdir()  # not even a file
    found = gathered(site, learner)
    assert [e.text for e in found.entries] == ["Still here."]
    assert len(found.notes) == 2
    assert f"{broken.title} ({content.module.title})" in found.notes[0] and "not valid JSON" in found.notes[0]
    assert f"{odd.title} ({content.module.title})" in found.notes[1]
    assert str(learner) not in " ".join(found.notes)  # no server paths for the trainee to read


def test_the_folder_served_has_its_own_reflections(site, course):
    """Assessed (`course serve --root FOLDER`) and plain folders: answers beside the pages."""
    scenario = course.module(LAST).scenarios[0]
    write(site / "practice", scenario, "In my own folder.")
    assert [e.text for e in gathered(site, None).entries] == ["In my own folder."]


def entry(text: str, scenario: str = "A friend request from a client", module: str = "Module") -> Reflection:
    return Reflection(
        module=module,
        scenario=scenario,
        prompt="What would you say to the client?",
        text=text,
        saved=datetime(2026, 3, 4, 10, 30, tzinfo=UTC),
        path=("Decline, and say why in session", "Note it in supervision"),
        ending="A boundary kept",
        policy_version="2021-09",
    )


def policy_stamp() -> dict:
    policy = load_policy()
    return {"organisation": policy.organisation, "title": policy.title, "version": policy.version}


def test_the_pdf_holds_who_what_and_when_and_the_trainees_text_as_written():
    policy, stamp = load_policy(), policy_stamp()
    reflections = Reflections(
        (
            entry(HOSTILE),
            entry(f"{HEBREW}\n{ARABIC}", scenario="Second scenario"),
            entry(EMOJI, scenario="Third", module="Other module"),
        ),
        notes=("Somewhere (Some module): the saved answers could not be read.",),
    )
    pdf = read_pdf(reflections_pdf(reflections, "Siobhán Ó Néill", stamp, date(2026, 11, 20)))
    text = pdf.text
    assert TITLE in text and "Siobhán Ó Néill" in text and policy.organisation in text
    assert policy.title in text and "Made on 20 November 2026" in text and "3 reflections" in text
    assert "Module" in text and "Other module" in text and "Second scenario" in text
    assert "What would you say to the client?" in text and "1. Decline, and say why in session" in text
    assert "2. Note it in supervision" in text and "Outcome: A boundary kept" in text
    assert "Last saved on 4 March 2026" in text and "Policy version 2021-09" in text
    assert HOSTILE in text  # as text: no markup read into it
    assert HEBREW in text and ARABIC in text  # laid out right to left, read back as written
    assert "I felt 🙈 then 😀" in text  # characters the font lacks stay in the text
    assert "the saved answers could not be read" in text


def test_a_long_reflection_runs_over_pages_and_loses_nothing():
    stamp = policy_stamp()
    words = [f"word{n}" for n in range(600)]
    pdf = read_pdf(
        reflections_pdf(Reflections(tuple(entry(" ".join(words)) for _ in range(3))), "", stamp, date.today())
    )
    assert pdf.pages >= 2
    assert pdf.text.count(" ".join(words)) == 3
    assert "Written by" not in pdf.text  # no name typed: none claimed


ON_A_PAGE = "http://127.0.0.1:8866/{base}voila/render/{page}"


@pytest.mark.parametrize("base", ["", "user/ada/"])
@pytest.mark.parametrize(
    ("page", "practice"), [("practice/05-must-not/x.ipynb", True), ("05-must-not/x.ipynb", False)]
)
def test_the_reflection_links_to_the_servers_pdf_from_wherever_the_page_is(monkeypatch, base, page, practice):
    url = ON_A_PAGE.format(base=base, page=page)
    monkeypatch.setenv("SCRIPT_NAME", url.removeprefix("http://127.0.0.1:8866"))  # as Voila sets it
    html = reflection_intro({"prompt": "Why?", "points": 2}, practice)
    href = html.split('<p class="mip-reflections-download"><a href="')[1].split('"')[0]
    assert 'target="_blank" rel="noopener">Download all my reflections (PDF)</a>' in html
    assert urljoin(url, href) == f"http://127.0.0.1:8866/{base}reflections.pdf"
    monkeypatch.delenv("SCRIPT_NAME")  # no server to say: the page's place in the site
    html = reflection_intro({"prompt": "Why?", "points": 2}, practice)
    assert f'href="{href}"' in html


def test_the_landing_page_links_to_the_pdf_beside_the_certificate(site):
    found = open_site(site, None)
    html = landing_html(found, *found.progress())
    certificate = html.index('<a href="certificate.ipynb">Your CPD certificate</a>')
    link = html.index('<a href="../../reflections.pdf" target="_blank" rel="noopener">Download all my')
    assert 0 < link - certificate < 300
    landing = "http://127.0.0.1:8866/voila/render/index.ipynb"
    assert urljoin(landing, "../../reflections.pdf") == "http://127.0.0.1:8866/reflections.pdf"
