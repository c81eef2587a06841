"""Counts in words, as the page and the figures' alt texts say them."""

from __future__ import annotations


def trainees(n: int) -> str:
    return f"{n} trainee{'s' if n != 1 else ''}"


def decisions(n: int) -> str:
    return f"{n} decision{'s' if n != 1 else ''}"
