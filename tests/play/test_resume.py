"""Resume codes (``course.play.resume``): short, typeable, random, one per learner and kept; looked
up through an index without scanning, refused before the file system when malformed, and never
handing one learner another's progress."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from course.play.learner import new_learner_id, valid_learner_id
from course.play.resume import (
    ALPHABET,
    CODE_FILE,
    INDEX_FOLDER,
    RESUME_LINK,
    code_of,
    learner_for,
    new_code,
    normalise,
    resume_code,
    resume_html,
    shown,
)
from course.play.site import Site

SHOWN = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def test_the_alphabet_is_crockfords_base32_and_a_code_carries_60_bits():
    assert "".join(sorted(set(ALPHABET))) == ALPHABET and len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)
    assert len(ALPHABET) ** len(new_code()) >= 2**60


def test_codes_are_well_formed_and_distinct_across_10000_learners(tmp_path):
    codes = {}
    for _ in range(10_000):
        learner = new_learner_id()
        codes[learner] = resume_code(tmp_path / learner)
    assert len(set(codes.values())) == 10_000
    assert all(SHOWN.fullmatch(shown(code)) for code in codes.values())
    # Each is found from its code, typed as shown, without scanning the learners' folders.
    sample = list(codes.items())[:200]
    assert all(learner_for(tmp_path, shown(code)) == learner for learner, code in sample)
    assert len(list((tmp_path / INDEX_FOLDER).iterdir())) == 10_000  # no temporary file left behind


def test_a_code_is_random_not_derived_from_the_learner(tmp_path):
    learner = new_learner_id()
    first = resume_code(tmp_path / "one" / learner)
    again = resume_code(tmp_path / "two" / learner)  # the same id on another server
    assert first != again


def test_a_learners_code_is_made_once_and_kept(tmp_path):
    learner = tmp_path / new_learner_id()
    code = resume_code(learner)
    assert (learner / CODE_FILE).read_text() == code
    assert [resume_code(learner) for _ in range(5)] == [code] * 5
    # Lost from the index (a restored backup, say): the learner's own code is put back, not replaced.
    (tmp_path / INDEX_FOLDER / code).unlink()
    assert resume_code(learner) == code and learner_for(tmp_path, code) == learner.name


def test_two_tabs_making_the_code_at_once_agree_and_leave_one_index_entry(tmp_path):
    for _ in range(20):
        learner = tmp_path / new_learner_id()
        start, made = threading.Barrier(6), []

        def make(learner=learner, start=start, made=made):
            start.wait()
            made.append(resume_code(learner))

        tabs = [threading.Thread(target=make) for _ in range(6)]
        for tab in tabs:
            tab.start()
        for tab in tabs:
            tab.join()
        assert len(set(made)) == 1 and made[0] == code_of(learner)
        assert learner_for(tmp_path, made[0]) == learner.name
    index = list((tmp_path / INDEX_FOLDER).iterdir())
    assert len(index) == 20 and not [p for p in index if p.name.startswith(".")]


@pytest.mark.parametrize(
    "typed",
    ["{code}", "{shown}", "{lower}", " {shown} ", "{spaced}", "{lower_o}", "{slips}", "{dashes}"],
)
def test_lookup_forgives_typing_slips(tmp_path, typed):
    learner = tmp_path / new_learner_id()
    code = resume_code(learner)
    variants = {
        "code": code,
        "shown": shown(code),
        "lower": shown(code).lower(),
        "spaced": " ".join(code[i : i + 4] for i in (0, 4, 8)),
        # Crockford's reading: O is 0, I and L are 1, in either case.
        "lower_o": code.replace("0", "o"),
        "slips": code.replace("0", "O").replace("1", "l"),
        "dashes": "-".join(code),
    }
    text = typed.format(**variants)
    assert normalise(text) == code
    assert learner_for(tmp_path, text) == learner.name


class Untouchable:
    """A progress folder that fails the test if anything looks inside it."""

    def __truediv__(self, other):
        raise AssertionError(f"looked up {other!r}")

    def __fspath__(self):
        raise AssertionError("used as a path")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        None,
        "../x",
        "../../etc/passwd",
        "ABCD/EFGH/JKMN",
        "ABCD.EFGH.JKMN",
        "ABCD-EFGH-JKM",  # too short
        "ABCD-EFGH-JKMNP",  # too long
        "A" * 5000,
        "ABCD-EFGH-JKMU",  # U is not in the alphabet
        "ABCD-EFGH-JKM\x00",
        "\u0410BCD-EFGH-JKMN",  # Cyrillic capital A
        "ABCD-EFGH-JKM\u0131",  # dotless i, whose capital is I
        "\uff21BCD-EFGH-JKMN",  # fullwidth A
        "ABCD-EFGH-JKM\u0663",  # Arabic-Indic three
        "ABCD\u2010EFGH\u2010JKMN",  # a hyphen that is not "-"
        "ABCD\u00a0EFGH JKMN",  # a no-break space
    ],
)
def test_malformed_codes_are_refused_before_the_file_system(typed):
    assert normalise(typed) is None
    assert learner_for(Untouchable(), typed) is None  # type: ignore[arg-type]


def test_unknown_codes_are_refused(tmp_path):
    resume_code(tmp_path / new_learner_id())
    assert learner_for(tmp_path, new_code()) is None
    assert learner_for(tmp_path / "no-such-folder", new_code()) is None


def test_the_index_never_hands_over_another_learners_progress(tmp_path):
    alice, bob = tmp_path / new_learner_id(), tmp_path / new_learner_id()
    a, b = resume_code(alice), resume_code(bob)
    assert learner_for(tmp_path, a) == alice.name and learner_for(tmp_path, b) == bob.name
    index = tmp_path / INDEX_FOLDER
    # An entry pointing at another learner (a stale or altered index) counts for nobody: the code
    # must also be that learner's own.
    (index / a).write_text(bob.name)
    assert learner_for(tmp_path, a) is None and learner_for(tmp_path, b) == bob.name
    stray = new_code()
    (index / stray).write_text(bob.name)
    assert learner_for(tmp_path, stray) is None
    # An entry that is not a learner id is not followed as a path.
    (index / a).write_text(f"../{bob.name}")
    assert learner_for(tmp_path, a) is None
    # The index folder is no learner's folder, and a learner's folder name is no code.
    assert valid_learner_id(INDEX_FOLDER) is None
    assert normalise(alice.name) is None


def test_a_folder_that_is_not_a_learners_gets_no_code(tmp_path):
    with pytest.raises(ValueError):
        resume_code(tmp_path / "practice")
    assert not (tmp_path / INDEX_FOLDER).exists()


def site(learner: Path | None, *, assessed: bool = False) -> Site:
    mode = "assessed" if assessed else "practice"
    return Site(Path("/course"), Path("/course/practice"), {"modules": [{"mode": mode}]}, learner)  # type: ignore[typeddict-item]


def test_the_landing_says_where_progress_is_kept_and_shows_the_code(tmp_path):
    learner = tmp_path / new_learner_id()
    html = resume_html(site(learner))
    code = code_of(learner)
    assert code is not None
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    assert text == (
        "Your progress is kept on this course server, linked to this browser. To carry on in another "
        f"browser or device, open the resume page there and enter your resume code: {shown(code)} "
        "(or send yourself a link that fills it in)."
    )
    assert f'<a href="{RESUME_LINK}">the resume page</a>' in html
    assert f'<a href="{RESUME_LINK}?code={shown(code)}">' in html
    assert resume_html(site(learner)) == html  # the same code on every visit


def test_no_resume_code_when_assessed_or_without_a_learner_folder(tmp_path):
    assert resume_html(site(None)) == ""
    assert resume_html(site(tmp_path / new_learner_id(), assessed=True)) == ""
    assert not list(tmp_path.iterdir())  # nothing made


def test_a_server_that_cannot_keep_a_code_still_says_where_progress_is(tmp_path):
    (tmp_path / "blocked").write_text("a file where the progress folder should be")
    html = resume_html(site(tmp_path / "blocked" / new_learner_id()))
    assert "kept on this course server" in html and "resume code" not in html
