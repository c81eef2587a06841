"""``course hub accounts``: the roster is checked whole, as accounts, before any account is made;
each first-login password is random and the trainee's own."""

from __future__ import annotations

import math
import re

import pytest

from course.cli import main
from course.cohort.roster import ACCOUNT_EXPECTED, RosterError
from course.hub.accounts import _ALPHABET, first_password, make_accounts
from course.hub.settings import Places


def test_ids_that_cannot_be_logins_are_named_by_row_and_nothing_is_made(tmp_path, capsys):
    """The hub lower-cases names and useradd takes 32 characters at most: such ids are refused
    with the row a spreadsheet shows (blank lines counted), before anything is created."""
    roster = tmp_path / "trainees.csv"
    roster.write_text(
        "id,first_name,last_name,email\n"
        "ana,Ana,Silva,ana@example.org\n"
        "\n"
        "Ben,Ben,Okafor,ben@example.org\n"
        f"{'c' * 33},Cat,Long,cat@example.org\n"
        "1dev,Dev,Digit,dev@example.org\n",
        encoding="utf-8",
    )
    nowhere = tmp_path / "not-installed"
    places = Places(nowhere / "opt", nowhere / "cohort", nowhere / "exchange", nowhere / "state")
    with pytest.raises(RosterError) as refused:
        make_accounts(roster, places)
    rows = {(p.row, p.field) for p in refused.value.problems}
    assert rows == {(4, "id"), (5, "id"), (6, "id")}
    assert all(p.expected == ACCOUNT_EXPECTED for p in refused.value.problems)
    assert not nowhere.exists()  # nothing was made, not even the folders

    # the command says the same, with the file and rows, and fails
    assert main(["hub", "accounts", str(roster)]) == 1
    err = capsys.readouterr().err
    assert f"{roster}, row 4, id: found 'Ben'" in err and "row 6, id: found '1dev'" in err


def test_first_login_passwords_are_random_and_each_trainees_own():
    drawn = [first_password() for _ in range(2000)]
    assert len(set(drawn)) == len(drawn)  # never a shared or default password
    groups = [re.fullmatch(r"([a-z0-9]{4})-([a-z0-9]{4})-([a-z0-9]{4})-([a-z0-9]{4})", p) for p in drawn]
    assert all(groups)
    assert set("".join(drawn)) - {"-"} <= set(_ALPHABET)
    bits = 16 * math.log2(len(_ALPHABET))
    assert bits > 72, f"{bits:.1f} bits"  # beyond guessing at the hub's login
    # every letter of the alphabet is used, in about equal measure (no bias in the draw)
    counts = {c: "".join(drawn).count(c) for c in _ALPHABET}
    mean = sum(counts.values()) / len(counts)
    assert max(counts.values()) < 1.25 * mean and min(counts.values()) > 0.75 * mean


@pytest.mark.slow
def test_accounts_made_again_keep_their_password_unless_new_ones_are_asked_for(hub, tmp_path):
    """The README: "Accounts that exist keep their password unless --new-passwords". Checked with
    the login the hub itself uses (PAM, through pamela)."""
    import pamela

    from course.hub.accounts import make_accounts

    from .conftest import TRAINEES, _roster, passwords

    trainee = next(iter(TRAINEES))
    roster = _roster(tmp_path / "again.csv", {trainee: TRAINEES[trainee]})
    again = make_accounts(roster, hub.places)
    assert (again.made, again.kept, again.invitations) == ([], [trainee], None)
    pamela.authenticate(trainee, hub.passwords[trainee], service="login")  # still the first password

    renewed = make_accounts(roster, hub.places, new_passwords=True)
    assert renewed.new_passwords == [trainee]
    with pytest.raises(pamela.PAMError):
        pamela.authenticate(trainee, hub.passwords[trainee], service="login")
    password = passwords(renewed.invitations.folder)[trainee]
    pamela.authenticate(trainee, password, service="login")
    hub.passwords[trainee] = password  # the other tests log in with the new one
