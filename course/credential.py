"""A certificate a third party can verify without an account database: its statements signed
with the course server's secret (itsdangerous), carried in the verification link and QR code.
A changed name, module, CPD time, date or policy version fails verification.

The secret never reaches a page's kernel or a trainee: only the server signs and verifies.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer

from .play.award import Certificate

SECRET_ENV = "COURSE_CERTIFICATE_SECRET"
SECRET_FILE = ".certificate-secret"  # in the server's progress folder, readable by its owner only
SALT = "mip-cpd-certificate-1"
CLAIMS = {"name", "modules", "completed", "policy", "issuer", "course"}


class CertificateInvalid(ValueError):
    """The link was changed, or was not issued by this course server."""


def load_secret(folder: Path) -> str:
    """The server's signing secret: ``$COURSE_CERTIFICATE_SECRET``, else a random one kept in
    ``folder`` (made on first use, mode 0600), so certificates stay valid across restarts."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = folder / SECRET_FILE
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def claims(cert: Certificate) -> dict:
    """What the certificate states, as the link carries it."""
    return {
        "name": cert.name,
        "modules": [[m.title, m.minutes] for m in cert.modules],
        "completed": cert.completed_on.isoformat(),
        "policy": cert.policy["version"],
        "issuer": cert.policy["organisation"],
        "course": cert.policy["title"],
    }


def sign(cert: Certificate, secret: str) -> str:
    return URLSafeSerializer(secret, salt=SALT).dumps(claims(cert))


def verify(token: str, secret: str) -> dict:
    """The statements of a certificate whose link this is; :class:`CertificateInvalid` if the link
    was altered or signed with another secret."""
    try:
        data = URLSafeSerializer(secret, salt=SALT).loads(token)
    except BadSignature as exc:
        raise CertificateInvalid("the link was changed, or was not issued by this course") from exc
    if not isinstance(data, dict) or set(data) != CLAIMS:
        raise CertificateInvalid("the link does not hold a certificate")
    return data


def certificate_number(token: str) -> str:
    """A short number to quote for the certificate, derived from its signed link."""
    digest = base64.b32encode(hashlib.sha256(token.encode("ascii")).digest()).decode("ascii")
    return f"MIP-{digest[:4]}-{digest[4:8]}-{digest[8:12]}"
