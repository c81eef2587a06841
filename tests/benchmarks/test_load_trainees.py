"""The load generator (benchmarks/load_trainees.py) against a real `course serve`: two trainee
sessions speak Voila's and the kernel's protocol, play their scenarios to an ending, and the
server's progress folder then holds exactly what they played. So the benchmark cannot rot
silently when the app or Voila changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.load_trainees import PLAYED, course_serve, lost_answers, run_sessions
from course.play.answers import read_answers

from ..conftest import run_coroutine


@pytest.mark.slow
def test_two_sessions_play_to_an_ending_and_the_server_saved_what_they_played(tmp_path):
    with course_serve(tmp_path) as served:
        sessions = run_coroutine(
            run_sessions(served.url, served.pages, 2, seed=3, ramp=0, think=0, timeout=180)
        )
    assert len({s.learner for s in sessions}) == 2, "each session is a browser with its own learner"
    for s in sessions:
        assert s.outcome == PLAYED, f"session {s.number}, {s.doing}: {s.problem}"
        assert s.first_widget is not None and s.first_widget <= s.seconds
        assert s.shutdown == 204, "leaving the page shuts its kernel down"
        scenario = s.page.scenario
        endings = {e["id"] for e in scenario["endings"]}
        steps = {st["id"]: st for st in scenario["steps"]}
        last = s.choices[-1]
        assert next(o for o in steps[last["step"]]["options"] if o["id"] == last["option"])["next"] in endings
        assert bool(s.reflection) == bool(scenario["reflection"]), "a reflection where the page asks one"
        saved = read_answers(served.progress / s.learner / s.page.module, scenario)
        assert saved is not None, f"nothing saved for session {s.number}"
        assert saved.choices == s.choices
        assert saved.reflection == s.reflection
        assert {step: saved.orders[step] for step in s.orders} == s.orders, "the option orders it was shown"
        assert lost_answers(s, served.progress) == []


def test_a_busy_page_counts_as_turned_away_with_its_response_time_not_as_a_failure(course):
    """A server at capacity answers 503 with Retry-After: the session is turned away, not failed,
    and nothing of it can be a lost answer."""
    from aiohttp import web

    from benchmarks.load_trainees import TURNED_AWAY, Page, succeeded
    from tests.conftest import free_port

    scenario = course.scenarios[0]
    page = Page(scenario.module, f"/voila/render/practice/{scenario.module}/{scenario.id}.ipynb", {})

    asked: list[str] = []

    async def busy_server_and_two_sessions(come_back: int):
        async def busy(request):
            asked.append(request.path)
            headers = {"Retry-After": "60", "Refresh": "0.2"}  # the page reloads itself soon, here
            return web.Response(status=503, text="Busy, try again in a minute", headers=headers)

        app = web.Application()
        app.router.add_get("/{path:.*}", busy)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            url = f"http://127.0.0.1:{port}"
            return await run_sessions(
                url, [page], 2, seed=1, ramp=0, think=0, timeout=30, come_back=come_back
            )
        finally:
            await runner.cleanup()

    for come_back in (0, 2):  # gone at the busy page; or staying while it reloads itself twice
        asked.clear()
        for s in run_coroutine(busy_server_and_two_sessions(come_back)):
            assert s.outcome == TURNED_AWAY and s.problem == "", s.problem
            assert s.retry_after == "60" and len(s.answered_seconds) == 1 + come_back
            assert s.first_widget is None
            assert not succeeded(s, {}) and s.learner is None and lost_answers(s, Path("unused")) == []
        assert asked == [page.path] * 2 * (1 + come_back)
