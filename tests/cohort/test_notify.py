"""``course cohort notify``: "feedback ready" to the trainees whose feedback is released, and a
reminder (title, due date or overdue) to those on the roster who have not submitted; written as
``.eml`` files by default, sent with ``--send`` through the SMTP server in the cohort's
``nbgrader_config.py``. A real cohort run through nbgrader and a real SMTP server (aiosmtpd, on
127.0.0.1) receive them; what each message must say is read from the gradebook and the release."""

from __future__ import annotations

import csv
import email
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from course.cohort import cycle
from course.cohort.notify import (
    FEEDBACK_BUTTON,
    KINDS,
    OUTBOX,
    REMINDER,
    SUBMIT_BUTTON,
    Notifier,
    Trainee,
    due_date,
    module_title,
    notify,
    recipient,
)
from course.cohort.setup import CONFIG
from course.grading.gradebook import course_directory, open_gradebook
from course.paths import REPO
from course.play.exchange import fetch_feedback, submit_module

from ..conftest import free_port, make_nbgrader_course
from .conftest import cohort_cli, fetch

MODULE = "09-keeping-up-to-date"
SUBMITTERS = ("t01", "t02")
RELEASED = ("t01",)  # t02 submitted again after the release: the new feedback is generated, not released
ROSTER = {  # id -> (first name, last name); e-mail id@example.org
    "t01": ("Zoë", "O'Brien"),
    "t02": ("Ann", "Smith, Jr"),
    "t03": ("Bea", "Jones"),
    "t04": ("Carl", "Brown"),
}
# Students nbgrader's own tools can add (formgrader, `nbgrader db student add`) that a roster file
# could not: no e-mail; a name crafted to add a header; an address crafted to add a recipient.
NO_EMAIL = "t05"
CRAFTED_NAME = ("t06", "Eve\r\nBcc: spy@evil.example", "Evans\nX-Injected: yes", "t06@example.org")
CRAFTED_ADDRESS = ("t07", "Mal", "Lory", "t07@example.org, spy@evil.example")
SPY = "spy@evil.example"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts; refuses the addresses in ``refuse``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def cohort(tmp_path_factory, course) -> Path:
    """A cohort of four on the roster (two submitted, graded and released feedback; two not) and
    the three odd students above, added through nbgrader's gradebook API."""
    nbc = make_nbgrader_course(tmp_path_factory.mktemp("notify"), course)
    roster = nbc.root.parent / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "first_name", "last_name", "email"])
        writer.writerows([t, first, last, f"{t}@example.org"] for t, (first, last) in ROSTER.items())
    due = date.today() + timedelta(days=10)
    for verb, *args in (("roster", "roster.csv"), ("release", MODULE, "--due", due.isoformat())):
        status, out = cohort_cli(nbc.root, verb, *args)
        assert status == 0, out
    for trainee in SUBMITTERS:
        home = nbc.trainee_home(trainee)
        fetch(home, MODULE)
        submit_module(home / MODULE, trainee)
    assert cohort_cli(nbc.root, "collect")[0] == 0
    assert all(r.ok for r in cycle.autograde(nbc.root, [MODULE], workers=1))
    status, out = cohort_cli(nbc.root, "feedback", "--anyway")
    assert status == 0, out
    # What a trainee sees: each submitter can fetch their feedback from the exchange.
    assert all(fetch_feedback(nbc.trainee_home(t) / MODULE, t) for t in SUBMITTERS)
    (again,) = set(SUBMITTERS) - set(RELEASED)
    submit_module(nbc.trainee_home(again) / MODULE, again)
    assert cohort_cli(nbc.root, "collect")[0] == 0
    assert [r.student for r in cycle.autograde(nbc.root, [MODULE], workers=1, only_new=True)] == [again]
    assert cycle.api(nbc.root).generate_feedback(MODULE, again)["success"]
    with open_gradebook(nbc.root) as gb:
        gb.update_or_create_student(NO_EMAIL, first_name="Noor", last_name="Nomail")
        for student, first, last, address in (CRAFTED_NAME, CRAFTED_ADDRESS):
            gb.update_or_create_student(student, first_name=first, last_name=last, email=address)
    return nbc.root


@contextmanager
def readme_configuration(cohort: Path, port: int, *, login: bool = False) -> Iterator[None]:
    """The cohort's nbgrader_config.py with the README's Notifier lines (``login``: also the
    commented ones) pointed at the local server, for as long as the block lasts."""
    config = cohort / CONFIG
    before = config.read_text(encoding="utf-8")
    lines = readme_config_lines(optional=login)
    settings = {"smtp_host": "'127.0.0.1'", "smtp_port": str(port), "use_starttls": "False"}
    for name, value in settings.items():
        lines = [re.sub(rf"^(c\.Notifier\.{name} = ).*$", rf"\g<1>{value}", line) for line in lines]
    config.write_text(before + "\n".join(lines) + "\n", encoding="utf-8")
    try:
        yield
    finally:
        config.write_text(before, encoding="utf-8")


@pytest.fixture
def configured(cohort, smtp):
    inbox, port = smtp
    inbox.received.clear()
    inbox.refuse.clear()
    with readme_configuration(cohort, port):
        yield inbox


def readme_config_lines(*, optional: bool = False) -> list[str]:
    """The ``c.Notifier`` lines the README tells a tutor to add; with ``optional`` also those it
    shows commented out (a login, for a server that asks for one)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    pattern = r"(# )?c\.Notifier\.\w+ = " if optional else r"c\.Notifier\.\w+ = "
    lines = [line.strip() for line in readme.splitlines()]
    return [line.removeprefix("# ") for line in lines if re.match(pattern, line)]


def outbox_folders(root: Path) -> set[Path]:
    return set((root / OUTBOX).glob("*")) if (root / OUTBOX).is_dir() else set()


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def addr(message) -> str:
    (to,) = message["To"].addresses
    return to.addr_spec


@pytest.mark.slow
def test_feedback_ready_is_written_as_files_for_the_trainees_whose_feedback_is_released(cohort, course):
    before = outbox_folders(cohort)
    status, out = cohort_cli(cohort, "notify", "feedback", MODULE)
    assert status == 0, out
    (folder,) = outbox_folders(cohort) - before
    assert folder.name.startswith(f"feedback-{MODULE}-") and str(folder) in out
    assert "set c.Notifier.sender" in out  # From: is this computer's user until one is configured
    files = sorted(folder.glob("*.eml"))
    assert [f.stem for f in files] == list(RELEASED)
    title = module_title(cohort, MODULE)
    assert title == course.module(MODULE).module.title
    for file in files:
        raw = file.read_bytes()
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # RFC 5322 lines
        message = email.message_from_bytes(raw, policy=policy.default)
        assert addr(message) == f"{file.stem}@example.org" and file.stem in out
        assert title in message["Subject"] and message["From"] and message["Date"] and message["Message-ID"]
        text = body(message)
        assert f'"{title}"' in text and FEEDBACK_BUTTON in text
        assert f"Dear {ROSTER[file.stem][0]}," in text
        # Nothing of the grading: no score, no points, no "x / y".
        assert "score" not in text.lower() and "point" not in text.lower()
        assert not re.search(r"\d\s*/\s*\d", text)


@pytest.mark.slow
def test_reminders_are_sent_to_who_has_not_submitted_with_the_gradebooks_due_date(cohort, configured):
    status, out = cohort_cli(cohort, "notify", "reminder", MODULE, "--send")
    assert status == 1, out  # two students could not be told: the exit status says so
    title, due = module_title(cohort, MODULE), due_date(cohort, MODULE)
    day = cycle.due_day(due)
    assert f"{due:%-d %B %Y}" in day and "end of day" in day
    sent = {addr(message): (sender, rcpts, message) for sender, rcpts, message in configured.received}
    # Everyone on the roster who has not submitted and has a usable address; each alone.
    assert set(sent) == {"t03@example.org", "t04@example.org", CRAFTED_NAME[3]}
    for to, (sender, rcpts, message) in sent.items():
        assert rcpts == [to] and sender == "tutor@example.org"
        assert title in message["Subject"] and day in message["Subject"]
        assert f'"{title}"' in body(message) and f"It is due {day}." in body(message)
        assert SUBMIT_BUTTON in body(message) and "overdue" not in body(message)
    assert "3 of 5 message(s) sent" in out
    assert re.search(
        rf"NOT NOTIFIED {NO_EMAIL} \(Noor Nomail\): skipped: no e-mail address on the roster", out
    )
    assert re.search(rf"NOT NOTIFIED {CRAFTED_ADDRESS[0]} .*cannot be used", out)
    assert not any(s in out for s in SUBMITTERS)


@pytest.mark.slow
def test_a_crafted_name_or_address_adds_no_header_and_no_recipient(cohort, configured):
    cohort_cli(cohort, "notify", "reminder", MODULE, "--send")
    everyone = [r for _, rcpts, _ in configured.received for r in rcpts]
    assert SPY not in everyone and CRAFTED_ADDRESS[3] not in everyone
    (message,) = [m for _, _, m in configured.received if addr(m) == CRAFTED_NAME[3]]
    assert message["Bcc"] is None and message["X-Injected"] is None
    (to,) = message["To"].addresses
    assert to.display_name == "Eve Bcc: spy@evil.example Evans X-Injected: yes"
    assert "Dear Eve Bcc: spy@evil.example," in body(message)
    # Straight through the function too: the address is one address or none.
    trainee = Trainee(*CRAFTED_ADDRESS)
    with pytest.raises(ValueError, match="cannot be used"):
        recipient(trainee)


@pytest.mark.slow
def test_one_refused_address_is_reported_and_the_others_still_go(cohort, configured):
    # The first in the gradebook's order (by last name): every later one must still go.
    configured.refuse.add("t04@example.org")
    status, out = cohort_cli(cohort, "notify", "reminder", MODULE, "--send")
    assert status == 1
    assert {addr(m) for _, _, m in configured.received} == {"t03@example.org", CRAFTED_NAME[3]}
    assert re.search(r"NOT NOTIFIED t04 \(Carl Brown\): not sent to t04@example.org: .*550", out)
    assert "2 of 5 message(s) sent" in out


@pytest.mark.slow
def test_feedback_ready_sent_and_everything_went(cohort, configured):
    status, out = cohort_cli(cohort, "notify", "feedback", MODULE, "--send")
    assert status == 0, out
    assert sorted(addr(m) for _, _, m in configured.received) == [f"{t}@example.org" for t in RELEASED]
    assert f"{len(RELEASED)} of {len(RELEASED)} message(s) sent" in out


@pytest.mark.slow
def test_a_reminder_after_the_due_date_says_it_is_overdue(cohort):
    due = due_date(cohort, MODULE)
    report = notify(cohort, REMINDER, MODULE, now=due + timedelta(seconds=1))
    files = sorted(report.folder.glob("*.eml"))
    assert {f.stem for f in files} == {"t03", "t04", CRAFTED_NAME[0]}
    for file in files:
        message = email.message_from_bytes(file.read_bytes(), policy=policy.default)
        assert message["Subject"].startswith("Overdue:")
        assert f"It was due {cycle.due_day(due)} and is now overdue" in body(message)
    just_in_time = notify(cohort, REMINDER, MODULE, now=due)
    message = email.message_from_bytes(
        next(just_in_time.folder.glob("*.eml")).read_bytes(), policy=policy.default
    )
    assert "overdue" not in body(message).lower()


@pytest.mark.slow
def test_send_without_a_configured_server_says_what_to_add_and_sends_and_writes_nothing(cohort, smtp):
    inbox, port = smtp
    inbox.received.clear()
    before = outbox_folders(cohort)
    status, out = cohort_cli(cohort, "notify", "reminder", MODULE, "--send")
    assert status == 1
    assert "c.Notifier.smtp_host" in out and CONFIG in out and "nothing was sent" in out
    # A server but no sender: the From address is asked for, not made up.
    config = cohort / CONFIG
    text = config.read_text(encoding="utf-8")
    config.write_text(f"{text}\nc.Notifier.smtp_host = '127.0.0.1'\nc.Notifier.smtp_port = {port}\n")
    try:
        status, out = cohort_cli(cohort, "notify", "reminder", MODULE, "--send")
    finally:
        config.write_text(text, encoding="utf-8")
    assert status == 1 and "c.Notifier.sender" in out and "nothing was sent" in out
    assert inbox.received == [] and outbox_folders(cohort) == before


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # 127.0.0.1 only
def test_a_login_takes_its_password_from_the_environment_variable_the_configuration_names(
    cohort, monkeypatch
):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret: from the environment")

    inbox = Inbox()
    server = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    server.start()
    try:
        with readme_configuration(cohort, server.port, login=True):
            variable = Notifier(config=course_directory(cohort).config).password_env
            assert variable
            monkeypatch.delenv(variable, raising=False)
            status, out = cohort_cli(cohort, "notify", "feedback", MODULE, "--send")
            assert status == 1 and variable in out and "not set" in out
            assert inbox.received == [] and logins == []
            monkeypatch.setenv(variable, "s3cret: from the environment")
            status, out = cohort_cli(cohort, "notify", "feedback", MODULE, "--send")
    finally:
        server.stop()
    assert status == 0, out
    assert logins == [("tutor@example.org", "s3cret: from the environment")]
    assert [addr(m) for _, _, m in inbox.received] == [f"{t}@example.org" for t in RELEASED]


def test_the_readme_configuration_names_real_settings_and_keeps_the_password_out():
    lines = readme_config_lines(optional=True)
    settings = {re.match(r"c\.Notifier\.(\w+) = ", line).group(1) for line in lines}
    assert {"smtp_host", "smtp_port", "sender", "username", "password_env"} <= settings
    assert settings <= set(Notifier.class_own_traits(config=True))
    assert not any("password =" in line for line in lines)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"course cohort --course-dir cohorts/autumn-2026 notify {kind} " in readme


@pytest.mark.slow
def test_a_module_not_released_to_the_cohort_is_refused_by_name(cohort, course):
    other = next(m.module.id for m in course.modules if m.module.id != MODULE)
    before = outbox_folders(cohort)
    with pytest.raises(
        SystemExit, match=rf"not released to this cohort: {other}; expected some of: {MODULE}"
    ):
        cohort_cli(cohort, "notify", "reminder", other)
    assert outbox_folders(cohort) == before


def test_a_folder_that_is_not_a_cohort_is_refused_and_nothing_is_written(tmp_path):
    (tmp_path / "typo").mkdir()
    for after in (False, True):
        status, out = cohort_cli(tmp_path / "typo", "notify", "reminder", MODULE, after=after)
        assert status == 2 and "is not a cohort" in out and "course cohort new" in out
    assert list((tmp_path / "typo").iterdir()) == []
