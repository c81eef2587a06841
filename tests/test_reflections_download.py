"""The course server's ``reflections.pdf`` (``course/reflections_route.py``), in-process on loopback:
each learner downloads their own reflections, made from their answers on the server, and nobody
else's; with none, a page that says so in plain words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from course.documents import Answers, answers_path
from course.play.answers import save_answers

from .conftest import CourseServer, best_path, course_server, page_text, read_pdf

MODULE = "05-must-not"
PDF = "/reflections.pdf"


class Served(CourseServer):
    def learner(self, scenarios, reflection: str, name: str | None = None) -> str:
        """A self-study learner who played ``scenarios`` and wrote ``reflection`` (numbered) on each;
        nothing when ``reflection`` is empty."""
        learner, folder = self.new_learner(name)
        for n, scenario in enumerate(scenarios, start=1):
            text = f"{reflection} {n}" if reflection else ""
            answers = Answers(scenario.id, best_path(scenario), text, policy_version="2021-09")
            save_answers(folder / scenario.module, answers)
        return learner


@pytest.fixture(scope="module")
def served(tmp_path_factory, course) -> Iterator[Served]:
    with course_server(tmp_path_factory, course, Served) as server:
        yield server


def test_each_learner_downloads_their_own_reflections_and_nobody_elses(served, course):
    content = course.module(MODULE)
    ada_played, bea_played = content.scenarios[:2], content.scenarios[2:3]
    ada = served.learner(ada_played, "Ada reflects on a boundary", name="Ada Lovelace-Ó Néill")
    bea = served.learner(bea_played, "Bea reflects on a photo")

    response, body = served.get(PDF, ada)
    assert response.status == 200 and response.getheader("Content-Type") == "application/pdf"
    assert response.getheader("Content-Disposition") == 'attachment; filename="mip-cpd-reflections.pdf"'
    assert response.getheader("Cache-Control") == "no-store"
    text = read_pdf(body).text
    assert "My reflections — CPD evidence" in text and "Written by Ada Lovelace-Ó Néill" in text
    assert content.module.title in text
    for n, scenario in enumerate(ada_played, start=1):
        assert scenario.title in text and " ".join(scenario.reflection.prompt.split()) in text
        assert f"Ada reflects on a boundary {n}" in text
    assert "Bea reflects" not in text and bea_played[0].title not in text

    text = read_pdf(served.get(PDF, bea)[1]).text
    assert "Bea reflects on a photo 1" in text and bea_played[0].title in text
    assert "Ada reflects" not in text and "Ada Lovelace" not in text and "Written by" not in text
    assert all(scenario.title not in text for scenario in ada_played)


def test_no_reflection_yet_is_said_in_plain_words(served, course):
    silent = served.learner(course.module(MODULE).scenarios[:2], "")  # played, wrote nothing
    for learner in (silent, None, "not-an-id-the-server-issues", f"../{served.progress.name}/{silent}"):
        response, body = served.get(PDF, learner)
        assert response.status == 404, learner
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        said = page_text(body)
        assert "No reflections yet" in said and "You have not written a reflection yet" in said


def test_without_a_cookie_the_folder_served_has_its_own(served, course):
    """A trainee's own server (`course serve --root FOLDER`) reads the answers beside the pages."""
    scenario = course.module(MODULE).scenarios[3]
    folder = served.root / "practice" / MODULE
    save_answers(folder, Answers(scenario.id, best_path(scenario), "In the folder itself."))
    try:
        response, body = served.get(PDF)
        assert response.status == 200
        text = read_pdf(body).text
        assert "In the folder itself." in text and scenario.title in text
        someone = served.learner(course.module(MODULE).scenarios[:1], "Someone else's")
        assert "In the folder itself." not in read_pdf(served.get(PDF, someone)[1]).text
    finally:
        answers_path(folder, scenario.id).unlink()
