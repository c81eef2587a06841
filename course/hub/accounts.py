"""``course hub accounts ROSTER.csv``: a cohort's trainees as accounts on the hub, in one command.

Reads the same roster CSV as ``course cohort roster`` (checked whole before anything changes),
imports it into the cohort's gradebook as the grader, and gives each trainee a Unix account
(no shell, home 0700, in the trainees' group) with a first-login password of its own, random,
never shared and never a default: each trainee's invitation (an e-mail, written as an ``.eml``
file readable by root only, or sent with ``--send`` through the cohort's ``c.Notifier``) carries
it. An account that exists already keeps its password unless ``--new-passwords``. ``--tutors``
makes tutors' accounts (the tutors' group: the grading service) from a file of the same columns.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..cohort.notify import (
    NotifyReport,
    Trainee,
    message_to,
    notifier,
    send,
    write_outbox,
)
from ..cohort.roster import RosterEntry, read_roster
from .install import NOLOGIN, as_grader, run
from .settings import TRAINEE_GROUP, TUTOR_GROUP, Places

PASSWORD_WORDS = 4
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


def first_password() -> str:
    """Four groups of four from a 31-letter alphabet: 79 random bits, easy to type once."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(PASSWORD_WORDS))


@dataclass
class AccountsReport:
    made: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    new_passwords: list[str] = field(default_factory=list)
    invitations: NotifyReport | None = None
    roster: str = ""

    def summary(self) -> str:
        lines = [self.roster] if self.roster else []
        lines.append(f"{len(self.made)} account(s) made" + (f": {', '.join(self.made)}" if self.made else ""))
        if self.kept:
            lines.append(f"{len(self.kept)} existed already and keep their password: {', '.join(self.kept)}")
        if self.invitations is not None:
            lines.append(self.invitations.summary())
        return "\n".join(lines)


def account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def make_account(entry: RosterEntry, group: str) -> bool:
    """The Unix account for ``entry`` in ``group``; True if it was made now."""
    made = not account_exists(entry.id)
    if made:
        comment = re.sub(r"[:,=\n\r]", " ", f"{entry.first_name} {entry.last_name}").strip()
        run(
            "useradd",
            "--create-home",
            "--shell",
            NOLOGIN,
            "--user-group",
            "--groups",
            group,
            "--comment",
            comment,
            entry.id,
        )
    else:
        run("usermod", "--append", "--groups", group, entry.id)
    os.chmod(pwd.getpwnam(entry.id).pw_dir, 0o700)
    return made


def set_password(name: str, password: str) -> None:
    run("chpasswd", input=f"{name}:{password}\n")


def invitation(entry: RosterEntry, password: str, hub_url: str, tutor: bool) -> str:
    where = (
        "the grading service (nbgrader's formgrader, the dashboard and a terminal for `course cohort`)"
        if tutor
        else "your own copy of the course: the modules your tutor has released appear there"
    )
    return (
        f"You have an account on the MIP Social Media Policy course.\n\n"
        f"Go to {hub_url or 'the course address your tutor gives you'} and log in with\n\n"
        f"    Username: {entry.id}\n    Password: {password}\n\n"
        f"This password is yours alone and was made at random; nobody else has it. After logging in you\n"
        f"arrive at {where}.\n"
    )


def make_accounts(
    roster: Path,
    places: Places,
    *,
    tutors: bool = False,
    new_passwords: bool = False,
    send_mail: bool = False,
    hub_url: str = "",
) -> AccountsReport:
    entries = read_roster(roster, accounts=True)
    report = AccountsReport()
    if not tutors:
        report.roster = import_as_grader(roster, places)
    group = TUTOR_GROUP if tutors else TRAINEE_GROUP
    grp.getgrnam(group)  # KeyError: not installed
    config = notifier(places.cohort)
    if send_mail:
        config.check()
    drafts = []
    for entry in entries:
        made = make_account(entry, group)
        (report.made if made else report.kept).append(entry.id)
        if made or new_passwords:
            password = first_password()
            set_password(entry.id, password)
            report.new_passwords.append(entry.id)
            trainee = Trainee(entry.id, entry.first_name, entry.last_name, entry.email)
            body = invitation(entry, password, hub_url or config.course_url, tutors)
            drafts.append(message_to(trainee, "Your account", body, config, send_mail))
    kind = "tutor-accounts" if tutors else "accounts"
    if drafts:
        report.invitations = (
            send(config, "invitation", kind, drafts)
            if send_mail
            else write_outbox(places.state, "invitation", kind, drafts)
        )
    return report


def import_as_grader(roster: Path, places: Places) -> str:
    """``course cohort roster`` as the grader, on a copy of the file the grader can read."""
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        copy = Path(tmp) / "roster.csv"
        shutil.copyfile(roster, copy)
        os.chmod(copy, 0o644)
        done = as_grader(places, "course", "cohort", "--course-dir", str(places.cohort), "roster", str(copy))
    return done.stdout.strip()
