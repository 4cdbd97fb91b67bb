"""Deliberate deviations of the *simulated* Directory Service from its documented API.

The procedure scenarios check that the service behaves as documented (on live AWS, in a
sandbox directory). A fault profile switches one of these on in the simulated world to
show that the matching procedure scenario catches the deviation, and only that one.
They wrap the moto extension's backend methods for the duration of a run; they are never
part of the moto extension itself and cannot be used against live AWS.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator


@dataclass(frozen=True)
class ServiceFault:
    requirement: str
    description: str
    method: str  # backend method wrapped
    make: Callable[[Callable], Callable]


def _code(exc: BaseException) -> str:
    return getattr(exc, "error_type", "") or type(exc).__name__


def _limit_not_enforced(orig):
    def register_certificate(self, directory_id, certificate_data, *args, **kwargs):
        try:
            return orig(self, directory_id, certificate_data, *args, **kwargs)
        except Exception as exc:
            if _code(exc) != "CertificateLimitExceededException":
                raise
            from datetime import datetime, timezone

            cert_type = kwargs.get("certificate_type") or (args[0] if args else "ClientCertAuth")
            return self.restore_certificate(
                directory_id, certificate_data, cert_type=cert_type or "ClientCertAuth",
                registered_at=datetime.now(timezone.utc),
            )

    return register_certificate


def _deregister_in_use_pretends(orig):
    def deregister_certificate(self, directory_id, certificate_id, *args, **kwargs):
        try:
            return orig(self, directory_id, certificate_id, *args, **kwargs)
        except Exception as exc:
            if _code(exc) != "CertificateInUseException":
                raise
            return None  # answers success but keeps the certificate

    return deregister_certificate


def _enable_without_certificate(orig):
    def enable_client_authentication(self, directory_id, auth_type, *args, **kwargs):
        try:
            return orig(self, directory_id, auth_type, *args, **kwargs)
        except Exception as exc:
            if _code(exc) != "NoAvailableCertificateException":
                raise
            return self.restore_client_authentication(directory_id, auth_type, "Enabled")

    return enable_client_authentication


FAULTS: dict[str, ServiceFault] = {
    "certificate-limit-not-enforced": ServiceFault(
        "CA-6", "RegisterCertificate accepts a 101st ClientCertAuth certificate", "register_certificate",
        _limit_not_enforced),
    "deregister-in-use-pretends": ServiceFault(
        "CA-9", "DeregisterCertificate answers success for the only certificate while smart card "
        "authentication is enabled, and keeps it", "deregister_certificate", _deregister_in_use_pretends),
    "enable-without-certificate": ServiceFault(
        "AUTH-2", "EnableClientAuthentication succeeds with no registered certificate",
        "enable_client_authentication", _enable_without_certificate),
    "enable-returns-body": ServiceFault(
        "AUTH-1", "EnableClientAuthentication answers with a non-empty body", "", lambda orig: orig),
}


@contextmanager
def applied(names: list[str]) -> Iterator[None]:
    """Switch the named faults on for the simulated Directory Service, then off."""
    if not names:
        yield
        return
    from moto.ds.models import DirectoryServiceBackend
    from moto.ds.responses import DirectoryServiceResponse

    saved: list[tuple[type, str, object]] = []
    try:
        for name in names:
            fault = FAULTS[name]
            if name == "enable-returns-body":
                orig = DirectoryServiceResponse.enable_client_authentication
                saved.append((DirectoryServiceResponse, "enable_client_authentication", orig))

                def with_body(self, _orig=orig):
                    _orig(self)
                    return '{"Status": "Enabled"}'

                DirectoryServiceResponse.enable_client_authentication = with_body
                continue
            orig = getattr(DirectoryServiceBackend, fault.method)
            saved.append((DirectoryServiceBackend, fault.method, orig))
            setattr(DirectoryServiceBackend, fault.method, fault.make(orig))
        yield
    finally:
        for cls, attr, orig in reversed(saved):
            setattr(cls, attr, orig)
