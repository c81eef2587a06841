"""Counts in words, as the page and the figures' alt texts say them."""

from __future__ import annotations


def trainees(n: int) -> str:
    return f"{n} trainee{'s' if n != 1 else ''}"


def decisions(n: int) -> str:
    return f"{n} decision{'s' if n != 1 else ''}"


def credit(points: float, best: float) -> str:
    """What a choice earned, in the chart's legend words."""
    return "full credit" if points >= best else "part credit" if points > 0 else "no credit"
