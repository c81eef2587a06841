"""The policy data quotes the policy faithfully and completely."""

import re
from datetime import datetime

from course.policy import POLICY_TEXT_FILE, load_policy


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def policy_sentences() -> list[str]:
    """Every sentence of the policy body (headings excluded), list markers stripped."""
    policy = load_policy()
    headings = {policy.organisation.upper(), policy.title.upper()} | {s.title for s in policy.sections}
    sentences = []
    for line in POLICY_TEXT_FILE.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"^-\s*\*\s*", "", line.strip())
        if not line or line in headings:
            continue
        sentences += [s for s in re.split(r"(?<=[.:])\s+(?=[A-Z])", line) if s]
    return sentences


def test_every_sentence_of_the_policy_is_in_some_clause():
    clauses = [_norm(c.text) for c in load_policy().clauses.values()]
    sentences = policy_sentences()
    assert len(sentences) > 40
    missing = [s for s in sentences if not any(_norm(s) in c for c in clauses)]
    assert missing == []


def test_every_clause_quotes_the_policy_word_for_word():
    text = _norm(POLICY_TEXT_FILE.read_text(encoding="utf-8").replace("- * ", ""))
    misquoted = [c.id for c in load_policy().clauses.values() if _norm(c.text) not in text]
    assert misquoted == []


def test_clause_ids_are_unique_and_sections_follow_the_policy_order():
    policy = load_policy()
    ids = [c.id for s in policy.sections for c in s.clauses]
    assert len(ids) == len(set(ids))
    text = _norm(POLICY_TEXT_FILE.read_text(encoding="utf-8").replace("- * ", ""))
    positions = [text.find(_norm(c.text)) for c in policy.clauses.values()]
    assert -1 not in positions
    assert positions == sorted(positions)

    # Version and review period as the policy's own text states them, so a revision of the
    # policy updates policy.txt and policy.yaml together or fails here.
    raw = POLICY_TEXT_FILE.read_text(encoding="utf-8")
    revised = re.search(r"Last Reviewed and Revised (\w+) (\d{4})", raw)
    month = datetime.strptime(revised[1], "%B").month
    assert policy.version == f"{revised[2]}-{month:02d}"
    assert f"reviewed every {policy.review_every_months} months" in _norm(raw)
