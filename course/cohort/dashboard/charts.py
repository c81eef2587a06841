"""The dashboard's figures: PNGs drawn with matplotlib's Agg renderer, each with an alt text that
states the figures it shows. Colours are chosen for colour-blind readers, and the text on each cell
of the heat map is black or white, whichever contrasts more (WCAG relative luminance). Labels carry
the course's words (clause labels, questions, options), wrapped or shortened at a word, never cut."""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..labels import CourseText
from ..settings import LOW_SCORE
from .select import ALL_MODULES
from .wording import credit, decisions, trainees

BANDS = 10  # score distribution: 0-10%, 10-20%, ..., 90-100%
DPI = 100
PNG_METADATA: dict[str, Any] = {"Software": None}  # no version stamp: same data, same bytes
# Okabe-Ito colours (distinguishable with colour-blindness); black text reads on all three.
CREDIT_COLOURS = {"full credit": "#009E73", "part credit": "#E69F00", "no credit": "#D55E00"}
BAR_COLOUR = "#0b57d0"
MISSING_CELL = "#f2f2f2"


@dataclass(frozen=True)
class Chart:
    """A figure as PNG bytes and the alt text a screen reader reads instead."""

    png: bytes
    alt: str


def score_band(fraction: float) -> int:
    """The distribution's band (0-9) of a score fraction; 100% goes in the top band."""
    return min(math.floor(round(fraction * 100, 6) / (100 / BANDS)), BANDS - 1)


def band_label(band: int, joiner: str = "\u2013") -> str:
    """E.g. "60-70%" with an en dash (on the chart) or, with ``joiner=" to "``, "60 to 70%" (read aloud)."""
    width = 100 // BANDS
    return f"{band * width}{joiner}{(band + 1) * width}%"


def score_distribution(summary: pd.DataFrame, module: str = ALL_MODULES, title: str = "") -> Chart | None:
    """Bar chart of how many trainees scored in each 10% band: overall, or in ``module`` (a score
    column of the summary, named ``title`` in the text). None when no trainee has a score."""
    column = "overall" if module == ALL_MODULES else module
    if column not in summary.columns:
        raise ValueError(f"the summary has no score column {column!r}")
    scores = [float(v) for v in summary[column] if pd.notna(v)]
    if not scores:
        return None
    counts = [0] * BANDS
    for score in scores:
        counts[score_band(score)] += 1
    what = "overall score" if module == ALL_MODULES else f"score in {title or module}"

    fig, ax = _figure(8, 3.6)
    bars = ax.bar(range(BANDS), counts, color=BAR_COLOUR, width=0.85)
    ax.bar_label(bars, labels=[str(c) if c else "" for c in counts], padding=2)
    ax.set_xticks(range(BANDS), [band_label(b) for b in range(BANDS)], fontsize=8)
    ax.set_xlabel(what[0].upper() + what[1:])
    ax.set_ylabel("Trainees")
    ax.set_ylim(0, max(counts) * 1.2 + 0.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    threshold = LOW_SCORE * BANDS - 0.5  # the edge between the bands either side of LOW_SCORE
    ax.axvline(threshold, color="#333333", linestyle="--", linewidth=1)
    ax.text(
        threshold - 0.1, max(counts) * 1.1 + 0.3, f"at risk below {LOW_SCORE:.0%}", ha="right", fontsize=8
    )
    ax.set_title(f"Distribution of the {what}")
    _tidy(ax)

    missing = len(summary) - len(scores)
    bands = "; ".join(f"{band_label(b, ' to ')}: {c}" for b, c in enumerate(counts) if c)
    others = "; no trainees in the other bands" if 0 in counts else ""
    alt = (
        f"Bar chart of the {what} of {trainees(len(scores))} with a graded score, in 10% bands. "
        f"{bands}{others}. Mean {np.mean(scores):.0%}, median "
        f"{np.median(scores):.0%}; {sum(s < LOW_SCORE for s in scores)} below the at-risk line at "
        f"{LOW_SCORE:.0%}."
        + (f" {trainees(missing).capitalize()} without a graded score not shown." if missing else "")
    )
    return Chart(_png(fig), alt)


def mastery_order(mastery: pd.DataFrame, modules: Sequence[str]) -> list[str]:
    """The clauses of ``mastery`` weakest first: by their mastery over the decisions of the shown
    ``modules`` (each module's mastery weighted by its decisions), then by id."""
    shown = mastery[mastery["module"].isin(list(modules))]
    weighted = shown.assign(points=shown["mastery"] * shown["decisions"]).groupby("clause")
    # Rounded so that equal shares reached by different sums tie, and fall to the id.
    overall = (weighted["points"].sum() / weighted["decisions"].sum()).round(9)
    return sorted(overall.index, key=lambda clause: (overall[clause], clause))


def mastery_colour(value: float) -> tuple[float, float, float, float]:
    """The heat map's colour for a mastery share: ColorBrewer's red-yellow-blue (safe for
    colour-blind readers), red for weak, blue for strong; 10 points apart look clearly apart
    (about 30 CIELAB units around the middle, twice cividis's)."""
    return MASTERY_COLOURS(float(value))


MASTERY_COLOURS = colormaps["RdYlBu"].with_extremes(bad=MISSING_CELL)
LABEL_WIDTH = 46  # characters per line of a wrapped label


def mastery_heatmap(
    mastery: pd.DataFrame, modules: Mapping[str, str], text: CourseText | None = None
) -> Chart | None:
    """Heat map of clause mastery: one row per clause, weakest first, labelled with its plain
    wording (``text``; the id where unknown), one column per module of ``modules`` (id -> title,
    in column order), each cell's share printed in it in black or white, whichever contrasts
    more. None when no decision was taken."""
    if mastery.empty:
        return None
    columns = [m for m in modules if m in set(mastery["module"])]
    clauses = mastery_order(mastery, columns)
    label = text.clause if text else str
    values = np.full((len(clauses), len(columns)), np.nan)
    for row in mastery.itertuples(index=False):
        if row.module in columns:
            values[clauses.index(row.clause), columns.index(row.module)] = row.mastery

    labels = [textwrap.fill(label(c), LABEL_WIDTH) for c in clauses]
    lines = max(label.count("\n") + 1 for label in labels)
    fig, ax = _figure(4.6 + 1.1 * len(columns), 1.2 + (0.17 * lines + 0.1) * len(clauses))
    image = ax.imshow(np.ma.masked_invalid(values), cmap=MASTERY_COLOURS, vmin=0, vmax=1, aspect="auto")
    for (r, c), value in np.ndenumerate(values):
        if not np.isnan(value):
            colour = text_colour(mastery_colour(value))
            ax.text(c, r, f"{value:.0%}", ha="center", va="center", fontsize=10, color=colour)
    titles = [textwrap.fill(modules[m], 16) for m in columns]
    ax.set_xticks(range(len(columns)), titles, fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(clauses)), labels, fontsize=9)
    ax.tick_params(length=0)
    ax.set_title("Clause mastery, weakest first", fontsize=11)
    bar = fig.colorbar(image, ax=ax, fraction=0.08 if len(columns) == 1 else 0.04, pad=0.03)
    bar.set_label("Share of full credit")
    bar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")

    parts = []
    for module in columns:
        cells = mastery[mastery["module"] == module].set_index("clause")
        listed = "; ".join(
            f"{label(c)} ({c}) {cells.loc[c, 'mastery']:.0%} ({decisions(cells.loc[c, 'decisions'])})"
            for c in clauses
            if c in cells.index
        )
        parts.append(f"{modules[module]} ({module}): {listed}.")
    alt = (
        f"Heat map of clause mastery, {len(clauses)} clauses by {len(columns)} "
        f"module{'s' if len(columns) != 1 else ''}, weakest clause first: the share of full credit "
        f"trainees earned on the decisions resting on each clause. " + " ".join(parts)
    )
    return Chart(_png(fig), alt)


def choice_split_chart(
    split: pd.DataFrame, title: str, order: Mapping[tuple, int] | None = None, text: CourseText | None = None
) -> Chart | None:
    """Stacked horizontal bars of how the cohort's choices split at each decision of one module
    (``split`` filtered to it; ``title`` names it), one bar per decision in play ``order``
    ((module, scenario, step) -> rank; else by id), segments coloured by the option's credit.
    Bars are labelled with the question and segments with the option's words (``text``; ids where
    unknown), shortened at a word to fit, never cut: a segment too narrow for words shows its
    share only. The alt text gives every question and option in full. None when no decision was
    taken."""
    if split.empty:
        return None
    modules = sorted(set(split["module"]))
    if len(modules) != 1:
        raise ValueError(f"choice_split_chart draws one module at a time; the split holds {modules}")
    keys = list(dict.fromkeys(zip(split["module"], split["scenario"], split["step"], strict=True)))
    keys.sort(key=lambda k: (order or {}).get(k, len(keys)))
    by_key = {k: split[(split["scenario"] == k[1]) & (split["step"] == k[2])] for k in keys}

    def question(key: tuple) -> str:
        return text.prompt(*key) if text else f"{key[1]} · {key[2]}"

    def option_text(key: tuple, option: str) -> str:
        return text.option(*key, option) if text else option

    fig, ax = _figure(11, 1.4 + 0.75 * len(keys))
    segments = []
    for y, key in enumerate(keys):
        left = 0.0
        for option in by_key[key].itertuples(index=False):
            colour = CREDIT_COLOURS[credit(option.points, option.best_points)]
            ax.barh(y, option.share, left=left, color=colour, edgecolor="white", height=0.8)
            segments.append((y, left, option.share, option_text(key, option.option), f"{option.share:.0%}"))
            left += option.share
    labels = [
        f"{shorten(question(k), 2, 40)}\n(n={by_key[k]['decisions'].iloc[0]})" for k in keys
    ]
    ax.set_yticks(range(len(keys)), labels, fontsize=9)
    ax.invert_yaxis()  # first decision on top
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    ax.set_xlabel("Share of the trainees who took the decision")
    ax.set_title(f"How the choices split: {title}", fontsize=11)
    handles = [Patch(color=colour, label=credit) for credit, colour in CREDIT_COLOURS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, fontsize=9)
    _tidy(ax)
    _fit_segment_labels(fig, ax, segments)

    parts = []
    for key in keys:
        rows = by_key[key]
        options = ", ".join(
            f"{option_text(key, o.option)} ({o.option}) {o.share:.0%} "
            f"({o.count}, {credit(o.points, o.best_points)})"
            for o in rows.itertuples(index=False)
        )
        taken = decisions(rows["decisions"].iloc[0])
        parts.append(f"{question(key)} ({key[1]}, {key[2]}; {taken}): {options}.")
    alt = (
        f"Stacked bar chart of how the cohort's choices split at each of the {len(keys)} decisions "
        f"of {title}, one bar per decision, each option's share of the trainees who took it. "
        + " ".join(parts)
    )
    return Chart(_png(fig), alt)


SEGMENT_FONT = 8


def _fit_segment_labels(fig: Figure, ax: Any, segments: list[tuple[int, float, float, str, str]]) -> None:
    """Write each segment's option words and share inside it, the longest shortening that fits
    (measured with the renderer, the layout fixed first); the share alone, or nothing, else."""
    fig.canvas.draw()
    fig.set_layout_engine("none")  # keep the bars where they are measured
    renderer = fig.canvas.get_renderer()
    for y, left, share, words, percent in segments:
        box = ax.transData.transform([(left, y - 0.38), (left + share, y + 0.38)])
        width, height = box[1][0] - box[0][0] - 6, box[1][1] - box[0][1] - 2  # pixels, a margin
        candidates = [f"{shorten(words, 2, n)}\n{percent}" for n in (44, 34, 26, 20, 15, 11)]
        label = ax.text(left + share / 2, y, "", ha="center", va="center", fontsize=SEGMENT_FONT)
        for candidate in [*candidates, percent, ""]:
            label.set_text(candidate)
            extent = label.get_window_extent(renderer)
            if extent.width <= width and abs(extent.height) <= abs(height):
                break


def shorten(words: str, lines: int, width: int) -> str:
    """``words`` wrapped to at most ``lines`` lines of ``width`` characters, ending with an ellipsis
    after the last whole word that fits when there are more: never cut in the middle of a word."""
    wrapped = textwrap.wrap(words, width, break_long_words=False, break_on_hyphens=False)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    kept = wrapped[:lines]
    while len(kept[-1]) + 2 > width and " " in kept[-1]:
        kept[-1] = kept[-1].rsplit(" ", 1)[0]
    kept[-1] += " …"
    return "\n".join(kept)


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)  # Agg, whatever backend the kernel has chosen: no display, no GUI
    return fig, fig.add_subplot()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata=PNG_METADATA)
    return buffer.getvalue()


def _tidy(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)


def luminance(rgba: Sequence[float]) -> float:
    """WCAG relative luminance of a colour."""
    return sum(
        w * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
        for w, c in zip((0.2126, 0.7152, 0.0722), to_rgb(rgba), strict=True)
    )


def contrast(a: Sequence[float] | str, b: Sequence[float] | str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)  # type: ignore[arg-type]
    return (high + 0.05) / (low + 0.05)


def text_colour(rgba: Sequence[float]) -> str:
    """Black or white, whichever contrasts more with the cell."""
    return "black" if contrast(rgba, "black") >= contrast(rgba, "white") else "white"
