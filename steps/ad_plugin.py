"""pytest glue for the Active Directory area (``@ad`` scenarios, features/ad).

* At collection: when the profile has no directory (``[ad] mode = "none"``), or the
  simulated domain controller cannot run here (Samba not installed, not root), every
  ``@ad`` scenario is skipped with one reason that says how to fix it.
* ``ad_session``: in samba mode starts the private Samba AD DC from the cached template
  before the first @ad scenario and stops it after the last (every process, the
  directory); in ldap mode reads the lab domain named by ``[ad]``.
"""

from __future__ import annotations

import pytest

from steps.harness_plugin import get_profile
from wscard.ad import AdSession, open_session
from wscard.ad import samba as samba_mod

SESSION_KEY = pytest.StashKey[AdSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("wscard")
    g.addoption("--ad-keep", action="store_true", default=False,
                help="keep the simulated domain controller's private directory after the run (debugging)")


def skip_reason(profile) -> str | None:
    """Why the @ad scenarios cannot run with this profile here (None: they can)."""
    mode = profile.ad.mode
    if mode == "none":
        return ("the profile has no Active Directory domain ([ad] mode = 'none'): use mode = 'samba' for the "
                "simulated domain controller, or mode = 'ldap' with ldap_url for a real domain (docs/ad.md)")
    if mode == "samba":
        return samba_mod.unavailable_reason()
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ad_items = [i for i in items if i.get_closest_marker("ad") is not None]
    if not ad_items:
        return
    reason = skip_reason(get_profile(config))
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in ad_items:
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        elif xdist:
            # with pytest-xdist --dist loadgroup, one worker runs every @ad scenario
            item.add_marker(pytest.mark.xdist_group("wscard-ad"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    p = get_profile(config)
    reason = skip_reason(p)
    if reason:
        return [f"wscard ad: @ad scenarios skipped: {reason}"]
    if p.ad.mode == "samba":
        return [f"wscard ad: simulated Samba AD DC on {p.ad.samba.address} (templates: {samba_mod.cache_root()})"]
    return [f"wscard ad: domain at {p.ad.ldap_url}"]


@pytest.fixture(scope="module")
def ad_session(profile, pytestconfig: pytest.Config):
    """The directory under test (EnvironmentProblem -> broken). Module scope: the @ad
    scenarios live in one module, so the simulated DC runs from the first of them to the
    last (about a second) instead of for the whole run. Its ports are fixed, so runs on
    one machine take turns (the self-tests run suites in parallel) and hold it briefly."""
    session = open_session(profile, keep=pytestconfig.getoption("--ad-keep"))
    pytestconfig.stash[SESSION_KEY] = session
    try:
        yield session
    finally:
        session.close()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is None:
        return
    parts = []
    dc = session.dc or session.last_dc
    if dc is not None:
        parts.append("domain controller " + ", ".join(f"{k} {v:.2f} s" for k, v in dc.timings.items()))
    if session.timings:
        parts.append(", ".join(f"{k} {v:.2f} s" for k, v in session.timings.items()))
    if parts:
        terminalreporter.write_line("wscard ad: " + "; ".join(parts))
