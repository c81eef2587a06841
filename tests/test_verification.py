"""The course server's certificate routes, in-process on loopback: the PDF download made from the
requesting learner's progress, and the page that verifies it (``course/verification.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from course.documents import Answers
from course.play.answers import save_answers
from course.play.award import hours_minutes

from .conftest import CourseServer, best_path, course_server, page_text, read_pdf

MODULE = "05-must-not"


class Served(CourseServer):
    def learner(self, course, *, name: str | None, completed: bool) -> str:
        """A self-study learner whose progress is on the server: MODULE finished (or only begun)."""
        learner, folder = self.new_learner(name)
        content = course.module(MODULE)
        items = content.items if completed else content.items[:1]
        for item in items:
            save_answers(folder / MODULE, Answers(item.id, best_path(item), policy_version="2021-09"))
        return learner


@pytest.fixture(scope="module")
def served(tmp_path_factory, course) -> Iterator[Served]:
    with course_server(tmp_path_factory, course, Served) as server:
        yield server


def test_a_learner_downloads_their_certificate_and_its_link_verifies_it(served, course):
    name = "Siobhán Ó Néill-Łukasz"
    learner = served.learner(course, name=name, completed=True)
    response, body = served.get("/certificate.pdf", learner)
    assert response.status == 200 and response.getheader("Content-Type") == "application/pdf"
    assert response.getheader("Content-Disposition").startswith("attachment;")
    pdf = read_pdf(body)
    text, links = pdf.text, pdf.links
    module = course.module(MODULE).module
    assert name in text and module.title in text and hours_minutes(module.cpd_minutes) in text
    assert "version 2021-09" in text
    number = re.search(r"Certificate number: (MIP-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})", text).group(1)
    (link,) = links
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("http", f"127.0.0.1:{served.port}", "/verify")

    response, page = served.get(f"{parts.path}?{parts.query}")
    assert response.status == 200
    said = page_text(page)
    assert "Certificate verified" in said and number in said and name in said
    assert module.title in said and f"Total CPD time: {hours_minutes(module.cpd_minutes)}" in said
    assert not re.search(rb"(src|href)=\"https?://", page)  # nothing loaded from elsewhere
    assert b'<html lang="en-GB">' in page and b"<title>Certificate verified" in page

    # Another learner's progress is theirs: nothing completed, no certificate.
    other = served.learner(course, name="Bob", completed=False)
    response, body = served.get("/certificate.pdf", other)
    assert response.status == 404 and "pass its knowledge check" in page_text(body)


def test_a_changed_link_is_refused_in_plain_words(served, course):
    learner = served.learner(course, name="Ada Lovelace", completed=True)
    _, body = served.get("/certificate.pdf", learner)
    (link,) = read_pdf(body).links
    token = urlsplit(link).query.removeprefix("c=")
    head, signature = token.rsplit(".", 1)
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for query in (f"c={head}.{flipped}", "c=", "c=rubbish", ""):
        response, page = served.get(f"/verify?{query}")
        assert response.status == 400, query
        said = page_text(page)
        assert "Certificate not verified" in said and "Ada Lovelace" not in said


def test_no_certificate_without_a_name_or_a_learner(served, course):
    unnamed = served.learner(course, name=None, completed=True)
    response, body = served.get("/certificate.pdf", unnamed)
    assert response.status == 404 and "Type your name on the certificate page" in page_text(body)
    response, body = served.get("/certificate.pdf")  # no cookie: nobody's progress
    assert response.status == 404
    # A cookie that is not an id the server issues is nobody, even one that leads to a learner's folder.
    named = served.learner(course, name="Cat", completed=True)
    assert served.get("/certificate.pdf", named)[0].status == 200
    response, body = served.get("/certificate.pdf", f"../{served.progress.name}/{named}")
    assert response.status == 404
