"""How long a trainee waits for a page, and what an open page costs the server, against plain Voila.

Two servers run side by side on this machine: `course serve` as the README starts it, and plain
Voila (its defaults, no course configuration) serving notebooks of one RadioButtons each, the
least any Voila page with a control can be. Headless Chromium (Debian's) times, for each page,
from navigation to the first usable control (an enabled radio button; on the landing page its
"Start"/"Continue" link, on a reading its text, on the certificate the name box), measured by the
page itself (``performance.now()`` when the control is first there), in rounds that interleave the
two servers so both see the same load:

- cold: a new browser context per page (an empty cache, a first visit);
- warm: one context per server, page after page of a module, as a trainee clicking Next does
  (the first page of each sequence is left out: it is a cold one).

Then memory: the USS of the kernel behind one open page of each server, and how long each server
takes to free that kernel after the tab is closed, and after the tab crashes (its renderer
process killed: no unload, the websocket just drops).

Run: ``python3 -m uv run python benchmarks/page_speed.py [--rounds N] [--no-crash]``. Prints
medians with ratios course / plain Voila (below 1.0: the course is faster).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import nbformat
import psutil

from course.paths import PRACTICE_DIR, REPO
from tests.conftest import BIN, CHROMIUM, CHROMIUM_ARGS, LAPTOP, free_port, http_server, tool_env

MODULE = "01-public-and-permanent"
# Which control makes each kind of page usable, chosen by the page's own path.
USABLE_SCRIPT = """
(() => {
  const path = location.pathname;
  const selector = path.endsWith('/index.ipynb') ? 'a.mip-button, .mip-continue'
    : path.endsWith('/certificate.ipynb') ? '.mip-name input:not([disabled])'
    : path.endsWith('/reading.ipynb') ? '.mip-reading'
    : 'input[type=radio]:not([disabled])';
  const check = () => {
    const found = document.querySelector(selector);
    if (found && found.getClientRects().length) { window.__usable = performance.now(); return; }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""
PLAIN_CELL = (
    "import ipywidgets as widgets\n"
    "widgets.RadioButtons(options=['Withdraw the post', 'Seek supervision', 'Leave it'],"
    " description='What do you do?')"
)


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.samples.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])


def plain_site(folder: Path, pages: int) -> None:
    """Plain Voila's notebooks: ``page-N.ipynb``, each one RadioButtons."""
    folder.mkdir()
    for n in range(pages):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PLAIN_CELL)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"page-{n}.ipynb")


def course_pages() -> list[str]:
    """The module's scenario pages in the order Next leads through them."""
    module = json.loads((PRACTICE_DIR / MODULE / "module.json").read_text(encoding="utf-8"))
    return [f"practice/{MODULE}/{p['id']}.ipynb" for p in module["pages"] if p["id"] != "reading"]


def offline(context) -> None:
    """Nothing leaves the machine (plain Voila's template asks a CDN for its icons)."""
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("http://127.0.0.1", "data:"))
            else route.abort()
        ),
    )


def visit(page, url: str, timeout: float = 120) -> float:
    """Go to ``url`` in ``page``; seconds from navigation to its first usable control."""
    page.goto(url, wait_until="commit", timeout=timeout * 1000)
    page.wait_for_function("window.__usable !== undefined", timeout=timeout * 1000, polling=50)
    return page.evaluate("window.__usable") / 1000


def open_page(context, url: str, timeout: float = 120):
    page = context.new_page()
    return page, visit(page, url, timeout)


def kernel_process(kernel_id: str) -> psutil.Process:
    """The process of the kernel whose connection file (``kernel-ID.json``) names ``kernel_id``."""
    for proc in psutil.process_iter(["cmdline"]):
        if any(f"kernel-{kernel_id}.json" in part for part in proc.info["cmdline"] or []):
            return proc
    raise LookupError(f"no kernel process for {kernel_id}")


def page_kernel_id(page) -> str:
    """The kernel id Voila gave the page, from the page's configuration."""
    return page.evaluate("JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")


def renderers() -> set[int]:
    """Chromium's renderer processes now (a new tab's is among those that appear when it opens;
    CDP's Page.crash never answers, so a crash is made by killing them)."""
    found = set()
    for proc in psutil.process_iter(["cmdline"]):
        if "--type=renderer" in (proc.info["cmdline"] or []):
            found.add(proc.pid)
    return found


def seconds_until_gone(proc: psutil.Process, limit: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE:
            return time.monotonic() - start
        time.sleep(0.25)
    return None


def measure_memory(browser, base: str, path: str, crash: bool) -> dict:
    """USS of one open page's kernel, and seconds until the server frees it after the tab closes
    and after it crashes (None: not within 180 s)."""
    figures = {}
    for how in ("closed", "crashed") if crash else ("closed",):
        context = browser.new_context(**LAPTOP)
        context.add_init_script(USABLE_SCRIPT)
        offline(context)
        before = renderers()
        page, _ = open_page(context, f"{base}/{path}")
        kernel = kernel_process(page_kernel_id(page))
        figures["uss_mb"] = kernel.memory_full_info().uss / 2**20
        if how == "closed":
            page.close(run_before_unload=True)
        else:  # the tab's renderer killed, as an out-of-memory kill would: no unload, no beacon
            with page.expect_event("crash", timeout=30_000):
                for pid in renderers() - before:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        figures[f"freed_after_{how}_s"] = seconds_until_gone(kernel, 180)
        context.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--no-crash", action="store_true", help="skip the crashed-tab measurement (up to 3 min)"
    )
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = course_pages()
    timings = Timings()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        tmp = Path(tmp)
        plain_site(tmp / "plain", len(pages))
        plain_port, course_port = free_port(), free_port()
        plain_url = stack.enter_context(
            http_server(
                [str(BIN / "voila"), str(tmp / "plain"), f"--port={plain_port}", "--no-browser"],
                plain_port,
                tmp / "plain.log",
                cwd=tmp,  # no voila.json here: Voila's defaults
            )
        )
        course_url = stack.enter_context(
            http_server(
                [
                    str(BIN / "course"),
                    "serve",
                    "--port",
                    str(course_port),
                    "--progress",
                    str(tmp / "progress"),
                ],
                course_port,
                tmp / "course.log",
                cwd=REPO,
                env=tool_env(),
            )
        )
        plain = {"scenario": [f"{plain_url}/voila/render/page-{n}.ipynb" for n in range(len(pages))]}
        course = {
            "scenario": [f"{course_url}/voila/render/{p}" for p in pages],
            "landing": [f"{course_url}/voila/render/index.ipynb"],
            "reading": [f"{course_url}/voila/render/practice/{MODULE}/reading.ipynb"],
            "certificate": [f"{course_url}/voila/render/certificate.ipynb"],
        }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def cold(url: str) -> float:
                context = browser.new_context(**LAPTOP)
                context.add_init_script(USABLE_SCRIPT)
                offline(context)
                _, seconds = open_page(context, url)
                context.close()
                return seconds

            # Warm-up: each server's first page pays for imports and caches once.
            cold(plain["scenario"][0]), cold(course["scenario"][0])
            for r in range(args.rounds):
                timings.add("plain scenario cold", cold(plain["scenario"][r % len(pages)]))
                for kind, urls in course.items():
                    timings.add(f"course {kind} cold", cold(urls[r % len(urls)]))
                warm = {}
                for name in ("plain", "course"):
                    warm[name] = browser.new_context(**LAPTOP)
                    warm[name].add_init_script(USABLE_SCRIPT)
                    offline(warm[name])
                tab = {name: context.new_page() for name, context in warm.items()}
                sequence = [("scenario", i) for i in range(len(pages))] + [
                    ("landing", 0),
                    ("reading", 0),
                    ("certificate", 0),
                ]
                for step, (kind, i) in enumerate(sequence):
                    for name, site in (("plain", plain), ("course", course)):
                        if kind not in site:
                            continue
                        seconds = visit(tab[name], site[kind][i])  # in the same tab, as Next does
                        if step:
                            timings.add(f"{name} {kind} warm", seconds)
                for context in warm.values():
                    context.close()
                print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
            memory = {
                "plain": measure_memory(browser, plain_url, "voila/render/page-0.ipynb", not args.no_crash),
                "course": measure_memory(browser, course_url, f"voila/render/{pages[0]}", not args.no_crash),
            }
            browser.close()

    print(
        f"\nPage speed, {date.today()}, {platform.node()}: {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, load {os.getloadavg()[0]:.1f}; "
        f"{args.rounds} rounds, medians (navigation -> first usable control)"
    )
    for mode in ("cold", "warm"):
        base = timings.median(f"plain scenario {mode}")
        n = len(timings.samples[f"plain scenario {mode}"])
        print(f"  plain Voila, one RadioButtons {mode:4}: {base:6.2f} s  (n={n})")
        for kind in course:
            name = f"course {kind} {mode}"
            if name in timings.samples:
                got, n = timings.median(name), len(timings.samples[name])
                print(f"  course {kind:11} {mode:4}: {got:6.2f} s  x{got / base:.2f} plain  (n={n})")
    print("\nOne open page's kernel (USS) and seconds until the server frees it")
    for name, figures in memory.items():
        line = "  ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
        print(f"  {name:6}: {line}")
    ratio = memory["course"]["uss_mb"] / memory["plain"]["uss_mb"]
    print(f"  course / plain USS: x{ratio:.2f}")


if __name__ == "__main__":
    main()
