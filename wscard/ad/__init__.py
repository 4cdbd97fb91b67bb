"""Active Directory checks for step 1 of enabling smart card authentication: Kerberos
constrained delegation for the AD Connector service account (KCD-1..KCD-3) and the
domain controllers' certificates (KCD-4).

* :mod:`wscard.ad.ldap` reads the directory (ldap3, TLS, read-only);
* :mod:`wscard.ad.checks` judges what was read (pure functions, CheckResult);
* :mod:`wscard.ad.kerberos` proves delegation at the KDC (S4U2Self + S4U2Proxy);
* :mod:`wscard.ad.samba` runs a private Samba AD DC (CI, embedded world, fault cases);
* :mod:`wscard.ad.session` ties them together for one run.

Never imports pytest. See ``docs/ad.md``.
"""

from __future__ import annotations

from .session import AdSession, session_for_ldap, session_for_samba

__all__ = ["AdSession", "session_for_ldap", "session_for_samba", "open_session"]


def open_session(profile, *, ask: bool = True, keep: bool = False) -> AdSession:
    """The directory of ``profile``: starts the simulated DC in samba mode (stop it with
    ``session.close()``), reads the lab domain in ldap mode."""
    mode = profile.ad.mode
    if mode == "samba":
        from .samba import start_for_profile

        dc = start_for_profile(profile, keep=keep)
        try:
            return session_for_samba(profile, dc)
        except BaseException:
            dc.stop()
            raise
    if mode == "ldap":
        return session_for_ldap(profile, ask=ask)
    from ..errors import EnvironmentProblem

    raise EnvironmentProblem("the profile has no directory ([ad] mode = 'none')")
