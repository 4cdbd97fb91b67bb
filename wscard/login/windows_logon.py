"""The Windows logon inside the WorkSpace (the second PIN prompt, "Starting WorkSpace"),
as far as the domain decides it.

On the second prompt Windows inside the WorkSpace logs the user on with the card: a
domain controller accepts the certificate only when its issuing CA is in the forest's
NTAuth store (KCD-7, S-TUTORIAL) and the certificate is strongly mapped to the user's
account (UC-7, Microsoft KB5014754). This module asks the directory those two questions
for the certificate the model client chose; the flow (:mod:`wscard.login.flow`) stops at
the second prompt when either fails.

The directory is the one the AD area reads (:class:`wscard.ad.session.AdSession`), handed
in by a provider so that a run reads it once: the provider returns the session, or a
sentence saying why there is none (no domain in the profile, the simulated domain
controller cannot run here); the step is then "not modelled" and says why, never passed
in silence. Never imports pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..checks import CheckResult, Status
from ..errors import EnvironmentProblem

#: A provider of the directory: an AdSession, or the reason there is none.
DirectoryProvider = Callable[[], Any]


@dataclass
class WindowsLogonVerdict:
    """What the domain says about one certificate at the Windows logon."""

    results: list[CheckResult] = field(default_factory=list)
    #: Why the domain's side was not modelled ("" when it was).
    not_modelled: str = ""

    @property
    def refusals(self) -> list[CheckResult]:
        return [r for r in self.results if r.status is Status.FAILED]

    def as_evidence(self) -> dict[str, Any]:
        if self.not_modelled:
            return {"modelled": False, "why": self.not_modelled}
        return {"modelled": True, "rules": [
            {"requirement": r.requirement, "title": r.title, "status": r.status.value,
             "findings": [f.render() for f in r.findings],
             **({"skipped_because": r.skipped_because} if r.skipped_because else {})} for r in self.results]}


class WindowsLogon:
    """The domain's side of the Windows logon for the model client.

    :param provider: returns an :class:`~wscard.ad.session.AdSession`, or a str saying why
        there is no directory; it may raise EnvironmentProblem (then: not modelled).
    :param expected_upn: the user's UPN when the certificate carries none ([pki].upn).
    """

    def __init__(self, provider: DirectoryProvider | None = None, expected_upn: str = ""):
        self.provider = provider
        self.expected_upn = expected_upn
        self._seen: dict[bytes, WindowsLogonVerdict] = {}

    def judge(self, cert, label: str) -> WindowsLogonVerdict:
        """KCD-7 and UC-7 for ``cert`` (judged once per certificate and run)."""
        from cryptography.hazmat.primitives import hashes

        key = cert.fingerprint(hashes.SHA256())
        if key in self._seen:
            return self._seen[key]
        verdict = self._judge(cert, label)
        self._seen[key] = verdict
        return verdict

    def _judge(self, cert, label: str) -> WindowsLogonVerdict:
        if self.provider is None:
            return WindowsLogonVerdict(not_modelled="no directory was given to the model")
        try:
            session = self.provider()
            if isinstance(session, str):
                return WindowsLogonVerdict(not_modelled=session)
            certs = [(label, cert)]
            return WindowsLogonVerdict([session.check_ntauth(certs),
                                        session.check_strong_mapping(certs, self.expected_upn)])
        except EnvironmentProblem as exc:
            return WindowsLogonVerdict(not_modelled=f"the domain could not be read: "
                                                    f"{str(exc).removeprefix(EnvironmentProblem.PREFIX)}")
