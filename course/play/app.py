"""The scenario player shown in Voila: situation, decisions, feedback, reflection, submit."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from contextlib import nullcontext
from html import escape as _escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from ..documents import (
    MAX_REFLECTION_CHARS,
    Answers,
    InvalidAnswers,
    answers_path,
    parse_answers,
    read_module_document,
    read_play_document,
    without_surrogates,
)
from ..engine import Walk, walk, walk_score
from ..render import (
    announcement,
    choice_html,
    clause_entry,
    clause_html,
    ending_html,
    nav_html,
    next_html,
    paragraphs,
    points_text,
    question_label,
    situation_html,
)
from ..status import Kind, Mode, PageStatus
from .answers import answers_lock, read_saved, save_answers, set_aside
from .exchange import ExchangeProblem, fetch_feedback, latest_feedback, submit_module
from .learner import answers_folder, learner_root
from .order import in_order, option_order, viewer_id
from .progress import (
    check_result,
    missing_reflections,
    module_progress,
    page_progress,
    percent_text,
    places,
)


def answered_elsewhere(dropped: str) -> str:
    """The alert for a change not saved because another tab saved first (``dropped`` says what)."""
    return (
        '<p class="mip-notice mip-elsewhere" role="alert">This scenario was answered in another tab '
        f"or window, so {dropped}. This page now shows what was saved there; you can choose again "
        "if you wish.</p>"
    )


# The browser holds a widget's further changes back until the kernel has answered its first one
# (ipywidgets' throttle), while a button's click is sent at once: a click can overtake the last
# choice made with the arrow keys. A confirmation waits until no choice has arrived for this long.
SETTLE_SECONDS = 0.4

MERGED_ELSEWHERE = (
    '<p class="mip-notice mip-elsewhere" role="status">This scenario was also answered in another '
    "tab or window: this page now shows the choices saved there, and your reflection is saved with "
    "them.</p>"
)


def reflection_intro(reflection: dict[str, Any], practice: bool) -> str:
    """The reflection's heading, what it is for and whether it is graded, a link to download every
    reflection written so far (for a CPD log), then its prompt."""
    if practice:
        status = (
            "Optional in self-study: it is not graded. Write it for your own CPD log; you can keep "
            "it with your other reflections."
        )
    else:
        worth = points_text(reflection["points"], reflection["points"])
        status = f"Required before you submit: your tutor reads and grades it ({worth})."
    # The server's reflections.pdf (course/reflections_route.py) sits beside voila/render/, as the
    # certificate's PDF does: linked relative to this page, so that it holds under any base URL or
    # proxy. Voila tells the kernel the page's path (SCRIPT_NAME); without it (no server), the
    # page's place in the site: practice/<module>/ in self-study, <module>/ when assessed.
    below = os.environ.get("SCRIPT_NAME", "").partition("/voila/render/")[2]
    depth = below.count("/") if below else (2 if practice else 1)
    pdf = "../" * (depth + 2) + "reflections.pdf"
    # In a new tab: leaving this one, even for a download, shuts its kernel down (Voila's
    # beforeunload), and the page would save nothing more. The tab becomes the download and
    # closes, or says in plain words why there is none.
    return (
        f'<h2 class="mip-reflection-title">Reflection</h2><p class="mip-reflection-status">{status}</p>'
        f'<p class="mip-reflections-download"><a href="{_escape(pdf)}" target="_blank" rel="noopener">'
        "Download all my reflections (PDF)</a></p>"
        f'<p id="mip-reflection-prompt">{_escape(reflection["prompt"])}</p>'
    )


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the kernel this app is shown from, if there is one (another library's
    loop, e.g. a browser driver's in the tests, never runs the app's callbacks)."""
    from IPython import get_ipython

    if getattr(get_ipython(), "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class ScenarioApp:
    """One scenario: every answer is saved the moment it is given and restored on reload.

    Each tab is its own kernel with its own app, so two tabs on one scenario share the answers
    file. Every save is optimistic: under a lock it checks the file is still what this app last
    read or wrote (``seen``). If another tab saved since, a choice is not saved (it was made on a
    stale page); the page shows what was saved and says so. A reflection is saved together with
    the other tab's choices. So no confirmed choice is ever dropped without the trainee knowing.
    """

    def __init__(self, document: dict[str, Any], folder: Path):
        self.doc, self.folder = document, folder
        self.module = read_module_document(folder)  # its pages, and the clauses a retake hangs on
        self.learner = learner_root()  # the self-study learner's own folder, if the server gives one
        self.store = answers_folder(folder, document["mode"], self.learner)  # this learner's answers
        self.scenario = document["scenario"]
        self.practice = document["mode"] == Mode.PRACTICE
        self.viewer = viewer_id()  # whose option order this page shows
        self.notice = widgets.HTML()
        self.answers = Answers(scenario=self.scenario["id"])
        self.seen: bytes | None = None  # the answers file as this app last read or wrote it
        # Locked only if there may be a file to set aside: opening a page creates no folder.
        there = answers_path(self.store, self.scenario["id"]).exists()
        with answers_lock(self.store, self.scenario["id"]) if there else nullcontext():
            self._load()

        nav = document["navigation"]  # the page's header (module, page, mode) is the template's
        self.situation = widgets.HTML(situation_html(self.scenario))
        self.history = widgets.HTML()
        self.elsewhere = widgets.HTML()  # says when another tab's answers replaced this page's
        self.prompt = widgets.HTML()
        self.options = widgets.RadioButtons(options=[], value=None, layout=widgets.Layout(width="auto"))
        self.options.add_class("mip-options")
        self.chosen_at = 0.0  # when the kernel last heard of a choice (time.monotonic)
        self.confirming = False
        self.options.observe(self._on_choice, names="value")
        self.confirm = widgets.Button(description="Confirm choice", button_style="primary")
        self.confirm.add_class("mip-confirm")
        self.confirm.on_click(self._on_confirm)
        self.hint = widgets.HTML()
        self.decision = widgets.VBox([self.prompt, self.options, self.confirm, self.hint])
        # A live region that exists before its text changes, so screen readers announce each
        # decision's outcome (the template's script marks it aria-live).
        self.announce = widgets.HTML()
        self.announce.add_class("mip-announce")
        self.ending = widgets.HTML()

        reflection = self.scenario["reflection"]  # knowledge checks have none
        self.reflection_label = widgets.HTML(
            reflection_intro(reflection, self.practice) if reflection else ""
        )
        self.reflection = widgets.Textarea(
            value=self.answers.reflection,
            placeholder="Write your reflection here",
            layout=widgets.Layout(width="100%", height="8em"),
        )
        self.reflection.add_class("mip-reflection")
        self.reflection.observe(self._on_reflection, names="value")
        if not reflection:
            self.reflection.layout.display = "none"
        self.saved = widgets.HTML()
        self.model = widgets.HTML()  # self-study: a model answer to compare with, once written
        self.next = widgets.HTML()

        self.action = widgets.Button(
            description="Start again" if self.practice else "Submit module for grading"
        )
        self.action.add_class("mip-restart" if self.practice else "mip-submit")
        self.action.on_click(self._on_restart if self.practice else self._on_submit)
        self.action_status = widgets.HTML()
        self.confirm_submit = widgets.Button(description="Yes, submit now", button_style="primary")
        self.confirm_submit.add_class("mip-confirm-submit")
        self.confirm_submit.on_click(self._on_confirm_submit)
        self.confirm_submit.layout.display = "none"
        # Self-study: starting again clears the choices, so it is asked for twice.
        self.confirm_restart = widgets.Button(description="Yes, clear my choices", button_style="warning")
        self.confirm_restart.add_class("mip-confirm-restart")
        self.confirm_restart.on_click(self._on_confirm_restart)
        self.confirm_restart.layout.display = "none"
        # Assessed: once the tutor releases feedback, the trainee fetches and reads it here.
        self.get_feedback = widgets.Button(description="Get my feedback")
        self.get_feedback.add_class("mip-get-feedback")
        self.get_feedback.on_click(self._on_get_feedback)
        self.feedback = widgets.HTML()
        if self.practice:
            self.get_feedback.layout.display = "none"
        else:
            self._show_feedback(latest_feedback(folder))
        self.nav = widgets.HTML(nav_html(nav))
        self.view = widgets.VBox(
            [
                self.announce,
                self.notice,
                self.situation,
                self.history,
                self.elsewhere,
                self.decision,
                self.ending,
                self.reflection_label,
                self.reflection,
                self.saved,
                self.model,
                self.next,
                self.action,
                self.action_status,
                self.confirm_submit,
                self.confirm_restart,
                self.get_feedback,
                self.feedback,
                self.nav,
            ]
        )
        self.view.add_class("mip-scenario")
        self._render()
        self._show_retake()

    # -- the answers file -----------------------------------------------------------------------
    def _load(self) -> None:
        """Take up the saved answers (the caller holds the lock when there is a file)."""
        self.seen = read_saved(self.store, self.scenario["id"])
        self.notice.value = ""
        try:
            saved = None if self.seen is None else parse_answers(self.seen, self.scenario)
        except InvalidAnswers as exc:
            # The scenario was revised since these answers were saved: start afresh, keep the old.
            kept = set_aside(self.store, self.scenario["id"])
            self.notice.value = (
                f'<p class="mip-notice" role="status">Your earlier answers no longer match this '
                f"scenario, which has been revised ({_escape(str(exc))}). They are kept in "
                f"{_escape(kept.name)}, and the scenario starts afresh.</p>"
            )
            saved, self.seen = None, None
        self.answers = saved or Answers(scenario=self.scenario["id"])

    def _save(self, change: Callable[[Answers], None], *, merge: bool) -> str:
        """Apply ``change`` to the answers and save them: ``"saved"``; or, when another tab saved
        first, take up what it saved and redraw the page from it, then ``"merged"`` (``change``
        applied to that and saved) or ``"refused"`` (nothing written).

        A reflection (``merge``) always merges. A choice or a restart merges only if the other
        tab left the choices as this page shows them (it changed the reflection, say): otherwise
        it was made on a stale page and is refused."""
        with answers_lock(self.store, self.scenario["id"]):
            changed = read_saved(self.store, self.scenario["id"]) != self.seen
            shown = list(self.answers.choices)
            if changed:
                self._load()
            refused = changed and not merge and self.answers.choices != shown
            if not refused:
                change(self.answers)
                save_answers(self.store, self.answers)
                self.seen = read_saved(self.store, self.scenario["id"])  # ours, under the lock
        # Redrawn once the lock is let go: widget callbacks must never wait on it.
        if changed:
            self._render()
            self._show_retake()
            self.reflection.value = self.answers.reflection  # the observer finds nothing to save
        if refused:
            self.announce.value = ""
            return "refused"
        self.saved.value = '<p class="mip-saved" aria-live="polite">Your answers are saved.</p>'
        return "merged" if changed else "saved"

    # -- state -> widgets -------------------------------------------------------------------
    def _show_retake(self) -> None:
        """Answers given before the policy revised a clause this module rests on: say so."""
        page = page_progress(
            self.folder, self.store, {"id": self.scenario["id"], "title": ""}, self.module["clauses"]
        )
        if page.status != PageStatus.NEEDS_RETAKE:
            return
        clauses = self.doc.get("clauses", {})
        quoted = "".join(clause_html(*clause_entry(clauses, c)) for c in page.changed_clauses if c in clauses)
        again = (
            "Choose “Start again” below to retake it." if self.practice else "Ask your tutor about a retake."
        )
        self.notice.value = (
            f'<div class="mip-notice mip-retake" role="status"><p>You answered this under policy version '
            f"{_escape(self.answers.policy_version or 'unknown')}. The policy has since been revised "
            f"(version {_escape(self.doc['policy_version'])}) in "
            f"{_escape(places(self.module, page.changed_clauses))}. {again}</p>{quoted}</div>"
        )

    def _render(self) -> None:
        played = walk(self.scenario, self.answers.choices)
        clauses = self.doc.get("clauses") if self.practice else None
        if self.practice:  # nothing to start again until something is answered
            self.action.layout.display = None if self.answers.choices else "none"
        check = self.scenario.get("kind") == Kind.KNOWLEDGE_CHECK
        self.history.value = "".join(
            choice_html(s, o, clauses, n if check else None) for n, (s, o) in enumerate(played.taken, start=1)
        )
        if played.current is not None:
            label = question_label(len(played.taken) + 1 if check else None)
            self.prompt.value = (
                f'<h2 class="mip-prompt" id="mip-prompt">{label}{_escape(played.current["prompt"])}</h2>'
            )
            order = option_order(self.viewer, self.scenario["id"], played.current)
            self.options.options = [(o["text"], o["id"]) for o in in_order(played.current, order)]
            self.options.value = None
            self.decision.layout.display = None
        else:
            self.decision.layout.display = "none"
        ending = ""
        if played.ending is not None:
            # Self-study: the ending is framed by how the path went; assessed: the key is the
            # tutor's, so the ending is told without a verdict.
            scored = (walk_score(played), self.doc["max_points"]) if self.practice else None
            ending = ending_html(played.ending, scored)
            if self.scenario["id"] == self.module.get("check") and "pass_mark" in self.module:
                ending += self._pass_mark_html(played)
        self.ending.value = ending
        # Once the page is finished, one clear way on (after the reflection, if there is one).
        self.next.value = next_html(self.doc["navigation"]) if played.finished else ""
        self._show_model(played.finished)

    def _show_model(self, finished: bool) -> None:
        """Self-study: once the scenario is finished and a reflection written, a model answer to
        compare it with (assessed pages never hold one: it is the tutor's)."""
        model = (self.scenario.get("reflection") or {}).get("model_answer", "")
        shown = self.practice and finished and model and self.answers.reflection.strip()
        self.model.value = (
            '<details class="mip-model"><summary>Compare with a model answer</summary>'
            f"{paragraphs(model)}</details>"
            if shown
            else ""
        )

    def _pass_mark_html(self, played: Walk) -> str:
        """At the end of a knowledge check: passed or not, and what to revisit before a retake."""
        mark = self.module["pass_mark"]
        result = check_result(played, self.doc["max_points"])
        if result is None:  # assessed: the key stays with the tutor
            return (
                f'<p class="mip-pass-mark">Your tutor grades this check; the pass mark for the module is '
                f"{mark}%.</p>"
            )
        score, missed = result
        if score >= mark:
            return (
                f'<p class="mip-pass-mark mip-passed"><strong>Passed:</strong> {percent_text(score)} '
                f"(pass mark {mark}%). Once every scenario of the module is finished, it counts as "
                "completed.</p>"
            )
        return (
            f'<p class="mip-pass-mark mip-not-passed"><strong>Not yet passed:</strong> {percent_text(score)} '
            f"(pass mark {mark}%). Revisit {_escape(places(self.module, missed))} in the module's reading, "
            "then choose “Start again” below to retake the check.</p>"
        )

    # -- events -------------------------------------------------------------------------------
    def _on_choice(self, _change: dict[str, Any]) -> None:
        self.chosen_at = time.monotonic()

    def _on_confirm(self, _button: widgets.Button) -> None:
        """Confirm what the trainee sees chosen: in a kernel, once the choice has settled."""
        loop = _kernel_loop()
        if loop is None:  # driven directly, without a kernel: nothing can be in flight
            self._confirm_choice()
            return
        if not self.confirming:
            self.confirming = True
            self._confirm_when_settled(loop)

    def _confirm_when_settled(self, loop: asyncio.AbstractEventLoop) -> None:
        wait = self.chosen_at + SETTLE_SECONDS - time.monotonic()
        if wait > 0:
            loop.call_later(wait, self._confirm_when_settled, loop)
            return
        self.confirming = False
        self._confirm_choice()

    def _confirm_choice(self) -> None:
        played = walk(self.scenario, self.answers.choices)
        if played.current is None:
            return
        if self.options.value is None:
            self.hint.value = '<p class="mip-hint" role="alert">Choose one of the options first.</p>'
            return
        self.hint.value = ""
        step = played.current
        choice = {"step": step["id"], "option": self.options.value}

        def confirm(answers: Answers) -> None:
            answers.choices.append(choice)
            answers.orders[step["id"]] = option_order(self.viewer, self.scenario["id"], step)
            answers.policy_version = self.doc["policy_version"]  # the choices rest on this text

        if self._save(confirm, merge=False) == "refused":
            self.elsewhere.value = answered_elsewhere("your choice was not saved")
            return
        self.elsewhere.value = ""
        self._render()
        self.announce.value = _escape(
            announcement(walk(self.scenario, self.answers.choices), self.practice, self.doc["max_points"])
        )

    def _on_reflection(self, change: dict[str, Any]) -> None:
        # A browser can send half a surrogate pair (e.g. a cut emoji), which UTF-8 cannot hold.
        text = without_surrogates(change["new"])[:MAX_REFLECTION_CHARS]

        def reflect(answers: Answers) -> None:
            answers.reflection = text

        # Nothing new (e.g. the box shows a reflection just reloaded): writing it anyway would
        # make other tabs' pages stale for nothing.
        if text != self.answers.reflection and self._save(reflect, merge=True) == "merged":
            self.elsewhere.value = MERGED_ELSEWHERE  # the choices shown here may have changed
        if not self.model.value:
            self._show_model(walk(self.scenario, self.answers.choices).finished)
        if len(change["new"]) > MAX_REFLECTION_CHARS:
            self.saved.value = (
                f'<p class="mip-saved" role="alert">Reflections are limited to {MAX_REFLECTION_CHARS} '
                "characters: only the first part is saved. Please shorten it.</p>"
            )

    def _on_restart(self, _button: widgets.Button) -> None:
        """First step: say what starting again erases, and ask to confirm."""
        self.action_status.value = (
            '<p class="mip-restart-ask" role="status">Start this scenario again? Your choices on this '
            "page will be cleared; your reflection is kept.</p>"
        )
        self.confirm_restart.layout.display = None

    def _on_confirm_restart(self, _button: widgets.Button) -> None:
        self.confirm_restart.layout.display = "none"
        self.action_status.value = ""

        def restart(answers: Answers) -> None:
            answers.choices, answers.orders = [], {}
            answers.policy_version = self.doc["policy_version"]

        if self._save(restart, merge=False) == "refused":
            self.elsewhere.value = answered_elsewhere("it was not started again")
            return
        self.notice.value = ""
        self.elsewhere.value = ""
        self._render()

    def _on_submit(self, _button: widgets.Button) -> None:
        """First step: say what will be submitted, and ask to confirm. Every reflection must be
        written first: in assessed mode it is part of the grade."""
        missing = missing_reflections(self.folder, self.module, self.learner)
        if missing:
            self.confirm_submit.layout.display = "none"
            self.action_status.value = (
                '<p class="mip-error" role="alert">Not submitted yet: write your reflection on '
                f"{_escape('; '.join(missing))} first. Reflections are graded by your tutor.</p>"
            )
            return
        progress = module_progress(self.folder.parent, self.module, self.learner)
        self.action_status.value = (
            f'<p class="mip-submit-summary" role="status">You are about to submit '
            f"“{_escape(progress.title)}” for grading: {progress.done} of {len(progress.graded)} items "
            "finished. Unfinished items are graded as they stand.</p>"
        )
        self.confirm_submit.layout.display = None

    def _on_confirm_submit(self, _button: widgets.Button) -> None:
        self.confirm_submit.layout.display = "none"
        self.action_status.value = '<p role="status">Submitting…</p>'
        try:
            stamp = submit_module(self.folder)
        except ExchangeProblem as exc:
            self.action_status.value = (
                f'<p class="mip-error" role="alert">Not submitted: {_escape(str(exc))}</p>'
            )
            return
        self.action_status.value = (
            f'<p class="mip-submitted" role="status">Submitted this module at {_escape(stamp)}. '
            "You can submit again until the deadline; your latest submission is graded.</p>"
        )

    def _on_get_feedback(self, _button: widgets.Button) -> None:
        try:
            fetched = fetch_feedback(self.folder)
        except ExchangeProblem as exc:
            self.feedback.value = f'<p class="mip-error" role="alert">{_escape(str(exc))}</p>'
            return
        if not self._show_feedback(fetched):
            self.feedback.value = (
                '<p class="mip-no-feedback" role="status">No feedback yet: your '
                "tutor has not released it for this module.</p>"
            )

    def _show_feedback(self, stamp_folder: Path | None) -> bool:
        """Show nbgrader's feedback page for this scenario, sandboxed (it runs nothing)."""
        page = stamp_folder / f"{self.scenario['id']}.html" if stamp_folder else None
        if page is None or not page.exists():
            return False
        self.feedback.value = (
            '<h2 class="mip-feedback-title">Your feedback</h2>'
            f'<iframe class="mip-feedback-page" title="Feedback on {_escape(self.scenario["title"])}" '
            f'sandbox="" srcdoc="{_escape(page.read_text(encoding="utf-8"))}"></iframe>'
        )
        return True


def play_scenario(scenario_id: str, folder: Path | None = None) -> None:
    """Show the scenario player; under nbgrader (autograde) show nothing, as nobody is there."""
    if os.environ.get("NBGRADER_EXECUTION"):
        return
    folder = folder or Path.cwd()
    display(ScenarioApp(read_play_document(folder, scenario_id), folder).view)
