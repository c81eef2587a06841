"""Kernels started ahead of visitors, and a limit on how many pages the server keeps open.

Every page of the course is one code cell that calls the course (``play_scenario(...)``,
``show_landing()``...), so a page's kernel spends most of its start importing Python, ipykernel,
ipywidgets and the course. :class:`WarmKernelManager` keeps a few kernels started with that done,
in an empty folder of their own; a page takes one and the kernel is moved to the page's folder and
given the page's environment (the request's variables, the learner) before Voila runs the cell,
exactly what a kernel started for that page would have had. Unlike Voila's own ``preheat_kernel``
pools, which keep kernels per notebook (for the course's 60-odd pages, 60-odd idle kernels and a
start-up storm), one small pool serves every page.

``capacity`` bounds the pages open at once, so that a crowd gets a clear "busy" page from
:mod:`course.serve` rather than a server that runs out of memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import psutil
from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import ensure_async
from traitlets import Float, Integer, List, Unicode, default

# What one open page costs the server at most: its kernel (``course.page_kernel``) holds 32 MB of
# its own and 48 MB resident with its widgets drawn (docs/performance.md); the margin covers the
# server's share (the page's websocket and messages).
PAGE_MEMORY = 80 * 2**20
RESERVED_MEMORY = 2 * 2**30  # for the server itself, the system and the kernels still warming
PACE_WEIGHT = 0.2  # of the latest gap between two pages finishing, in the pace (a moving average)
PACE_GAPS = 3  # gaps measured before the pace is trusted to turn anybody away


@dataclass(frozen=True, eq=False)  # each is itself: compared by identity
class _Waiting:
    turn: asyncio.Future[bool]  # True: its turn; False: no turn in time
    since: float  # time.monotonic() of its arrival


def usable_cores() -> int:
    """The cores this server may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _settle(turn: asyncio.Future[bool], granted: bool) -> bool:
    """Answer a waiting page once (a later answer is ignored); whether this one was the answer."""
    if turn.done():
        return False
    turn.set_result(granted)
    return True


# Claiming a kernel: the page's folder and environment, as a kernel started there would have.
# ``''`` on an IPython kernel's import path is the working folder, so moving it is enough. Each
# variable the page's environment changes ({name: [value the kernel was started with, value for
# the page or None]}) is changed unless the kernel set it itself at start (ipykernel sets TERM),
# as it would have for the page too.
_ADOPT = (
    "import json as _json, os as _os\n"
    "_os.chdir({cwd!r})\n"
    "[(_os.environ.pop(k, None) if new is None else _os.environ.__setitem__(k, new))"
    " for k, (was, new) in _json.loads({changes!r}).items() if _os.environ.get(k) == was]\n"
    "del _json, _os\n"
)


class WarmKernelManager(AsyncMappingKernelManager):
    """Voila's kernel manager (``VoilaConfiguration.multi_kernel_manager_class``) with a pool of
    kernels started ahead, and a capacity."""

    warm_kernels = Integer(
        3, config=True, help="Kernels kept started and ready for the next page (0: start each on demand)."
    )
    warm_imports = List(
        Unicode(),
        ["course.play.app", "course.play.landing", "course.play.certificate", "course.play.reading"],
        config=True,
        help="Modules a warm kernel imports before any page claims it.",
    )
    refill_delay = Float(
        0.5,
        config=True,
        help="Seconds before replacing a claimed kernel, so the page's own start goes first.",
    )
    pages_at_once = Integer(
        0,
        config=True,
        help="Pages whose kernel starts and draws at the same time; later arrivals wait their turn "
        "in order (0: twice the machine's cores). A crowd that all started at once would each wait "
        "as long as the last, and starved kernels draw empty pages.",
    )
    turn_seconds = Float(
        90, config=True, help="How long a page waits for its turn before the visitor is given the busy page."
    )
    capacity = Integer(
        config=True,
        help="Pages' kernels open at once before new visitors are asked to come back later. "
        "Default: the machine's memory less 2 GiB, over 80 MiB a page.",
    )

    @default("capacity")
    def _capacity_from_memory(self) -> int:
        return max(1, (psutil.virtual_memory().total - RESERVED_MEMORY) // PAGE_MEMORY)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._warm: list[str] = []  # started, imported, waiting for a page
        self._warming = 0
        self._home = tempfile.mkdtemp(prefix="mip-warm-kernels-")  # empty: nothing to import from
        self._tasks: set[asyncio.Task] = set()
        self._pages: set[str] = set()  # kernels started for a page, until shut down or culled
        self._started_with: dict[str, dict[str, str]] = {}  # a warm kernel's environment
        self._arriving = 0  # pages admitted whose response is not finished yet
        self._in_turn = 0  # pages starting and drawing now (at most pages_at_once)
        self._queue: deque[_Waiting] = deque()  # pages waiting for their turn, in order of arrival
        self._pace: float | None = None  # seconds between pages finishing while others wait
        self._gaps = 0  # how many such gaps the pace is made of
        self._last_finish: float | None = None  # when the last page finished, if others waited then
        # What a page costs in CPU over its life (drawn, played, left), measured over the spells
        # in which the server has pages: the pace of a first crowd, before its gaps are known.
        self._cost: float | None = None  # CPU-seconds of the server and its kernels per page
        self._spell: tuple[float, int] | None = None  # (CPU-seconds at its start, pages drawn)

    def fill(self) -> None:
        """Start the warm kernels; from within the server's running event loop."""
        self._schedule_fill(0)

    @property
    def pages_open(self) -> int:
        """Pages with a kernel, and pages on their way to one."""
        return len(self._pages) + self._arriving

    @property
    def waiting(self) -> int:
        """Pages admitted and waiting for their turn."""
        return len(self._queue)

    async def admit(self) -> bool:
        """Make room for one more page, unless the server is at capacity, then wait for its turn
        to start (``pages_at_once`` at a time, in order of arrival); False: at capacity, or no turn
        within ``turn_seconds``. Once the pace pages finish at is known (from a queue's gaps, or
        before any queue from what a page has cost in CPU), a page whose turn would not come in
        time is told so at once (on arrival, or as soon as the pace says so while it
        waits) rather than after ``turn_seconds``. Each admitted page calls :meth:`arrived` once
        its response is finished (its kernel, if any, counts from then; the next page's turn)."""
        if self.pages_open >= self.capacity or self.expected_wait() > self.turn_seconds:
            return False
        self._arriving += 1
        if self._in_turn < self._at_once() and not self._queue:
            self._in_turn += 1
            self._busy()
            return True
        loop = asyncio.get_running_loop()
        entry = _Waiting(loop.create_future(), time.monotonic())
        self._queue.append(entry)
        timer = loop.call_later(self.turn_seconds, _settle, entry.turn, False)  # granted or not, once
        granted = False
        try:
            granted = await entry.turn
        finally:
            timer.cancel()
            if entry in self._queue:
                self._queue.remove(entry)
            if not granted:
                self._arriving -= 1
                if entry.turn.done() and not entry.turn.cancelled() and entry.turn.result():
                    self._in_turn -= 1  # granted as its visitor's request was dropped: pass it on
                    self._grant()
        return granted

    def expected_wait(self) -> float:
        """Seconds a page arriving now would wait for its turn: those waiting ahead of it, and
        itself, at the pace pages have been finishing while others waited (0 with nobody waiting,
        or while the pace is not known yet)."""
        pace = self._trusted_pace()
        if not self._queue or pace is None:
            return 0.0
        return (len(self._queue) + 1) * pace

    def arrived(self) -> None:
        self._arriving -= 1
        self._in_turn -= 1
        if self._spell is not None:
            self._spell = (self._spell[0], self._spell[1] + 1)
            if not self._in_turn and not self._queue:  # nobody's start half counted
                self._measure_cost()  # so far: a spell that never ends still teaches what pages cost
        now = time.monotonic()
        if self._last_finish is not None:  # the last one finished with others waiting, as now
            gap = now - self._last_finish
            # A crowd's first gaps are its slowest (every request arriving at once): from what pages
            # have cost, if known, the moving average only leans towards them.
            was = self._pace if self._pace is not None else self._cost_pace()
            self._pace = gap if was is None else PACE_WEIGHT * gap + (1 - PACE_WEIGHT) * was
            self._gaps += 1
        self._last_finish = now if self._queue else None  # a pace is only measured in a queue
        self._grant()
        self._tell_the_late(now)
        self._idle()

    def _trusted_pace(self) -> float | None:
        """The pace to turn anybody away on: the gaps' moving average, once it began from what
        pages cost or is made of enough gaps; before any gap, what pages cost over the cores
        (None until a page has been measured)."""
        if self._gaps >= PACE_GAPS or (self._cost is not None and self._pace is not None):
            return self._pace  # enough gaps, or gaps that began from what pages cost
        return self._cost_pace()

    def _cost_pace(self) -> float | None:
        """The pace the machine's cores can draw pages at, from what pages have cost in CPU."""
        return None if self._cost is None else self._cost / usable_cores()

    def _busy(self) -> None:
        """A page in turn: a spell with pages starts, if none is going on (the pool's first fill,
        with no page, is not a page's cost)."""
        if self._spell is None:
            self._spell = (self._cpu_seconds(), 0)

    def _idle(self) -> None:
        """With no page open or starting and no kernel warming, the spell ends: its CPU over its
        pages is what a page costs, from its start to its end (idle time never counted)."""
        if self._spell is None or self.pages_open or self._in_turn or self._warming:
            return
        self._measure_cost()
        if self._cost is not None and not self._gaps:
            self.log.info("Pages cost %.2f CPU-seconds each (%d pages)", self._cost, self._spell[1])
        self._spell = None

    def _measure_cost(self) -> None:
        started, pages = self._spell or (0.0, 0)
        if pages and not self._gaps:  # a crowd's own pace, once known, says more
            self._cost = max(0.0, self._cpu_seconds() - started) / pages

    def _cpu_seconds(self) -> float:
        """CPU time used so far by this server and its kernels, ended ones included."""
        me = psutil.Process()
        times = me.cpu_times()
        total = times.user + times.system + times.children_user + times.children_system
        for child in me.children(recursive=True):
            try:
                times = child.cpu_times()
            except psutil.Error:
                continue  # ended meanwhile: counted with the ended ones once reaped
            total += times.user + times.system
        return total

    def _at_once(self) -> int:
        return self.pages_at_once or 2 * usable_cores()

    def _grant(self) -> None:
        while self._queue and self._in_turn < self._at_once():
            entry = self._queue.popleft()
            if _settle(entry.turn, True):
                self._in_turn += 1
                self._busy()

    def _tell_the_late(self, now: float) -> None:
        """Give the busy page now to each waiting page whose turn would come after its
        ``turn_seconds``, at the pace measured, rather than when they are over."""
        pace = self._trusted_pace()
        if pace is None:
            return
        kept: deque[_Waiting] = deque()
        for entry in self._queue:
            if (len(kept) + 1) * pace > self.turn_seconds - (now - entry.since):
                _settle(entry.turn, False)
            else:
                kept.append(entry)
        self._queue = kept

    # -- the pool --------------------------------------------------------------------------------

    def _schedule_fill(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        while len(self._warm) + self._warming < self.warm_kernels:
            self._warming += 1  # keeps a page's spell open until its refill is warm
            task = loop.create_task(self._warm_one(delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _warm_one(self, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            env = dict(os.environ)
            kernel_id = await super().start_kernel(
                kernel_name=self.default_kernel_name, path=None, cwd=self._home, env=env
            )
            self._started_with[kernel_id] = env
            try:
                imports = "\n".join(f"import {name}" for name in self.warm_imports)
                await self._run(kernel_id, imports, timeout=60)
            except Exception:
                self._started_with.pop(kernel_id, None)
                await ensure_async(super().shutdown_kernel(kernel_id, now=True))
                raise
        except Exception as error:  # a page can still start its own kernel; try again later
            self._warming -= 1
            self._idle()
            self.log.warning("A warm kernel failed to start (%s); retrying in 10 s", error)
            if self.warm_kernels:
                self._schedule_fill(10)
            return
        self._warming -= 1
        self._warm.append(kernel_id)
        self._idle()

    async def _run(self, kernel_id: str, code: str, timeout: float, started: bool = False) -> None:
        """Run ``code`` silently in the kernel; raise if it fails. A ``started`` kernel answered
        before, so its channels are not waited for (ZeroMQ queues the request until they connect)."""
        client = self.get_kernel(kernel_id).client()
        client.start_channels()
        try:
            if not started:
                await client.wait_for_ready(timeout=timeout)
            reply = await client.execute(code, silent=True, store_history=False, reply=True, timeout=timeout)
        finally:
            client.stop_channels()
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")

    async def _claim(self, path: str | None, env: dict[str, str] | None) -> str | None:
        """A warm kernel moved to the page's folder with the page's environment, or None."""
        while self._warm:
            kernel_id = self._warm.pop(0)
            page_env = dict(os.environ) if env is None else env
            launch_env = self._started_with.pop(kernel_id, {})
            changes = {
                name: [launch_env.get(name), page_env.get(name)]
                for name in launch_env.keys() | page_env.keys()
                if launch_env.get(name) != page_env.get(name)
            }
            cwd = self.cwd_for_path(path or "", env=page_env)
            code = _ADOPT.format(cwd=cwd, changes=json.dumps(changes))
            try:
                await self._run(kernel_id, code, timeout=30, started=True)
            except Exception as error:
                self.log.warning("Warm kernel %s could not be used (%s)", kernel_id, error)
                await ensure_async(super().shutdown_kernel(kernel_id, now=True))
                continue
            self.get_kernel(kernel_id).last_activity = utcnow()
            return kernel_id
        return None

    # -- the kernel manager's own API ----------------------------------------------------------

    async def start_kernel(
        self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any
    ) -> str:
        name = kwargs.get("kernel_name") or self.default_kernel_name
        claimed, started = None, time.perf_counter()
        if kernel_id is None and name == self.default_kernel_name:
            claimed = await self._claim(path, kwargs.get("env"))
            self._schedule_fill(self.refill_delay)
        if claimed is not None:
            self.log.info("Page given warm kernel %s in %.3f s", claimed, time.perf_counter() - started)
        else:
            claimed = await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        self._pages.add(claimed)
        return claimed

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        # Only a page's kernel can be idle, and it is a page's once started: warm, warming, being
        # claimed or still starting (jupyter_server's culler fails with a traceback on a kernel
        # not yet given its activity time), it is passed over.
        if kernel_id not in self._pages:
            return
        await ensure_async(super().cull_kernel_if_idle(kernel_id))

    async def shutdown_kernel(self, kernel_id: str, now: bool = False, restart: bool = False) -> None:
        if kernel_id in self._warm:
            self._warm.remove(kernel_id)
        self._started_with.pop(kernel_id, None)
        if not restart:
            self._pages.discard(kernel_id)
        await ensure_async(super().shutdown_kernel(kernel_id, now=now, restart=restart))
        self._idle()

    async def shutdown_all(self, now: bool = False) -> None:
        self.warm_kernels = 0
        for task in list(self._tasks):
            task.cancel()
        await ensure_async(super().shutdown_all(now=now))
        self._warm.clear()
        self._pages.clear()
        shutil.rmtree(self._home, ignore_errors=True)
