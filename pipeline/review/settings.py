"""Settings of one review server (CLI options fill them; tests build them directly)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewSettings:
    """How the review server behaves.

    Attributes:
        reviewer: the default reviewer name written to the audit trail (each browser may
            set its own on the page).
        token: the access token; None means none is needed (loopback only).
        precision: spot checks aim for a 95% interval this wide on each side (0.02 = ±2 pts).
        expected_rate: the planning silent-error rate for the sample size formula.
        confidence: the confidence level of the interval (0.95).
        signoff_limit: a volume can be signed off when the interval's upper bound is below this.
        secret_key: signs the session cookie (random per server start when None).
        lang: the pages' language, "vi" (default: its users are Vietnamese archivists) or "en".
    """

    reviewer: str = "archivist"
    token: str | None = None
    precision: float = 0.02
    expected_rate: float = 0.03
    confidence: float = 0.95
    signoff_limit: float = 0.05
    secret_key: bytes | None = None
    lang: str = "vi"


def default_reviewer() -> str:
    """The login name, or "archivist" when the system cannot tell (containers, services)."""
    import getpass

    try:
        return getpass.getuser() or "archivist"
    except (KeyError, OSError):
        return "archivist"
