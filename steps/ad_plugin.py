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
from wscard.errors import EnvironmentProblem

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


#: The session kept running from one module to the next (:func:`ad_session`), with the
#: module it was kept for.
KEPT_KEY = pytest.StashKey["tuple[AdSession, object] | None"]()
#: The item that runs after the one being torn down (``pytest_runtest_teardown``).
NEXT_KEY = pytest.StashKey["pytest.Item | None"]()
#: The modules of the run that read the domain (:func:`_domain_modules` of its items).
DOMAIN_MODULES_KEY = pytest.StashKey[set]()


def _domain_modules(items: list[pytest.Item]) -> set:
    """The modules with an ``@ad`` scenario among ``items``: those that read the domain."""
    return {i.module for i in items if i.get_closest_marker("ad") is not None and getattr(i, "module", None)}


def _may_hand_on(config: pytest.Config) -> bool:
    """Whether the DC may be kept for the next module now. Not while a run on a virtual
    card has yet to take the virtual readers: every run takes the readers' lock before the
    DC's, and a DC kept into a module whose scenarios then open the card would be held
    while this run waits for the readers, with another run holding the readers and
    waiting for the DC (a deadlock until the readers' 300 s timeout). The modules that
    read the domain run at the last one's place (``pytest_collection_modifyitems``), so in
    a whole run the card area has taken the readers before them."""
    from steps.card_plugin import readers_held  # here: imported first as a plug-in (assertion rewriting)

    return not get_profile(config).card.virtual or readers_held(config)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The ``@ad`` scenarios are skipped with the reason when the domain cannot be read
    here, and kept on one xdist worker otherwise. Where there is a simulated DC to share
    (``[ad] mode = "samba"``, Samba usable here), the modules that read the domain run one
    after the other (at the last one's place, each module's scenarios in their order), so
    one DC serves them all (:func:`ad_session`). After the ``-m`` selection (trylast); deterministic, as xdist
    needs every worker to collect the same order."""
    ad_items = [i for i in items if i.get_closest_marker("ad") is not None]
    config.stash[DOMAIN_MODULES_KEY] = modules = set()
    if not ad_items:
        return
    profile = get_profile(config)
    reason = skip_reason(profile)
    if reason is None and profile.ad.mode == "samba":
        config.stash[DOMAIN_MODULES_KEY] = modules = _domain_modules(ad_items)
    xdist = config.pluginmanager.hasplugin("xdist")
    for item in ad_items:
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        elif xdist:
            # with pytest-xdist --dist loadgroup, one worker runs every @ad scenario
            item.add_marker(pytest.mark.xdist_group("wscard-ad"))
    if len(modules) > 1:
        reads = [getattr(item, "module", None) in modules for item in items]
        last = max(k for k, r in enumerate(reads) if r)
        domain = [item for item, r in zip(items, reads) if r]
        rest = [item for item, r in zip(items, reads) if not r]
        before = reads[:last].count(False)
        items[:] = rest[:before] + domain + rest[before:]


def pytest_report_header(config: pytest.Config) -> list[str]:
    p = get_profile(config)
    reason = skip_reason(p)
    if reason:
        return [f"wscard ad: @ad scenarios skipped: {reason}"]
    if p.ad.mode == "samba":
        return [f"wscard ad: simulated Samba AD DC on {p.ad.samba.address} (templates: {samba_mod.cache_root()})"]
    return [f"wscard ad: domain at {p.ad.ldap_url}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    item.config.stash[NEXT_KEY] = nextitem
    yield
    kept = item.config.stash.get(KEPT_KEY, None)
    if kept is not None and kept[1] is not getattr(nextitem, "module", None):
        # kept for a module that is over without asking for the domain (its scenarios
        # that read it skipped, say): stop the DC now, not at the end of the run
        item.config.stash[KEPT_KEY] = None
        kept[0].close()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    kept = session.config.stash.get(KEPT_KEY, None)
    if kept is not None:
        session.config.stash[KEPT_KEY] = None
        kept[0].close()


def _readers_first(profile, request: pytest.FixtureRequest) -> None:
    """Take the virtual readers before the DC when the AD scenarios will read the user
    certificates from a virtual card (``[pki] user_source = "card"``: the logon
    certificates of the AD area come from the card session). Every run takes the readers'
    lock before the DC's; without this, the DC would be held while this run waits for the
    readers, and another run holding them and waiting for the DC would wait for it (a
    deadlock until the readers' 300 s timeout). A card that cannot start is the card
    scenarios' finding, not the domain's: the DC starts anyway."""
    from steps.card_plugin import readers_held
    from steps.pki_plugin import user_certificates_from_the_card

    if profile.card.virtual and not readers_held(request.config) and user_certificates_from_the_card(profile):
        try:
            request.getfixturevalue("card_session")
        except EnvironmentProblem:
            pass


@pytest.fixture(scope="module")
def ad_session(profile, pytestconfig: pytest.Config, request: pytest.FixtureRequest):
    """The directory under test (EnvironmentProblem -> broken). Module scope: the simulated
    DC runs from the first scenario that reads the domain to the last (a second or two),
    not for the whole run. Its ports are fixed, so runs on one machine take turns (the
    self-tests run suites in parallel) and hold it briefly.

    Where there is one to share, the modules with ``@ad`` scenarios run one after the other
    (``pytest_collection_modifyitems``), and when the next module is one of them the
    session is handed on instead of stopped (unless :func:`_may_hand_on` says not now):
    one DC start a run, where the AD and login areas started one each (a start and stop
    costs 0.4-1.2 s of CPU, measured). Nothing a scenario does changes the domain (the
    harness reads it, and asks its KDC for tickets), so the next module reads the same
    directory a new DC would give it."""
    kept = pytestconfig.stash.get(KEPT_KEY, None)
    if kept is not None and kept[1] is request.module:
        pytestconfig.stash[KEPT_KEY] = None
        session = kept[0]
    else:
        _readers_first(profile, request)
        session = open_session(profile, keep=pytestconfig.getoption("--ad-keep"))
    pytestconfig.stash[SESSION_KEY] = session
    handed_on = False
    try:
        yield session
        nxt_module = getattr(pytestconfig.stash.get(NEXT_KEY, None), "module", None)
        if (session.dc is not None and nxt_module is not None and nxt_module is not request.module
                and nxt_module in pytestconfig.stash.get(DOMAIN_MODULES_KEY, set()) and _may_hand_on(pytestconfig)):
            pytestconfig.stash[KEPT_KEY] = (session, nxt_module)
            handed_on = True
    finally:
        if not handed_on:
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
