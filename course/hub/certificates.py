"""The hub's CPD certificates: issued by a hub service from the tutors' records, signed with a
key no trainee can read.

On the hub a trainee's server runs as the trainee, so whatever it could sign with the trainee
could read, and sign anything with. The service ``mip-certificates`` runs as the grader instead:
it learns who asks from the hub's own login (HubOAuth), reads the cohort's gradebook and released
modules, and issues that trainee's certificate: each module submitted with every page answered
and its knowledge check at the module's pass mark, as the feedback released to the trainee says;
made out to the trainee's name on the roster; dated the day of the last such submission. Its
``verify`` link is public, as the self-study server's is. A trainee's own server sends its
``certificate.pdf`` here (``course/hub/singleuser.py``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from urllib.parse import quote, urlsplit

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
from jupyterhub.utils import url_path_join
from tornado import ioloop, web

from ..certificate_pdf import certificate_pdf
from ..cohort.trainee import UnknownTrainee, trainee_record
from ..credential import certificate_number, load_secret, sign
from ..grading.released import released_modules
from ..play.award import Certificate, ModuleAward
from ..status import Result
from ..verification import PDF_NAME, PDF_ROUTE, VERIFY_ROUTE, LearnerHandler, VerifyHandler

COHORT_ENV, SECRET_DIR_ENV = "COURSE_COHORT", "MIP_CERTIFICATE_DIR"
ANSWERED = {Result.GRADED, Result.AWAITING_MARKING}  # every page answered; marks may still come


def hub_certificate(course_dir: Path, student: str) -> Certificate | None:
    """``student``'s certificate from the cohort's records, or None until a module counts."""
    documents = released_modules(course_dir)
    record = trainee_record(course_dir, student)
    awards, days = [], []
    for module in record.modules:
        document = documents.get(module.module)
        if document is None or module.submitted is None:
            continue
        scenarios = {s.scenario: s for s in module.scenarios}
        check = scenarios.get(document["check"])
        if not module.scenarios or any(s.status not in ANSWERED for s in module.scenarios):
            continue
        if check is None or check.score is None or not check.max_score or check.feedback_released is None:
            continue
        if 100 * check.score / check.max_score < document["pass_mark"]:
            continue
        awards.append(ModuleAward(document["title"], document["cpd_minutes"], document.get("outcome", "")))
        days.append(module.submitted.date())
    if not awards:
        return None
    policy = next(iter(documents.values()))["policy"]
    return Certificate(record.name, tuple(awards), max(days), policy)


class CertificatePdf(HubOAuthenticated, LearnerHandler):
    """The logged-in trainee's certificate as a PDF, or why there is none yet."""

    @web.authenticated
    async def get(self) -> None:
        student = self.get_current_user()["name"]
        base = f"{self.request.protocol}://{self.request.host}{os.environ['JUPYTERHUB_SERVICE_PREFIX']}"
        made = await asyncio.get_running_loop().run_in_executor(None, self._make, student, base)
        if isinstance(made, str):
            self.refuse(404, "No certificate yet", made)
            return
        self.send_pdf(made, PDF_NAME)

    def _make(self, student: str, base: str) -> bytes | str:
        try:
            cert = hub_certificate(self.root, student)
        except UnknownTrainee:
            return "You are not a trainee of this course's cohort: certificates are for its trainees."
        if cert is None:
            return (
                "No module counts yet: a module is on the certificate once you have submitted it with "
                "every page answered and your tutor has released feedback showing its knowledge check "
                "passed at the module's pass mark."
            )
        token = sign(cert, load_secret(self.progress))
        return certificate_pdf(cert, certificate_number(token), f"{base}{VERIFY_ROUTE}?c={quote(token)}")


def make_app(cohort: Path, secrets: Path, prefix: str) -> web.Application:
    where = {"root": cohort, "progress": secrets}  # LearnerHandler's names: the cohort, the key's folder
    return web.Application(
        [
            (url_path_join(prefix, PDF_ROUTE), CertificatePdf, where),
            (url_path_join(prefix, VERIFY_ROUTE), VerifyHandler, where),
            (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler),
        ],
        cookie_secret=os.urandom(32),
    )


def main() -> None:
    """Run as the hub runs its managed services (jupyterhub_config.py): the hub gives the address,
    prefix and token in ``JUPYTERHUB_SERVICE_*``/``JUPYTERHUB_API_*``."""
    cohort = Path(os.environ[COHORT_ENV])
    secrets = Path(os.environ[SECRET_DIR_ENV])
    address = urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
    app = make_app(cohort, secrets, os.environ["JUPYTERHUB_SERVICE_PREFIX"])
    app.listen(address.port, address.hostname)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main()
