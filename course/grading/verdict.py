"""The guard's verdict on one submitted scenario: the only input the kernel-side grader reads.

Written by :class:`course.grading.guard.GuardSubmission` in the grader's own process; it holds
validated data (choice ids and reflection text), never anything executable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

SUFFIX = ".verdict.json"
OK, TAMPERED, NOT_STARTED = "ok", "tampered", "not-started"


@dataclass
class Verdict:
    scenario: str
    status: str
    reasons: list[str] = field(default_factory=list)
    choices: list[dict[str, str]] = field(default_factory=list)
    reflection: str = ""

    def write(self, folder: Path) -> Path:
        path = verdict_path(folder, self.scenario)
        path.write_text(
            json.dumps(asdict(self), indent=1, sort_keys=True, ensure_ascii=True), encoding="utf-8"
        )
        return path


def verdict_path(folder: Path, scenario_id: str) -> Path:
    return folder / f"{scenario_id}{SUFFIX}"


def read_verdict(folder: Path, scenario_id: str) -> Verdict | None:
    path = verdict_path(folder, scenario_id)
    if not path.exists():
        return None
    return Verdict(**json.loads(path.read_text(encoding="utf-8")))
