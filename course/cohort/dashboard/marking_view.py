"""The dashboard's marking view: one scenario's reflections, trainee after trainee, each with the
path taken, the rubric, the reflection as written, and a mark and comment saved to nbgrader's
gradebook (:mod:`course.cohort.marking`)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

import ipywidgets as widgets
import mistune

from ..marking import MarkRefused, Reflection, reflection_scenarios, save_mark, scenario_reflections

# Every piece of text in the tutor's view is escaped before it becomes markdown (the reflection is
# a fenced block, which mistune escapes itself): raw HTML can only be the view's own.
_MARKDOWN = mistune.create_markdown(escape=False)
AWAITING_ONLY = "Awaiting marking only"


def markdown_html(markdown: str) -> str:
    return str(_MARKDOWN(markdown))


def trainee_label(student: str, name: str) -> str:
    return f"{student} ({name})" if name else f"{student} (not on the roster)"


def mark_text(reflection: Reflection) -> str:
    if reflection.needs_marking:
        return f"awaiting marking (out of {reflection.max_score:g})"
    if reflection.score is None:
        return f"not marked (out of {reflection.max_score:g})"
    return f"marked: {reflection.score:g} of {reflection.max_score:g} points"


def status_html(message: str, error: bool = False) -> str:
    css = "mip-mark-status mip-error" if error else "mip-mark-status"
    return f'<p class="{css}" role="status">{escape(message)}</p>'


class MarkCard:
    """One trainee's reflection with its mark and comment inputs and a Save button."""

    def __init__(self, course_dir: Path, reflection: Reflection, on_saved: Callable[[Reflection], None]):
        self.course_dir, self.reflection, self.on_saved = course_dir, reflection, on_saved
        who = trainee_label(reflection.student, reflection.name)
        self.heading = widgets.HTML()
        self.mark = widgets.Text(
            value="" if reflection.needs_marking or reflection.score is None else f"{reflection.score:g}",
            description=f"Mark for {reflection.student} (0 to {reflection.max_score:g} points)",
            style={"description_width": "initial"},
        )
        self.comment = widgets.Textarea(
            value=reflection.comment,
            description=f"Comment for {reflection.student}",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="100%", height="5rem"),
        )
        self.save_button = widgets.Button(description=f"Save mark for {reflection.student}", tooltip=who)
        self.save_button.layout.width = "auto"
        self.save_button.on_click(lambda _: self.save())
        self.status = widgets.HTML(status_html(""))
        self._show_heading()
        self.view = widgets.VBox(
            [
                self.heading,
                widgets.HTML(f'<div class="mip-mark-path">{markdown_html(reflection.markdown)}</div>'),
                self.mark,
                self.comment,
                self.save_button,
                self.status,
            ]
        )
        self.view.add_class("mip-mark-card")

    def _show_heading(self) -> None:
        r = self.reflection
        self.heading.value = (
            f"<h3>{escape(trainee_label(r.student, r.name))}</h3>"
            f'<p class="mip-note">{escape(mark_text(r))}</p>'
        )

    def save(self) -> bool:
        """Save what is typed; on a refused mark, say why and save nothing."""
        r = self.reflection
        try:
            saved = save_mark(
                self.course_dir, r.module, r.scenario, r.student, self.mark.value, self.comment.value
            )
        except MarkRefused as exc:
            self.status.value = status_html(str(exc), error=True)
            return False
        self.reflection = saved
        self._show_heading()
        self.status.value = status_html(
            f"Saved: {saved.score:g} of {saved.max_score:g} points for {r.student}."
        )
        self.on_saved(saved)
        return True


class MarkingView:
    """A scenario selector, an "awaiting marking only" filter and one :class:`MarkCard` per
    trainee (awaiting marking first). ``on_saved`` is told of every mark saved."""

    def __init__(self, on_saved: Callable[[Reflection], None] = lambda _: None):
        self.on_saved = on_saved
        self.found: dict[str, Reflection] = {}  # trainee -> their reflection on the scenario shown
        self.count = widgets.HTML()
        self.course_dir: Path | None = None
        self.module = ""
        self.scenario = widgets.Dropdown(
            description="Scenario to mark", style={"description_width": "initial"}
        )
        self.awaiting = widgets.Checkbox(value=False, description=AWAITING_ONLY, indent=False)
        self.intro = widgets.HTML()
        self.cards: list[MarkCard] = []
        self.list = widgets.VBox()
        self.view = widgets.VBox(
            [
                widgets.HTML("<h2>Marking reflections</h2>"),
                self.intro,
                widgets.HBox([self.scenario, self.awaiting]),
                self.list,
            ]
        )
        self.view.add_class("mip-marking")
        self._filling = False
        self.scenario.observe(lambda _: self.show(), names="value")
        self.awaiting.observe(lambda _: self.show(), names="value")

    def load(self, course_dir: Path | None, module: str, title: str = "") -> None:
        """Show ``module``'s scenarios of the cohort at ``course_dir`` (none: a sentence why)."""
        self.course_dir, self.module = course_dir, module
        scenarios: dict[str, str] = {}
        problem = ""
        if course_dir is None:
            problem = "This cohort could not be read, so there is nothing to mark."
        elif not module:
            problem = "Choose a module in the Module filter above to mark its reflections."
        else:
            try:
                scenarios = reflection_scenarios(course_dir, module)
            except (MarkRefused, OSError) as exc:
                problem = str(exc)
        self._filling = True
        try:
            self.scenario.options = [(title, name) for name, title in scenarios.items()]
            self.scenario.value = next(iter(scenarios), None)
        finally:
            self._filling = False
        self.scenario.disabled = not scenarios
        if problem:
            self.intro.value = f'<p class="mip-note">{escape(problem)}</p>'
        elif not scenarios:
            self.intro.value = (
                f'<p class="mip-note">{escape(title or module)} has no reflections to mark.</p>'
            )
        else:
            self.intro.value = (
                f'<p class="mip-note">Every trainee\'s reflection on the chosen scenario of '
                f"<strong>{escape(title or module)}</strong>, those awaiting marking first. Marks are saved "
                "to nbgrader's gradebook: the formgrader, the exports and the feedback show them.</p>"
            )
        self.show()

    def show(self) -> None:
        """Redraw the cards for the chosen scenario and filter."""
        if self._filling:
            return
        if self.course_dir is None or not self.scenario.value:
            self.cards, self.list.children = [], ()
            return
        found = scenario_reflections(self.course_dir, self.module, self.scenario.value)
        self.found = {r.student: r for r in found}
        shown = [r for r in found if r.needs_marking] if self.awaiting.value else found
        self.cards = [MarkCard(self.course_dir, r, self._saved) for r in shown]
        self._count()
        empty = (
            [widgets.HTML('<p class="mip-empty">Nothing to show for this filter.</p>')] if not shown else []
        )
        self.list.children = [self.count, *empty, *(card.view for card in self.cards)]

    def _count(self) -> None:
        waiting = sum(r.needs_marking for r in self.found.values())
        self.count.value = (
            f'<p class="mip-note">{waiting} of {len(self.found)} reflection(s) on this scenario awaiting '
            "marking.</p>"
        )

    def _saved(self, reflection: Reflection) -> None:
        # The card stays where it is (the tutor may correct it); only the count changes.
        self.found[reflection.student] = reflection
        self._count()
        self.on_saved(reflection)
