"""The catalogue of deliberate deviations of the *simulated* Directory Service from its
documented API, by the name a profile gives in ``[aws].service_faults``.

A leaf module (stdlib only): ``wscard.sections.aws`` checks a profile's names against it,
and :mod:`wscard.aws.service_faults` applies each one to the moto extension for a run
(the procedure scenario named by ``requirement`` must then catch it). See
docs/ARCHITECTURE.md, "What each package may import".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceFault:
    """One deviation: the requirement whose procedure scenario must catch it, and what the
    simulated service then does (the documented behaviour is the requirement's)."""

    requirement: str
    description: str


#: Fault name (``[aws].service_faults``) -> what it breaks.
FAULTS: dict[str, ServiceFault] = {
    "certificate-limit-not-enforced": ServiceFault(
        "CA-6", "RegisterCertificate accepts a 101st ClientCertAuth certificate"),
    "deregister-in-use-pretends": ServiceFault(
        "CA-9", "DeregisterCertificate answers success for the only certificate while smart card "
        "authentication is enabled, and keeps it"),
    "enable-without-certificate": ServiceFault(
        "AUTH-2", "EnableClientAuthentication succeeds with no registered certificate"),
    "enable-returns-body": ServiceFault(
        "AUTH-1", "EnableClientAuthentication answers with a non-empty body"),
}
