"""The course server's ``reflections.pdf`` (``course/reflections_route.py``), in-process on loopback:
each learner downloads their own reflections, made from their answers on the server, and nobody
else's; with none, a page that says so in plain words."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

from course.build.notebooks import build_course
from course.documents import Answers, answers_path
from course.play.answers import save_answers
from course.play.learner import LEARNER_COOKIE, PROGRESS_ENV, new_learner_id
from course.play.site import PROFILE_FILE
from course.serve import CERTIFICATE, LANDING, CourseVoila

from .conftest import NOTEBOOKS_DIR, best_path, free_port, read_pdf, voila_in_thread

MODULE = "05-must-not"


@dataclass
class Served:
    port: int
    progress: Path
    root: Path

    def get(self, learner: str | None = None) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": f"{LEARNER_COOKIE}={learner}"} if learner else {}
        conn.request("GET", "/reflections.pdf", headers=headers)
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response, body

    def learner(self, scenarios, reflection: str, name: str | None = None) -> str:
        """A self-study learner who played ``scenarios`` and wrote ``reflection`` (numbered) on each;
        nothing when ``reflection`` is empty."""
        learner = new_learner_id()
        folder = self.progress / learner
        for n, scenario in enumerate(scenarios, start=1):
            text = f"{reflection} {n}" if reflection else ""
            answers = Answers(scenario.id, best_path(scenario), text, policy_version="2021-09")
            save_answers(folder / scenario.module, answers)
        if name is not None:
            (folder / PROFILE_FILE).write_text(json.dumps({"name": name}), encoding="utf-8")
        return learner


@pytest.fixture(scope="module")
def served(tmp_path_factory, course) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("site")
    for page in (LANDING, CERTIFICATE):
        (root / page).write_bytes((NOTEBOOKS_DIR / page).read_bytes())
    build_course(course, source_dir=root.parent / "unused-source", practice_dir=root / "practice")
    progress = root.parent / "progress"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(PROGRESS_ENV, str(progress))  # as `course serve --progress` sets it
        port = free_port()
        with voila_in_thread(CourseVoila, root, port):
            yield Served(port, progress, root)


def shown(body: bytes) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body.decode())).split())


def test_each_learner_downloads_their_own_reflections_and_nobody_elses(served, course):
    content = course.module(MODULE)
    ada_played, bea_played = content.scenarios[:2], content.scenarios[2:3]
    ada = served.learner(ada_played, "Ada reflects on a boundary", name="Ada Lovelace-Ó Néill")
    bea = served.learner(bea_played, "Bea reflects on a photo")

    response, body = served.get(ada)
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

    text = read_pdf(served.get(bea)[1]).text
    assert "Bea reflects on a photo 1" in text and bea_played[0].title in text
    assert "Ada reflects" not in text and "Ada Lovelace" not in text and "Written by" not in text
    assert all(scenario.title not in text for scenario in ada_played)


def test_no_reflection_yet_is_said_in_plain_words(served, course):
    silent = served.learner(course.module(MODULE).scenarios[:2], "")  # played, wrote nothing
    for learner in (silent, None, "not-an-id-the-server-issues", f"../{served.progress.name}/{silent}"):
        response, body = served.get(learner)
        assert response.status == 404, learner
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        said = shown(body)
        assert "No reflections yet" in said and "You have not written a reflection yet" in said


def test_without_a_cookie_the_folder_served_has_its_own(served, course):
    """A trainee's own server (`course serve --root FOLDER`) reads the answers beside the pages."""
    scenario = course.module(MODULE).scenarios[3]
    folder = served.root / "practice" / MODULE
    save_answers(folder, Answers(scenario.id, best_path(scenario), "In the folder itself."))
    try:
        response, body = served.get()
        assert response.status == 200
        text = read_pdf(body).text
        assert "In the folder itself." in text and scenario.title in text
        someone = served.learner(course.module(MODULE).scenarios[:1], "Someone else's")
        assert "In the folder itself." not in read_pdf(served.get(someone)[1]).text
    finally:
        answers_path(folder, scenario.id).unlink()
