"""What grading one submission reads for each of its notebooks, read once per submission.

nbgrader builds its preprocessors afresh for every notebook, so the course's would open the
gradebook again, notebook after notebook, for what is the same for the whole submission: the
module's keys as released, the trainee's extension. Inside :func:`one_submission` (the course's
autograde grades each submission in one) such a read is kept until the submission is graded;
outside it (``nbgrader autograde`` run by hand, the formgrader) every call reads afresh. The scope
is one submission, so nothing read is ever older than the grading that uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_READ: ContextVar[dict[Hashable, Any] | None] = ContextVar("course_grading_once", default=None)


@contextmanager
def one_submission() -> Iterator[None]:
    """Within: each :func:`once` read is made at most once."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def once(what: Hashable, read: Callable[[], T]) -> T:
    """``read()``, or within :func:`one_submission` what it returned for ``what`` the first time."""
    done = _READ.get()
    if done is None:
        return read()
    if what not in done:
        done[what] = read()
    return done[what]
