"""The certificate as evidence: its statements signed with the server's secret, its PDF read back as
text, and the CPD time written as a CPD log writes it."""

from __future__ import annotations

import base64
import json
import stat
import zlib
from datetime import date

import pytest

from course.certificate_pdf import certificate_pdf
from course.credential import (
    SECRET_ENV,
    SECRET_FILE,
    CertificateInvalid,
    certificate_number,
    claims,
    load_secret,
    sign,
    verify,
)
from course.play.award import Certificate, ModuleAward, hours_minutes

from .conftest import read_pdf

POLICY = {
    "organisation": "Manchester Institute for Psychotherapy",
    "title": "Social Media Policy",
    "version": "2021-09",
    "last_reviewed": "September 2021",
}
MODULES = (
    ModuleAward("What members must not do", 70, "Recognise each thing the policy forbids online."),
    ModuleAward("Keeping up to date", 50, "Identify which version of the policy applies."),
)


def certificate(name: str = "Siobhán Ó Néill-Łukasz", modules=MODULES) -> Certificate:
    return Certificate(name, modules, date(2026, 11, 20), POLICY)


@pytest.mark.parametrize(
    ("minutes", "written"),
    [(45, "45 min"), (60, "1 h"), (70, "1 h 10 min"), (455, "7 h 35 min"), (0, "0 min")],
)
def test_cpd_time_is_written_in_hours_and_minutes(minutes, written):
    assert hours_minutes(minutes) == written


def test_a_signed_certificate_verifies_to_exactly_what_it_states():
    cert = certificate()
    token = sign(cert, "server secret")
    assert verify(token, "server secret") == claims(cert)
    assert claims(cert)["name"] == cert.name and claims(cert)["modules"] == [
        ["What members must not do", 70],
        [
            "Keeping up to date",
            50,
        ],
    ]


def payload(token: str) -> dict:
    """The statements a link carries, read without checking them (as anyone can)."""
    body = token.split(".")[-2] if token.startswith(".") else token.split(".")[0]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return json.loads(zlib.decompress(raw) if token.startswith(".") else raw)


def reseal(token: str, data: dict) -> str:
    """The same link with other statements put in, its signature kept (what a forger can do)."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    compressed = token.startswith(".")
    body = base64.urlsafe_b64encode(zlib.compress(raw) if compressed else raw).decode().rstrip("=")
    return ("." if compressed else "") + body + "." + token.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d | {"name": "Someone Else"},
        lambda d: d | {"modules": d["modules"][:1]},
        lambda d: d | {"modules": [[t, m * 2] for t, m in d["modules"]]},
        lambda d: d | {"completed": "2020-01-01"},
        lambda d: d | {"policy": "2027-03"},
    ],
    ids=["name", "module-list", "cpd-time", "date", "policy-version"],
)
def test_a_changed_name_module_list_time_date_or_version_fails_verification(change):
    token = sign(certificate(), "server secret")
    assert payload(token) == claims(certificate())  # the reader of the test reads what a forger reads
    forged = reseal(token, change(payload(token)))
    assert forged != token
    with pytest.raises(CertificateInvalid):
        verify(forged, "server secret")


def test_a_link_signed_elsewhere_or_garbled_fails_verification():
    token = sign(certificate(), "another server's secret")
    for bad in (token, "", "not-a-token", token[:-3], sign(certificate(), "server secret") + "x"):
        with pytest.raises(CertificateInvalid):
            verify(bad, "server secret")


def test_each_certificate_has_its_own_stable_number():
    ada, bob = sign(certificate("Ada"), "s"), sign(certificate("Bob"), "s")
    assert certificate_number(ada) == certificate_number(sign(certificate("Ada"), "s"))
    assert certificate_number(ada) != certificate_number(bob)
    assert certificate_number(ada).startswith("MIP-") and len(certificate_number(ada)) == 18


def test_the_secret_is_made_once_readable_by_the_server_alone_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    first = load_secret(tmp_path / "progress")
    assert len(first) == 64 and load_secret(tmp_path / "progress") == first
    mode = stat.S_IMODE((tmp_path / "progress" / SECRET_FILE).stat().st_mode)
    assert mode == 0o600
    assert load_secret(tmp_path / "other") != first  # random, not derived from anything
    monkeypatch.setenv(SECRET_ENV, "from the deployment")
    assert load_secret(tmp_path / "progress") == "from the deployment"


def test_the_pdf_states_name_modules_times_outcomes_date_version_number_and_link():
    cert = certificate()
    token = sign(cert, "s")
    url = f"http://127.0.0.1:8866/verify?c={token}"
    pdf = read_pdf(certificate_pdf(cert, certificate_number(token), url))
    text, links = pdf.text, pdf.links
    assert cert.name in text  # Irish and Polish letters print
    assert "Manchester Institute for Psychotherapy" in text and "version 2021-09" in text
    for module in cert.modules:
        assert module.title in text and hours_minutes(module.minutes) in text
        assert module.outcome[1:] in text
    assert f"Total CPD time: {hours_minutes(sum(m.minutes for m in MODULES))}" in text
    assert "Completed on 20 November 2026" in text
    assert f"Certificate number: {certificate_number(token)}" in text
    assert links and set(links) == {url}  # every line of the printed link opens it
