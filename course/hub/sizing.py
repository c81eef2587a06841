"""How big a trainee's server is on Kubernetes, from what one measured on the single-server hub.

``deploy/kubernetes/sizing.json`` holds the measured figures (:class:`Measured`); the Helm values'
``singleuser.memory`` and ``singleuser.cpu`` are :func:`resources` of them and the README's table
of trainees per node is :func:`sizing_table` of them (tests/hub/test_kubernetes.py holds both to
it), so that nobody guesses a request or a limit.

Memory is USS (what a process alone holds: its pages shared with nobody), in MiB, of a trainee's
server with its page kernels; CPU is the server's and kernels' user + system seconds.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

MEMORY_STEP_MIB = 64  # requests and limits are whole multiples of this
CPU_STEP = 0.05
LIMIT_HEADROOM = 1.5  # a page's reaction can briefly need more than anything measured
CPU_LIMIT_FLOOR = 1.0  # one core at least: a page renders at the speed of one core
# Kept free on every node for the kubelet, the system and the chart's per-node pods (image puller,
# a CNI agent): about what managed Kubernetes services reserve on nodes of these sizes.
RESERVE_MIB = 1024
RESERVE_CORES = 0.25
NODE_SIZES = ((2, 8), (4, 16), (8, 32), (16, 64))  # cores, GiB


class SizingError(ValueError):
    """sizing.json cannot be read as measured figures; the message says which file and what."""


@dataclass(frozen=True)
class Measured:
    """One measurement of trainees' servers (``benchmarks/hub_trainees.py``, or by hand)."""

    date: str  # ISO date of the measurement
    machine: str  # where: cores, memory, system
    source: str  # how: which command, how many pages
    trainees: int  # trainees measured at once
    mib_per_trainee_mean: float  # USS of a trainee's server and kernels, averaged over the session
    mib_per_trainee_peak: float  # the highest sampled
    cpu_seconds_per_trainee: float  # CPU seconds a trainee's server and kernels used in the session
    session_seconds: float  # how long the session lasted (wall clock)
    cpu_cores_per_trainee_peak: float  # the highest CPU rate sampled, in cores
    hub_mib: float  # the hub's own USS (hub, proxy and idle culler), idle

    @property
    def cpu_cores_per_trainee_mean(self) -> float:
        return self.cpu_seconds_per_trainee / self.session_seconds


def load(path: Path) -> Measured:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SizingError(f"{path}: cannot read the measured figures: {exc}") from exc
    names = {f.name for f in fields(Measured)}
    if not isinstance(data, dict) or set(data) != names:
        have = set(data) if isinstance(data, dict) else set()
        missing = ", ".join(sorted(names - have)) or "none"
        unknown = ", ".join(sorted(have - names)) or "none"
        raise SizingError(
            f"{path}: expected the fields {', '.join(sorted(names))}; missing {missing}, unknown {unknown}"
        )
    measured = Measured(**data)
    for name in ("mib_per_trainee_mean", "mib_per_trainee_peak", "session_seconds", "trainees"):
        value = getattr(measured, name)
        if not isinstance(value, int | float) or value <= 0:
            raise SizingError(f"{path}: {name} must be a positive number, not {value!r}")
    return measured


def dump(measured: Measured, path: Path) -> None:
    Path(path).write_text(json.dumps(asdict(measured), indent=2) + "\n", encoding="utf-8")


def _up(value: float, step: float) -> float:
    return round(math.ceil(round(value / step, 6)) * step, 2)


def memory_mib(measured: Measured) -> tuple[int, int]:
    """(guarantee, limit) in MiB."""
    guarantee = int(_up(measured.mib_per_trainee_mean, MEMORY_STEP_MIB))
    limit = int(_up(measured.mib_per_trainee_peak * LIMIT_HEADROOM, MEMORY_STEP_MIB))
    return guarantee, max(limit, guarantee)


def cpu_cores(measured: Measured) -> tuple[float, float]:
    """(guarantee, limit) in cores."""
    guarantee = max(_up(measured.cpu_cores_per_trainee_mean, CPU_STEP), CPU_STEP)
    limit = max(CPU_LIMIT_FLOOR, _up(measured.cpu_cores_per_trainee_peak, CPU_STEP))
    return guarantee, limit


def resources(measured: Measured) -> dict:
    """``singleuser.memory`` and ``singleuser.cpu`` of the Helm values, by this rule:

    - memory guarantee: the mean per trainee, rounded up to 64 MiB; limit: the peak x 1.5,
      rounded up to 64 MiB (never below the guarantee);
    - CPU guarantee: the mean cores per trainee (CPU seconds / session seconds), rounded up to
      0.05 core; limit: the peak cores rounded up to 0.05, or 1 core, whichever is more.

    Memory is written as KubeSpawner reads it (``M`` is MiB, 1024-based); CPU in cores.
    """
    mem_guarantee, mem_limit = memory_mib(measured)
    cpu_guarantee, cpu_limit = cpu_cores(measured)
    return {
        "memory": {"guarantee": f"{mem_guarantee}M", "limit": f"{mem_limit}M"},
        "cpu": {"guarantee": cpu_guarantee, "limit": cpu_limit},
    }


def trainees_per_node(node_mib: float, node_cores: float, measured: Measured) -> tuple[int, str]:
    """How many trainees' servers Kubernetes places on a node, and what runs out first: the
    scheduler places a pod where its guarantees still fit, after the node's reserve."""
    mem_guarantee, _ = memory_mib(measured)
    cpu_guarantee, _ = cpu_cores(measured)
    by_memory = max(0, math.floor((node_mib - RESERVE_MIB) / mem_guarantee))
    by_cpu = max(0, math.floor(round((node_cores - RESERVE_CORES) / cpu_guarantee, 6)))
    return (by_memory, "memory") if by_memory <= by_cpu else (by_cpu, "CPU")


def sizing_table(measured: Measured) -> str:
    """A Markdown table of trainees per node for common node sizes."""
    mem_guarantee, mem_limit = memory_mib(measured)
    cpu_guarantee, cpu_limit = cpu_cores(measured)
    lines = [
        f"Measured {measured.date} on {measured.machine} ({measured.source}; {measured.trainees} "
        f"trainee(s)): {measured.mib_per_trainee_mean:.0f} MiB mean, {measured.mib_per_trainee_peak:.0f} "
        f"MiB peak, {measured.cpu_seconds_per_trainee:.1f} CPU s in {measured.session_seconds:.0f} s, "
        f"{measured.cpu_cores_per_trainee_peak:.2f} cores peak per trainee; the hub "
        f"{measured.hub_mib:.0f} MiB.",
        f"Each trainee's pod: memory {mem_guarantee} MiB guaranteed, {mem_limit} MiB limit; CPU "
        f"{cpu_guarantee:g} core guaranteed, {cpu_limit:g} limit. Reserved on each node: "
        f"{RESERVE_MIB} MiB, {RESERVE_CORES:g} core.",
        "",
        "| Node (cores / memory) | Trainees per node | Limited by |",
        "|---|---:|---|",
    ]
    for cores, gib in NODE_SIZES:
        count, limit = trainees_per_node(gib * 1024, cores, measured)
        lines.append(f"| {cores} cores / {gib} GiB | {count} | {limit} |")
    return "\n".join(lines) + "\n"
