"""What the login model's sign-in is judged against, in one object.

The model client (:class:`~wscard.login.flow.ModelClient`), the directory's validation
(:func:`~wscard.login.directory.validate`) and the environment's sign-in
(:func:`~wscard.login.environment.environment_sign_in`) share the same inputs: the Region,
the baseline, the authentication the environment uses, the user principal name the
certificate must carry, the CA files, the PKI view that runs the OCSP process, what the
user types and the moment judged. They travel in one frozen :class:`LoginContext`, built
once from the profile (:meth:`LoginContext.from_profile`), as certvalidator's
``ValidationContext`` carries its moment and policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from ..profile import login_user_name


@dataclass(frozen=True)
class LoginContext:
    """The inputs of one sign-in model (S-CLIENT, "Use a Smart Card to Log In to Your
    WorkSpace"; S-PREREQ for the directory's side), the same for every run of the flow."""

    #: The AWS Region the client registers in (``[aws].region``).
    region: str
    #: The requirement baseline the client's eligibility is judged under
    #: (``[profile].baseline``: ``seed`` or ``admin-guide``).
    baseline: str
    #: Where smart cards are used (``[profile].authentication``: ``pre-session``,
    #: ``in-session``); the flow runs only with ``pre-session`` and OCSP-7 fails only then.
    authentication: tuple[str, ...]
    #: The user principal name the certificate's subjectAltName must carry (UC-1,
    #: ``[pki].upn``; empty: any).
    expected_upn: str
    #: The profile's CA files (:class:`~wscard.pki.CertEntry`), to which the directory's
    #: registrations are matched by common name and expiry.
    ca_entries: tuple[Any, ...]
    #: ``pki_environment(registrations)``: a :class:`~wscard.pki.environment.PkiEnvironment`
    #: whose OCSP process uses the ClientCertAuth registrations read from the directory
    #: the registration code resolved to (DescribeCertificate dicts).
    pki_environment: Callable[[list[dict[str, Any]]], Any]
    #: What the user types at the environment's sign-in (``[login].registration_code``;
    #: empty: the code of the directory under test). The model cases type their own.
    registration_code: str = ""
    #: The WorkSpaces user who signs in (``wscard.profile.login_user_name``).
    user: str = ""
    #: The moment certificates are judged at (aware UTC); None: the time of each validation.
    moment: datetime | None = None

    @classmethod
    def from_profile(cls, profile: Any, pki: Any, responder: Any = None, *, baseline: str | None = None,
                     authentication: tuple[str, ...] | None = None) -> "LoginContext":
        """The context of ``profile`` (a :class:`~wscard.profile.Profile`: ``[aws]``,
        ``[profile]``, ``[pki]``, ``[login]``) with its PKI ``pki`` (a
        :class:`~wscard.pki.Pki`) and OCSP responder: a running
        :class:`~wscard.pki.responder.ResponderProcess`, a function of no argument
        returning one (called when the OCSP process first runs, so that a responder is
        started only when a flow reaches the directory), or None (no local responder).
        ``baseline`` and ``authentication`` override the profile's. Raises nothing: the
        profile was validated when it was loaded."""
        from ..pki.environment import PkiEnvironment

        def pki_environment(registrations: list[dict[str, Any]]) -> PkiEnvironment:
            running = responder() if callable(responder) else responder
            return PkiEnvironment(profile, pki, running, directory_registrations=registrations)

        return cls(region=profile.aws.region,
                   baseline=baseline if baseline is not None else profile.profile.baseline,
                   authentication=tuple(authentication if authentication is not None
                                        else profile.profile.authentication),
                   expected_upn=profile.pki.upn, ca_entries=tuple(pki.ca_chain), pki_environment=pki_environment,
                   registration_code=profile.login.registration_code, user=login_user_name(profile))

    def now(self) -> datetime:
        """:attr:`moment`, or the current time (aware UTC) when it is None."""
        return self.moment or datetime.now(timezone.utc)
