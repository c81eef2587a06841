"""The dashboard draws each selection's page once and keeps it: a filter change to a selection
drawn already (or drawn in the background meanwhile) only swaps the HTML; a cohort read again is
drawn again; a selection that cannot be drawn raises each time it is asked for, nothing kept."""

from __future__ import annotations

import threading

import pytest

from course.cohort.dashboard.page import Bodies


class Drawn:
    """A drawing function that records what it drew, and in which thread."""

    def __init__(self, fails: set[tuple[str, str]] = frozenset()):
        self.calls: list[tuple[str, str, str]] = []
        self.fails = fails
        self.lock = threading.Lock()

    def __call__(self, label: str, module: str) -> str:
        with self.lock:
            self.calls.append((label, module, threading.current_thread().name))
        if (label, module) in self.fails:
            raise ValueError(f"cannot draw {label}/{module}")
        return f"<p>{label} {module} #{len(self.calls)}</p>"


def drawn_selections(draw: Drawn) -> list[tuple[str, str]]:
    return [(label, module) for label, module, _ in draw.calls]


def test_a_selection_is_drawn_once_and_shown_again_as_drawn() -> None:
    draw = Drawn()
    bodies = Bodies(draw)
    first = bodies.get("autumn", "")
    assert bodies.get("autumn", "m1") != first
    assert bodies.get("autumn", "") == first
    assert drawn_selections(draw) == [("autumn", ""), ("autumn", "m1")]


def test_the_background_draws_the_others_and_a_read_again_cohort_is_drawn_again() -> None:
    draw = Drawn()
    bodies = Bodies(draw)
    bodies.get("autumn", "")
    bodies.prepare([("autumn", ""), ("autumn", "m1"), ("autumn", "m2"), ("spring", "")])
    bodies._worker.join(timeout=30)
    assert not bodies._worker.is_alive()
    background = [c for c in draw.calls if c[2] == "dashboard-bodies"]
    assert [c[:2] for c in background] == [("autumn", "m1"), ("autumn", "m2"), ("spring", "")]
    count = len(draw.calls)
    assert bodies.get("autumn", "m2").endswith(f"#{count - 1}</p>")  # the one drawn in the background
    assert len(draw.calls) == count

    bodies.forget("autumn")
    again = bodies.get("autumn", "m2")
    assert again.endswith(f"#{count + 1}</p>") and len(draw.calls) == count + 1
    assert bodies.get("spring", "").endswith(f"#{count}</p>")  # the other cohort is kept


def test_a_selection_that_cannot_be_drawn_raises_whenever_asked_and_is_not_kept() -> None:
    draw = Drawn(fails={("autumn", "m1")})
    bodies = Bodies(draw)
    bodies.prepare([("autumn", "m1"), ("autumn", "")])
    bodies._worker.join(timeout=30)
    for _ in range(2):
        with pytest.raises(ValueError, match="cannot draw autumn/m1"):
            bodies.get("autumn", "m1")
    assert drawn_selections(draw).count(("autumn", "m1")) == 3
    assert bodies.get("autumn", "") == "<p>autumn  #2</p>"
