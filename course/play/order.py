"""The order a trainee sees a decision's options in: shuffled, and the same on every visit.

Options are authored in any order; shown in file order, the position of the best answer would
be a cue. Each (viewer, scenario, step) gets its own order from a hash, so a trainee sees one
order on every reload and visit while two trainees mostly see different ones. Nothing
downstream depends on it: a choice is an option id, and the order shown is recorded with the
answers only so that a tutor can look for position effects.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Sequence

from ..documents import OptionData, StepData
from .exchange import trainee_id
from .learner import LEARNER_ENV, valid_learner_id


def viewer_id() -> str:
    """Who is looking: the self-study learner's id from the server's cookie, else the trainee's
    platform identity (JupyterHub user, or the account running the app)."""
    return valid_learner_id(os.environ.get(LEARNER_ENV)) or trainee_id()


def option_order(viewer: str, scenario_id: str, step: StepData) -> list[str]:
    """The option ids of ``step`` in the order ``viewer`` sees them."""
    ids = [o["id"] for o in step["options"]]
    seed = hashlib.sha256("\0".join((viewer, scenario_id, step["id"])).encode()).digest()
    random.Random(seed).shuffle(ids)
    return ids


def in_order(step: StepData, order: Sequence[str]) -> list[OptionData]:
    """The step's options, arranged as ``order`` says."""
    by_id = {o["id"]: o for o in step["options"]}
    return [by_id[i] for i in order]
