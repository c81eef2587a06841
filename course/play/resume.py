"""A learner's resume code: their self-study progress carried to another browser, without an account.

Progress is kept on the course server, in the folder of the learner id the browser's cookie names
(``course.play.learner``). That id is a long secret nobody should have to copy, so each learner
also gets a short resume code to type in another browser: 12 characters of Crockford's base32
(no I, L, O or U), shown as ``ABCD-EFGH-JKMN``. Typed on the resume page (``course/resume_route.py``),
it points that browser's cookie at the same learner.

A code is drawn at random with ``secrets`` (60 bits), never derived from the learner id or from
another code, and is made once per learner by the landing page's kernel, then kept:

- ``<progress>/<learner>/resume-code``: the learner's own code;
- ``<progress>/resume/<code>``: the index, the learner id the code belongs to, so that the server
  finds the learner without scanning every folder. ``resume`` is no learner id (those are 32
  characters), so the index is never taken for a learner's folder.

Each file is written whole or not at all (linked into place from a finished temporary file, which
fails if the name is taken), so two tabs making a code at once agree on the first one written; a
code counts only while the index and the learner's own file name each other.

Stdlib only: the server imports this module to look a code up.
"""

from __future__ import annotations

import os
import re
import secrets
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from .learner import valid_learner_id

if TYPE_CHECKING:
    from .site import Site

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
LENGTH = 12  # 32**12 = 2**60 codes
GROUP = 4  # shown as ABCD-EFGH-JKMN
CODE_FILE = "resume-code"  # in the learner's own folder
INDEX_FOLDER = "resume"  # in the progress folder: one file per code, holding its learner's id
RESUME_ROUTE = "resume"  # the server's resume page, beside the certificate routes
RESUME_LINK = f"../../{RESUME_ROUTE}"  # the resume page, from the landing page (voila/render/index.ipynb)
MAX_TYPED = 40  # more than anyone types for 12 characters, with spaces or dashes between groups
EXAMPLE = "ABCD-EFGH-JKMN"

_CODE = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")
_SEPARATORS = str.maketrans("", "", " \t\r\n-")
_SLIPS = str.maketrans({"O": "0", "I": "1", "L": "1"})  # read as Crockford's decoding reads them


def new_code() -> str:
    """A fresh random code (canonical form: 12 characters of the alphabet, no dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """A canonical code as people read and type it: ABCD-EFGH-JKMN."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str | None) -> str | None:
    """The canonical code a person meant, or None if ``typed`` is not one: small letters, spaces
    and dashes are fine, O reads as 0 and I or L as 1. Anything outside ASCII is refused before
    any case mapping (the dotless i's capital is ``"I"``), so a lookalike never becomes a code."""
    if not typed or len(typed) > MAX_TYPED or not typed.isascii():
        return None
    code = typed.translate(_SEPARATORS).upper().translate(_SLIPS)
    return code if _CODE.fullmatch(code) else None


def code_of(learner: Path) -> str | None:
    """The code kept in ``learner``'s own folder, or None if there is none (or it is not a code)."""
    try:
        kept = (learner / CODE_FILE).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    return kept if _CODE.fullmatch(kept) else None


def _create(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless a file is there already, whole or not at all: readers see
    no file or the finished one. True if this call wrote it."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text)
        os.link(tmp, path)  # fails, changing nothing, if the name is taken
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def resume_code(learner: Path) -> str:
    """``learner``'s code (their folder in the progress folder), made on first use and then kept.

    Two tabs may ask at once: each draws a code and claims it in the index, then one of them
    claims the learner's own file; the other withdraws its index entry and takes the winner's."""
    if valid_learner_id(learner.name) is None:
        raise ValueError(f"{learner.name!r} is not a learner id")
    index = learner.parent / INDEX_FOLDER
    kept = code_of(learner)
    if kept is not None:
        if not (index / kept).exists():  # the index was lost: put the entry back
            index.mkdir(parents=True, exist_ok=True)
            _create(index / kept, learner.name)
        return kept
    learner.mkdir(parents=True, exist_ok=True)
    index.mkdir(exist_ok=True)
    code = new_code()
    while not _create(index / code, learner.name):  # another learner's (1 chance in 2**60): draw again
        code = new_code()
    if _create(learner / CODE_FILE, code):
        return code
    (index / code).unlink(missing_ok=True)  # another tab of this learner was first: theirs stands
    kept = code_of(learner)
    if kept is None:
        raise OSError(f"{learner / CODE_FILE} is not a resume code")
    return kept


def learner_for(progress: Path, typed: str | None) -> str | None:
    """The learner id whose code ``typed`` is, on the server keeping progress in ``progress``, or
    None. A malformed code is refused before the file system is touched: only a canonical code,
    12 characters of the alphabet, ever becomes a file name."""
    code = normalise(typed)
    if code is None:
        return None
    try:
        learner = valid_learner_id((progress / INDEX_FOLDER / code).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        return None
    # The entry counts only if that learner's own code is this one: an entry left from a race, or
    # one pointing at another learner, never hands over someone else's progress.
    return learner if learner is not None and code_of(progress / learner) == code else None


KEPT = "Your progress is kept on this course server, linked to this browser."


def resume_html(site: Site) -> str:
    """Where self-study progress is kept, and how to carry it to another browser with the resume
    code; "" when assessed (answers stay in the trainee's own folder) or with no learner folder."""
    if site.assessed or site.learner is None:
        return ""
    try:
        code = resume_code(site.learner)
    except (OSError, ValueError):
        return f'<p class="mip-resume">{KEPT}</p>'
    return (
        f'<p class="mip-resume">{KEPT} To carry on in another browser or device, open '
        f'<a href="{RESUME_LINK}">the resume page</a> there and enter your resume code: '
        f'<strong class="mip-resume-code">{escape(shown(code))}</strong> (or send yourself '
        f'<a href="{RESUME_LINK}?code={escape(shown(code))}">a link that fills it in</a>).</p>'
    )
