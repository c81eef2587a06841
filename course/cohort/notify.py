"""E-mails a tutor sends the trainees on a cohort's roster: "your feedback is ready" and "you have
not submitted yet", one message per trainee, from the e-mail addresses in nbgrader's gradebook.

By default each message is written as an RFC 5322 file (``.eml``, which any mail program opens)
into ``<cohort>/outbox/<kind>-<module>-<UTC time>/``; with ``send`` they go through the SMTP server
configured in the cohort's own ``nbgrader_config.py`` (:class:`Notifier`, a traitlets section
like nbgrader's). Messages carry the module's title, its due date, and how to act: never a score,
an answer or the key. Names and addresses come from a roster: a name is only ever a display name
(line breaks and control codes removed), an address must be exactly one address, and each message
goes to its one trainee's address alone, so no roster entry can add a header or a recipient.
"""

from __future__ import annotations

import getpass
import os
import re
import smtplib
import socket
import ssl
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import LoggingConfigurable

from ..documents import SITE_NAME
from ..grading.files import printable
from ..grading.gradebook import course_directory, open_gradebook
from ..grading.release_feedback import feedback_outbound, released_page
from ..grading.released import released_modules
from .cycle import due_day
from .lms import gradebook_students
from .roster import CHECKS, ID_PATTERN
from .setup import CONFIG
from .submissions import NOT_SUBMITTED, submission_status

FEEDBACK, REMINDER = "feedback", "reminder"
KINDS = (FEEDBACK, REMINDER)
OUTBOX = "outbox"  # inside the cohort's folder
SUBMIT_BUTTON, FEEDBACK_BUTTON = "Submit module for grading", "Get my feedback"  # the trainee app's


class NotifyError(ValueError):
    """The notifications cannot be made or sent as configured: nothing was sent or written."""


class Notifier(LoggingConfigurable):
    """How the cohort's notifications are sent: ``c.Notifier.*`` in the cohort's
    ``nbgrader_config.py``. The SMTP password is never in a file: it is read from the environment
    variable that ``password_env`` names."""

    smtp_host = Unicode("", help="The SMTP server's host name; required to send.").tag(config=True)
    smtp_port = Integer(
        0,
        help="The SMTP server's port; 0: the usual one (465 with use_ssl, 587 with use_starttls, else 25).",
    ).tag(config=True)
    use_starttls = Bool(True, help="Upgrade the connection with STARTTLS before logging in or sending.").tag(
        config=True
    )
    use_ssl = Bool(False, help="Connect over TLS from the start (SMTPS, usually port 465).").tag(config=True)
    username = Unicode("", help="The SMTP login, if the server asks for one.").tag(config=True)
    password_env = Unicode(
        "", help="The name of the environment variable holding the SMTP password (never the password)."
    ).tag(config=True)
    sender = Unicode(
        "", help="The From address, e.g. 'MIP course <tutor@example.org>'; required to send."
    ).tag(config=True)
    course_url = Unicode("", help="Where trainees open the course, given in the messages.").tag(config=True)
    timeout = Float(30.0, help="Seconds to wait for the SMTP server.").tag(config=True)

    def port(self) -> int:
        return self.smtp_port or (465 if self.use_ssl else 587 if self.use_starttls else 25)

    def from_address(self, *, sending: bool) -> Address:
        """The configured sender; for files only, the local user's address when none is set."""
        if not self.sender:
            if sending:
                raise NotifyError(_missing("sender", "'MIP course <tutor@example.org>'"))
            return Address(username=getpass.getuser(), domain=socket.getfqdn())
        name, addr = parseaddr(self.sender)
        try:
            return Address(display_name=name, addr_spec=addr)
        except (ValueError, IndexError) as exc:
            raise NotifyError(
                f"c.Notifier.sender = {self.sender!r} is not one e-mail address: {exc}"
            ) from exc

    def password(self) -> str | None:
        if not self.username:
            return None
        if not self.password_env:
            raise NotifyError(
                "c.Notifier.username is set but not c.Notifier.password_env: add "
                "c.Notifier.password_env = 'MIP_SMTP_PASSWORD' to the cohort's nbgrader_config.py and put "
                "the password in that environment variable (never in the file)"
            )
        if self.password_env not in os.environ:
            raise NotifyError(
                f"the SMTP password is read from the environment variable {self.password_env} "
                "(c.Notifier.password_env), which is not set: set it, then run this again"
            )
        return os.environ[self.password_env]

    def check(self) -> None:
        """Refuse a configuration that cannot send, before anything is sent."""
        if not self.smtp_host:
            raise NotifyError(_missing("smtp_host", "'smtp.example.org'"))
        if self.use_ssl and self.use_starttls:
            raise NotifyError(
                "c.Notifier.use_ssl and c.Notifier.use_starttls are both set: use_ssl is TLS from the start "
                "(port 465), use_starttls upgrades a plain connection (port 587); set one to False"
            )
        self.from_address(sending=True)
        self.password()

    def connect(self) -> smtplib.SMTP:
        """A logged-in connection to the configured server."""
        context = ssl.create_default_context()
        if self.use_ssl:
            smtp = smtplib.SMTP_SSL(self.smtp_host, self.port(), timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.smtp_host, self.port(), timeout=self.timeout)
            if self.use_starttls:
                smtp.starttls(context=context)
        password = self.password()
        if password is not None:
            smtp.login(self.username, password)
        return smtp


def _missing(setting: str, example: str) -> str:
    return (
        f"no {setting} is configured, so nothing was sent: add c.Notifier.{setting} = {example} to the "
        f"cohort's {CONFIG} (see the README's notifications section), or leave out --send to write "
        "the messages as files"
    )


def notifier(course_dir: Path) -> Notifier:
    """The cohort's :class:`Notifier`, from the configuration nbgrader's own apps read there."""
    return Notifier(config=course_directory(course_dir).config)


# Who is told what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trainee:
    id: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class Draft:
    """One trainee's message, or why they get none (``message`` None)."""

    trainee: Trainee
    message: EmailMessage | None
    skipped: str = ""


@dataclass(frozen=True)
class Outcome:
    trainee: Trainee
    ok: bool
    detail: str  # where it was written, "sent", or why it was skipped or failed

    def __str__(self) -> str:
        who = printable(
            " ".join(p for p in (self.trainee.first_name, self.trainee.last_name) if p) or "no name"
        )
        return f"{printable(self.trainee.id)} ({who}): {printable(self.detail, 400)}"


@dataclass
class NotifyReport:
    kind: str
    module: str
    sent: bool
    outcomes: list[Outcome] = field(default_factory=list)
    folder: Path | None = None
    notes: list[str] = field(default_factory=list)  # what the tutor should know of the whole run

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.outcomes)

    def summary(self) -> str:
        done = [o for o in self.outcomes if o.ok]
        if not self.outcomes:
            return f"{self.kind} {self.module}: nobody to notify"
        verb = "sent" if self.sent else f"written to {self.folder}" if done else "written"
        lines = [f"{self.kind} {self.module}: {len(done)} of {len(self.outcomes)} message(s) {verb}"]
        lines += [f"  note: {note}" for note in self.notes]
        lines += [f"  {o}" for o in done]
        lines += [f"  NOT NOTIFIED {o}" for o in self.outcomes if not o.ok]
        return "\n".join(lines)


def _trainees(course_dir: Path) -> list[Trainee]:
    return [
        Trainee(str(row.id), row.first_name or "", row.last_name or "", row.email or "")
        for row in gradebook_students(course_dir).itertuples(index=False)
    ]


def feedback_released(course_dir: Path, module: str) -> set[str]:
    """The trainees whose feedback on ``module`` is in the exchange, where the app fetches it: each
    of their feedback pages under nbgrader's name for it (the hash of its submission's secret)."""
    coursedir = course_directory(course_dir)
    outbound = feedback_outbound(coursedir)
    released = set()
    for trainee in _trainees(course_dir):
        folder = Path(coursedir.format_path(coursedir.feedback_directory, trainee.id, module))
        out = [released_page(outbound, folder, page.stem) for page in sorted(folder.glob("*.html"))]
        if out and all(page is not None and page.is_file() for page in out):
            released.add(trainee.id)
    return released


def module_title(course_dir: Path, module: str) -> str:
    """The module's title as released to the cohort (its ``module.json``)."""
    documents = released_modules(course_dir)
    if module not in documents:
        raise NotifyError(
            f"module {module!r} is not released to this cohort; released: {', '.join(documents) or 'none'}"
        )
    return documents[module]["title"]


def due_date(course_dir: Path, module: str) -> datetime | None:
    """The module's due date in the gradebook (naive UTC, the end of the day given to release)."""
    with open_gradebook(course_dir, must_exist=True) as gb:
        return gb.find_assignment(module).duedate


@dataclass(frozen=True)
class Notice:
    """One notification: who gets it (trainee ids) and what it says (the same for each of them)."""

    to: set[str]
    subject: str
    body: str


def _where(config: Notifier) -> str:
    return f" at {config.course_url}" if config.course_url else ""


def feedback_notice(course_dir: Path, module: str, config: Notifier) -> Notice:
    """ "Feedback ready", to each trainee whose feedback on ``module`` is released."""
    title = module_title(course_dir, module)
    body = (
        f'Your tutor has released your feedback on the module "{title}" of the {SITE_NAME} course.\n\n'
        f"To read it, open the course{_where(config)} and go to the module: on each of its scenario "
        f'pages, press "{FEEDBACK_BUTTON}".\n'
    )
    return Notice(feedback_released(course_dir, module), f"Feedback ready: {title}", body)


def reminder_notice(course_dir: Path, module: str, config: Notifier, now: datetime | None = None) -> Notice:
    """A reminder to each trainee on the roster who has not submitted ``module``: its title and
    due date, or that it is overdue (judged at ``now``, default the present, UTC)."""
    title, due = module_title(course_dir, module), due_date(course_dir, module)
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)  # the gradebook's naive UTC
    status = submission_status(course_dir, module)
    if due is None:
        subject, when = (
            f"Reminder: {title} is not submitted yet",
            "It has no due date: submit it when you can.",
        )
    elif due < now:
        subject = f"Overdue: {title} was due {due_day(due)}"
        when = f"It was due {due_day(due)} and is now overdue: please submit it as soon as you can."
    else:
        subject, when = f"Reminder: {title} is due {due_day(due)}", f"It is due {due_day(due)}."
    body = (
        f'You have not submitted the module "{title}" of the {SITE_NAME} course yet. {when}\n\n'
        f"To submit it, open the course{_where(config)}, finish the module's pages and press "
        f'"{SUBMIT_BUTTON}".\n'
    )
    return Notice(set(status.loc[status["status"] == NOT_SUBMITTED, "student"]), subject, body)


def drafts(course_dir: Path, notice: Notice, config: Notifier, *, sending: bool) -> list[Draft]:
    """The notice's message to each of its trainees, in the gradebook's order."""
    return [
        message_to(trainee, notice.subject, notice.body, config, sending)
        for trainee in _trainees(course_dir)
        if trainee.id in notice.to
    ]


def display_name(text: str) -> str:
    """Roster text fit for a header's display name or a greeting: control codes, line breaks and
    Unicode's line separators become spaces."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Zs") else c for c in text)
    return re.sub(r" +", " ", cleaned).strip()


def recipient(trainee: Trainee) -> Address:
    """The trainee's one address; NotifyError saying why when the roster's cannot be used."""
    if not trainee.email.strip():
        raise NotifyError("no e-mail address on the roster")
    problem = CHECKS["email"](trainee.email.strip())
    if problem:
        raise NotifyError(f"the e-mail address {trainee.email.strip()!r} cannot be used: expected {problem}")
    name = display_name(f"{trainee.first_name} {trainee.last_name}")
    try:
        return Address(display_name=name, addr_spec=trainee.email.strip())
    except (ValueError, IndexError) as exc:
        raise NotifyError(f"the e-mail address {trainee.email.strip()!r} cannot be used: {exc}") from exc


def message_to(trainee: Trainee, subject: str, body: str, config: Notifier, sending: bool) -> Draft:
    try:
        to = recipient(trainee)
    except NotifyError as exc:
        return Draft(trainee, None, f"skipped: {exc}")
    sender = config.from_address(sending=sending)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"{subject} ({SITE_NAME})"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.domain or None)
    greeting = display_name(trainee.first_name) or "trainee"
    message.set_content(f"Dear {greeting},\n\n{body}\n{SITE_NAME} course\n")
    return Draft(trainee, message)


# Writing and sending -------------------------------------------------------------------------


def _file_name(trainee_id: str, taken: set[str]) -> str:
    stem = trainee_id if ID_PATTERN.fullmatch(trainee_id) else re.sub(r"[^A-Za-z0-9._-]", "_", trainee_id)
    stem, n = stem.lstrip(".") or "trainee", 1
    name = f"{stem}.eml"
    while name.casefold() in taken:
        n += 1
        name = f"{stem}-{n}.eml"
    taken.add(name.casefold())
    return name


def write_outbox(course_dir: Path, kind: str, module: str, drafts: Sequence[Draft]) -> NotifyReport:
    """Each message as an ``.eml`` file (CRLF lines, as sent) in a new folder of the outbox."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(course_dir) / OUTBOX / f"{kind}-{module}-{stamp}"
    report = NotifyReport(kind, module, sent=False, folder=folder)
    taken: set[str] = set()
    for draft in drafts:
        if draft.message is None:
            report.outcomes.append(Outcome(draft.trainee, False, draft.skipped))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _file_name(draft.trainee.id, taken)
        path.write_bytes(draft.message.as_bytes())
        to = draft.message["To"].addresses[0].addr_spec
        report.outcomes.append(Outcome(draft.trainee, True, f"to {to}: {path.name}"))
    return report


def send(config: Notifier, kind: str, module: str, drafts: Sequence[Draft]) -> NotifyReport:
    """Send each message to its trainee's address alone; a failure for one is reported with the
    server's reason and the others still go (a lost connection is opened again for the next)."""
    report = NotifyReport(kind, module, sent=True)
    smtp: smtplib.SMTP | None = None
    unreachable = ""  # the server could not be reached at all: say so for everyone, not try each
    try:
        for draft in drafts:
            if draft.message is None:
                report.outcomes.append(Outcome(draft.trainee, False, draft.skipped))
                continue
            to = draft.message["To"].addresses[0].addr_spec
            if unreachable:
                report.outcomes.append(Outcome(draft.trainee, False, unreachable))
                continue
            try:
                if smtp is None:
                    smtp = _connect(config)
                smtp.send_message(draft.message, to_addrs=[to])
            except _Unreachable as exc:
                unreachable = str(exc)
                report.outcomes.append(Outcome(draft.trainee, False, unreachable))
            except OSError as exc:  # smtplib's errors are OSErrors too
                report.outcomes.append(Outcome(draft.trainee, False, f"not sent to {to}: {_reason(exc)}"))
                if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(
                    exc, smtplib.SMTPException
                ):
                    if smtp is not None:
                        smtp.close()  # the connection is gone: a new one for the next message
                    smtp = None
            else:
                report.outcomes.append(Outcome(draft.trainee, True, f"sent to {to}"))
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except OSError:
                smtp.close()
    return report


class _Unreachable(Exception):
    pass


def _connect(config: Notifier) -> smtplib.SMTP:
    try:
        return config.connect()
    except OSError as exc:
        where = f"{config.smtp_host}:{config.port()}"
        raise _Unreachable(f"not sent: the SMTP server {where} could not be used: {_reason(exc)}") from exc


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, said = next(iter(exc.recipients.values()))
        return f"the server refused the address ({code} {said.decode(errors='replace')})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server said {exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
    return f"{type(exc).__name__}: {exc}"


def notify(
    course_dir: Path, kind: str, module: str, *, send_mail: bool = False, now: datetime | None = None
) -> NotifyReport:
    """``course cohort notify KIND MODULE``: the messages written to the outbox, or with
    ``send_mail`` sent through the configured server (checked first: NotifyError, nothing sent)."""
    config = notifier(course_dir)
    if send_mail:
        config.check()
    if kind == FEEDBACK:
        notice = feedback_notice(course_dir, module, config)
    elif kind == REMINDER:
        notice = reminder_notice(course_dir, module, config, now)
    else:
        raise NotifyError(f"no notification called {kind!r}; expected one of {', '.join(KINDS)}")
    messages = drafts(course_dir, notice, config, sending=send_mail)
    if send_mail:
        return send(config, kind, module, messages)
    report = write_outbox(course_dir, kind, module, messages)
    if not config.sender:
        report.notes.append(
            f"From: {config.from_address(sending=False)}, this computer's user: set c.Notifier.sender in "
            f"the cohort's {CONFIG} to the address trainees should reply to"
        )
    return report
