"""The hub's certificates come from the tutors' records: for every trainee of a real graded
cohort (nbgrader's own commands, feedback released), a certificate exactly when their module was
submitted with every page answered and its knowledge check, as graded, reached the pass mark;
made out to the roster's name. The service itself runs in tests/hub/test_journey.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from course.hub.certificates import hub_certificate
from course.play.award import hours_minutes
from course.scenario.validate import max_points

from ..cohort.conftest import FAILING, MODULE, TAMPERED, synthetic_cohort  # noqa: F401 - the fixture

pytestmark = pytest.mark.slow


def test_a_certificate_exactly_for_each_trainee_whose_module_counts(synthetic_cohort, course):  # noqa: F811
    cohort = synthetic_cohort
    content = course.module(MODULE)
    check = content.check
    issued = {t["id"]: hub_certificate(cohort.root, t["id"]) for t in cohort.roster}
    expected = set()
    for trainee in cohort.submitters:
        answered = all((trainee, item.id) in cohort.answered for item in content.items)
        if not answered or trainee in (TAMPERED, FAILING):
            continue  # a page left out, tampered with, or not graded: the module does not count
        steps = {s.id: s for s in check.steps}
        chosen = cohort.answered[(trainee, check.id)]
        score = sum(next(o.points for o in steps[c["step"]].options if o.id == c["option"]) for c in chosen)
        if 100 * score / max_points(check) >= content.module.pass_mark:
            expected.add(trainee)
    assert expected and {t["id"] for t in cohort.roster} - expected, "the cohort should have both kinds"
    assert {t for t, cert in issued.items() if cert is not None} == expected
    names = {t["id"]: f"{t['first_name']} {t['last_name']}" for t in cohort.roster}
    for trainee in expected:
        cert = issued[trainee]
        assert cert.name == names[trainee]  # the roster's, never what a trainee typed
        assert [m.title for m in cert.modules] == [content.module.title]
        assert hours_minutes(cert.minutes) == hours_minutes(content.module.cpd_minutes)
        assert cert.completed_on == datetime.now(UTC).date()  # submitted today, in this test
