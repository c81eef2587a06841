"""What a trainee's CPD certificate states: which modules they have completed (every page finished
and the knowledge check passed), with their CPD time and learning outcome, when, and under which
version of the policy. Pure data from the built documents and the trainee's progress, shared by
the certificate page (in the kernel) and the server's PDF and verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..documents import Catalog, PolicyStamp
from ..status import PageStatus
from .progress import ModuleProgress

MAX_NAME = 120  # characters of a name the certificate shows


@dataclass(frozen=True)
class ModuleAward:
    title: str
    minutes: int  # CPD time
    outcome: str  # what completing it shows the trainee can do


@dataclass(frozen=True)
class Certificate:
    name: str
    modules: tuple[ModuleAward, ...]
    completed_on: date
    policy: PolicyStamp

    @property
    def minutes(self) -> int:
        return sum(m.minutes for m in self.modules)


def hours_minutes(minutes: int) -> str:
    """CPD time as a CPD log records it: "45 min", "2 h", "7 h 35 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def long_date(day: date) -> str:
    """A date as the certificate writes it: "20 November 2026"."""
    return day.strftime("%-d %B %Y")


def certified(progress: list[ModuleProgress]) -> list[ModuleProgress]:
    """The modules a certificate lists: every page finished and the knowledge check passed
    (submitted or not); a module due for a retake is not, until retaken."""
    return [m for m in progress if m.progress == PageStatus.COMPLETED and m.passed]


def certificate_for(
    name: str, catalog: Catalog, progress: list[ModuleProgress], today: date
) -> Certificate | None:
    """None until at least one module is complete: every page finished and the knowledge check
    passed (when assessed, as the tutor's released feedback says). The date is the last
    completion's date (UTC, as answers are stamped). A module due for a retake (the policy changed
    since) is not listed until retaken."""
    documents = {m["id"]: m for m in catalog["modules"]}
    done = certified(progress)
    if not done or catalog["policy"] is None:
        return None
    stamps = [p.updated for m in done for p in m.graded if p.updated]
    completed_on = max((date.fromisoformat(s[:10]) for s in stamps), default=today)
    modules = tuple(
        ModuleAward(m.title, documents[m.id]["cpd_minutes"], documents[m.id].get("outcome", "")) for m in done
    )
    return Certificate(name[:MAX_NAME], modules, completed_on, catalog["policy"])
