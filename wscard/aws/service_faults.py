"""Deliberate deviations of the *simulated* Directory Service from its documented API:
how each fault of the catalogue (:data:`wscard.service_faults.FAULTS`, the names a
profile may give) is applied to the moto extension.

The procedure scenarios check that the service behaves as documented (on live AWS, in a
sandbox directory). A fault profile switches one of these on in the simulated world to
show that the matching procedure scenario catches the deviation, and only that one.
They wrap the moto extension's backend methods for the duration of a run; they are never
part of the moto extension itself and cannot be used against live AWS.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from ..service_faults import FAULTS


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


#: Fault name -> (the DirectoryServiceBackend method wrapped, the wrapper's factory).
#: ``enable-returns-body`` changes the response class instead (in :func:`applied`).
BACKEND_WRAPPERS: dict[str, tuple[str, Callable[[Callable], Callable]]] = {
    "certificate-limit-not-enforced": ("register_certificate", _limit_not_enforced),
    "deregister-in-use-pretends": ("deregister_certificate", _deregister_in_use_pretends),
    "enable-without-certificate": ("enable_client_authentication", _enable_without_certificate),
}


@contextmanager
def applied(names: list[str]) -> Iterator[None]:
    """Switch the named faults (names of :data:`wscard.service_faults.FAULTS`, checked when
    the profile is loaded) on for the simulated Directory Service, then off. Raises
    KeyError for a name that is not in the catalogue."""
    if not names:
        yield
        return
    unknown = sorted(set(names) - set(FAULTS))
    if unknown:
        raise KeyError(f"unknown service fault(s) {', '.join(unknown)}; known: {', '.join(sorted(FAULTS))}")
    from moto.ds.models import DirectoryServiceBackend
    from moto.ds.responses import DirectoryServiceResponse

    saved: list[tuple[type, str, object]] = []
    try:
        for name in names:
            if name == "enable-returns-body":
                orig = DirectoryServiceResponse.enable_client_authentication
                saved.append((DirectoryServiceResponse, "enable_client_authentication", orig))

                def with_body(self, _orig=orig):
                    _orig(self)
                    return '{"Status": "Enabled"}'

                DirectoryServiceResponse.enable_client_authentication = with_body
                continue
            method, make = BACKEND_WRAPPERS[name]
            orig = getattr(DirectoryServiceBackend, method)
            saved.append((DirectoryServiceBackend, method, orig))
            setattr(DirectoryServiceBackend, method, make(orig))
        yield
    finally:
        for cls, attr, orig in reversed(saved):
            setattr(cls, attr, orig)
