"""Quotations of the policy inside feedback: found by the lint (every feedback quotes its clause)
and by the player (a clause the feedback already quotes is not repeated under it). Stdlib only:
the trainee's kernel imports it."""

from __future__ import annotations

import re

_QUOTED = re.compile(r'"([^"]+)"|“([^”]+)”')


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(".,;:!? ").lower()


def quotes(text: str, clause_text: str, min_words: int = 3) -> bool:
    """Does ``text`` hold a double-quoted passage of ``min_words`` or more words found word for
    word in ``clause_text``?"""
    clause = normalised(clause_text)
    for match in _QUOTED.finditer(text):
        passage = normalised(match.group(1) or match.group(2))
        if len(passage.split()) >= min_words and passage in clause:
            return True
    return False
