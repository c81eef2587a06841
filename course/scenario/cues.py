"""Answer cues: can a decision be answered without reading the policy?

Options are shown in a shuffled order, so position gives nothing away; the text still can. This
measures the cues a test-wise trainee uses, over the whole course and per decision, against what
chance gives:

- length: how often a full-credit option is the longest, and how long it is against the others;
- keywords: how much likelier an option is to be full credit when it names supervision,
  reporting, the placement... than an option picked at random;
- naive strategies (always the longest, the shortest, the one naming supervision or reporting)
  played through every branch of every scenario, scored as the course scores them, against
  choosing at random.

``cue_findings`` turns the figures into lint findings where a cue is present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean, median

from .catalog import Course
from .schema import Option, Scenario, Step
from .validate import max_points

# A full-credit option is at most this much longer, or shorter, than the mean of the others.
MAX_LENGTH_RATIO = 1.4
MIN_LENGTH_RATIO = 0.6
# Course-wide: full-credit is the longest this much more often than chance at most...
LONGEST_ABOVE_CHANCE = 0.10
# ...its mean length ratio is at most this (chance: 1.0)...
MAX_MEAN_RATIO = 1.15
# ...naming a keyword makes an option at most this much likelier to be full credit (chance: 1.0),
# or unlikelier (a word that marks the wrong answers is a cue too)...
MAX_KEYWORD_LIFT = 1.5
MIN_KEYWORD_LIFT = 1 / MAX_KEYWORD_LIFT
MIN_KEYWORD_OPTIONS = 8  # fewer than this many options naming it: too few to judge
# ...and no naive strategy scores more than this above choosing at random.
STRATEGY_ABOVE_CHANCE = 0.15

KEYWORDS: dict[str, re.Pattern[str]] = {
    "supervision": re.compile(r"\bsupervis", re.I),
    "reporting": re.compile(r"\breport", re.I),
    "formal": re.compile(r"\bformal", re.I),
    "placement": re.compile(r"\bplacement", re.I),
    "policy": re.compile(r"\bpolic(y|ies)\b", re.I),
    "confidential": re.compile(r"\bconfidential", re.I),
}
SUPERVISION_OR_REPORTING = re.compile(r"\bsupervis|\breport", re.I)


def full_credit(step: Step) -> list[Option]:
    return [o for o in step.options if o.points == step.points]


@dataclass(frozen=True)
class StepCues:
    where: str  # "<module>/<item>.yaml: steps[i] (<step id>)"
    options: int
    full: int
    full_is_longest: bool
    chance_longest: float  # the share of the step's options that are full credit
    length_ratio: float | None  # mean full-credit length / mean of the others (None: all full)


def step_cues(where: str, step: Step) -> StepCues:
    lengths = {o.id: len(o.text) for o in step.options}
    full = {o.id for o in full_credit(step)}
    others = [n for i, n in lengths.items() if i not in full]
    longest = max(lengths.values())
    return StepCues(
        where=where,
        options=len(step.options),
        full=len(full),
        full_is_longest=any(lengths[i] == longest for i in full),
        chance_longest=len(full) / len(step.options),
        length_ratio=fmean(lengths[i] for i in full) / fmean(others) if others else None,
    )


# -- naive strategies --------------------------------------------------------------------------
Strategy = Callable[[Step], Sequence[Option]]  # the options it would pick (ties: one at random)


def at_random(step: Step) -> Sequence[Option]:
    return step.options


def longest(step: Step) -> Sequence[Option]:
    most = max(len(o.text) for o in step.options)
    return [o for o in step.options if len(o.text) == most]


def shortest(step: Step) -> Sequence[Option]:
    least = min(len(o.text) for o in step.options)
    return [o for o in step.options if len(o.text) == least]


def naming_supervision_or_reporting(step: Step) -> Sequence[Option]:
    named = [o for o in step.options if SUPERVISION_OR_REPORTING.search(o.text)]
    return named or step.options


STRATEGIES: dict[str, Strategy] = {
    "always the longest": longest,
    "always the shortest": shortest,
    "always the one naming supervision or reporting": naming_supervision_or_reporting,
}


def expected_points(item: Scenario, strategy: Strategy) -> float:
    """The points ``strategy`` earns on average, through every branch it may take."""
    steps = {s.id: s for s in item.steps}
    memo: dict[str, float] = {}

    def from_here(node: str) -> float:
        if node not in steps:
            return 0.0  # an ending
        if node not in memo:
            picks = strategy(steps[node])
            memo[node] = fmean(o.points + from_here(o.next) for o in picks)
        return memo[node]

    return from_here(item.start)


def strategy_score(items: Iterable[Scenario], strategy: Strategy) -> float:
    """Expected share of the decision points (0-1) over ``items``, as the course totals them."""
    items = list(items)
    return sum(expected_points(i, strategy) for i in items) / sum(max_points(i) for i in items)


# -- the whole course --------------------------------------------------------------------------
@dataclass(frozen=True)
class CueReport:
    steps: tuple[StepCues, ...]
    keyword_lift: dict[str, tuple[int, float]]  # keyword -> (options naming it, lift)
    chance_score: float
    strategy_scores: dict[str, float]  # over the whole course
    check_scores: dict[str, dict[str, float]]  # module id -> strategy -> knowledge-check score

    @property
    def longest_share(self) -> float:
        return fmean(s.full_is_longest for s in self.steps)

    @property
    def chance_longest(self) -> float:
        return fmean(s.chance_longest for s in self.steps)

    @property
    def ratios(self) -> list[float]:
        return [s.length_ratio for s in self.steps if s.length_ratio is not None]


def measure(course: Course) -> CueReport:
    steps = [
        step_cues(f"{content.folder.name}/{item.id}.yaml: steps[{i}] ({step.id})", step)
        for content in course.modules
        for item in content.items
        for i, step in enumerate(item.steps)
    ]
    options = [(o, o.points == s.points) for item in course.items for s in item.steps for o in s.options]
    base = fmean(full for _, full in options)
    lift: dict[str, tuple[int, float]] = {}
    for name, pattern in KEYWORDS.items():
        named = [full for o, full in options if pattern.search(o.text)]
        lift[name] = (len(named), fmean(named) / base if named else 0.0)
    checks = {
        content.module.id: {
            name: strategy_score([content.check], s)
            for name, s in {"at random": at_random, **STRATEGIES}.items()
        }
        for content in course.modules
        if content.check
    }
    return CueReport(
        steps=tuple(steps),
        keyword_lift=lift,
        chance_score=strategy_score(course.items, at_random),
        strategy_scores={name: strategy_score(course.items, s) for name, s in STRATEGIES.items()},
        check_scores=checks,
    )


def cue_findings(report: CueReport, pass_marks: dict[str, int]) -> list[tuple[str, str]]:
    """(where, what) for every cue present, course-wide and per decision."""
    found: list[tuple[str, str]] = []
    course = "answer cues (whole course)"
    if report.longest_share > report.chance_longest + LONGEST_ABOVE_CHANCE:
        found.append(
            (
                course,
                f"a full-credit option is the longest in {report.longest_share:.0%} of decisions; "
                f"chance is {report.chance_longest:.0%} (allowed: up to {LONGEST_ABOVE_CHANCE:.0%} more)",
            )
        )
    if report.ratios and fmean(report.ratios) > MAX_MEAN_RATIO:
        found.append(
            (
                course,
                f"full-credit options are {fmean(report.ratios):.2f}x as long as the others on average "
                f"(allowed: {MAX_MEAN_RATIO})",
            )
        )
    for name, (count, lift) in report.keyword_lift.items():
        if count >= MIN_KEYWORD_OPTIONS and not MIN_KEYWORD_LIFT <= lift <= MAX_KEYWORD_LIFT:
            fix = "wrong or partial" if lift > MAX_KEYWORD_LIFT else "full-credit"
            found.append(
                (
                    course,
                    f"an option naming {name!r} is {lift:.2f}x as likely to be full credit as any option "
                    f"({count} options; allowed: {MIN_KEYWORD_LIFT:.2f}x to {MAX_KEYWORD_LIFT}x): write "
                    f"{fix} options that name it too",
                )
            )
    for name, score in report.strategy_scores.items():
        if score > report.chance_score + STRATEGY_ABOVE_CHANCE:
            found.append(
                (
                    course,
                    f"{name!r} scores {score:.0%} of the course's decision points; choosing at random "
                    f"scores {report.chance_score:.0%} (allowed: up to {STRATEGY_ABOVE_CHANCE:.0%} more)",
                )
            )
    for module_id, scores in report.check_scores.items():
        for name, score in scores.items():
            if name in STRATEGIES and score * 100 >= pass_marks[module_id]:
                found.append(
                    (
                        f"{module_id}: knowledge check",
                        f"{name!r} scores {score:.0%}, enough to pass (pass mark {pass_marks[module_id]}%)",
                    )
                )
    for step in report.steps:
        ratio = step.length_ratio
        if ratio is not None and not MIN_LENGTH_RATIO <= ratio <= MAX_LENGTH_RATIO:
            found.append(
                (
                    step.where,
                    f"the full-credit option is {ratio:.2f}x the mean length of the others (keep it "
                    f"between {MIN_LENGTH_RATIO} and {MAX_LENGTH_RATIO})",
                )
            )
    return found


def summary_lines(report: CueReport) -> list[str]:
    """The figures, printed by ``course lint`` and quoted in the README."""
    ratios = report.ratios
    rows = [
        ("full-credit option is the longest", f"{report.longest_share:.1%}", f"{report.chance_longest:.1%}"),
        (
            "full-credit length / the others (mean, median)",
            f"{fmean(ratios):.2f}, {median(ratios):.2f}",
            "1.00",
        ),
    ]
    for name, (count, lift) in report.keyword_lift.items():
        rows.append((f"naming {name!r}: likelier full credit ({count} options)", f"{lift:.2f}x", "1.00x"))
    for name, score in report.strategy_scores.items():
        rows.append((f"decision points scored, {name}", f"{score:.1%}", f"{report.chance_score:.1%}"))
    for name in STRATEGIES:
        worst = max(report.check_scores.values(), key=lambda scores: scores[name])
        rows.append(
            (f"best knowledge-check score, {name}", f"{worst[name]:.1%}", f"{worst['at random']:.1%}")
        )
    width = max(len(label) for label, _, _ in rows)
    return [
        f"answer cues over {len(report.steps)} decisions (options are also shown shuffled per trainee):",
        f"  {'':{width}}  {'course':>12}  {'chance':>7}",
        *(f"  {label:{width}}  {value:>12}  {chance:>7}" for label, value, chance in rows),
    ]
