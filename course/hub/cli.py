"""``course hub``: install the course on a JupyterHub server and make its accounts (as root)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..cohort.notify import NotifyError
from ..cohort.roster import RosterError
from .install import InstallError, install
from .settings import Places


def cmd_install(args: argparse.Namespace) -> int:
    try:
        report = install(Places.from_env(), python=args.python)
    except InstallError as exc:
        print(f"course hub install: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def cmd_accounts(args: argparse.Namespace) -> int:
    from .accounts import make_accounts

    try:
        report = make_accounts(
            args.roster,
            Places.from_env(),
            tutors=args.tutors,
            new_passwords=args.new_passwords,
            send_mail=args.send,
            hub_url=args.url,
        )
    except (RosterError, NotifyError, InstallError) as exc:
        print(f"course hub accounts: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0 if report.invitations is None or report.invitations.ok else 1


def add_hub_parser(sub: argparse._SubParsersAction) -> None:
    hub = sub.add_parser("hub", help="the course on JupyterHub: install, accounts (as root)")
    verbs = hub.add_subparsers(dest="hub_command", required=True)
    inst = verbs.add_parser("install", help="install the course, the grader, its cohort and the exchange")
    inst.add_argument("--python", help="a Python 3.11 every account can run (default: Debian's)")
    inst.set_defaults(run=cmd_install)
    acc = verbs.add_parser("accounts", help="trainees' (or --tutors') accounts from a roster CSV")
    acc.add_argument("roster", type=Path, help="id,first_name,last_name,email[,lms_user_id]")
    acc.add_argument("--tutors", action="store_true", help="tutors' accounts (the grading service)")
    acc.add_argument(
        "--new-passwords", action="store_true", help="new first-login passwords for existing accounts too"
    )
    acc.add_argument("--send", action="store_true", help="e-mail the invitations (c.Notifier in the cohort)")
    acc.add_argument(
        "--url", default="", help="the hub's address, for the invitations (default c.Notifier.course_url)"
    )
    acc.set_defaults(run=cmd_accounts)
