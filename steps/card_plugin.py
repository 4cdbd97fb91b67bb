"""pytest glue of the card area: ``--card``, the run's card session, the per-scenario
``card`` fixture (APDU trace, identity and certificates as evidence), and the rules for
``@hw`` scenarios.

* ``--card`` overrides ``[card] backend`` (softhsm, virtual-piv, virtual-cac,
  virtual-other, pcsc).
* ``pytest -m hw`` without ``--card`` on a profile whose backend is ``softhsm`` (the
  embedded default) uses the real readers (``pcsc``) when PC/SC shows one: that is the
  lab machine's command. Without a real reader the ``@hw`` scenarios are skipped.
* ``@hw`` scenarios need a PC/SC reader: with the ``softhsm`` backend they are skipped
  with a reason that says how to run them.
* When the card environment cannot be set up (no pcscd, no reader, no OpenSC), every
  card scenario ends *broken* with the same one-line message (no traceback per
  scenario), and the terminal summary shows it once.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from hardware.backends import AUTO, BACKENDS, make_backend, resolve_auto
from hardware.pin import PinLogFilter
from hardware.session import CardSession
from wscard.errors import EnvironmentProblem
from wscard.profile import Profile

from .harness_plugin import PROFILE_KEY, get_profile

CARD_PROBLEM = pytest.StashKey[list]()
CARD_NOTE = pytest.StashKey[str]()
#: Whether this run's card session holds the machine's virtual readers (their lock).
READERS_HELD = pytest.StashKey[bool]()


def readers_held(config: pytest.Config) -> bool:
    """Whether this run holds the virtual readers now: its card session started on a
    virtual card (hardware.backends takes the readers' lock at start, releases it at
    stop). Another lock taken after this one cannot be waited on while waiting for them."""
    return config.stash.get(READERS_HELD, False)


HOW_TO_RUN_HW = (
    "the card-edge scenario needs a card in a PC/SC reader and the card is a SoftHSM token. Fix: a lab machine "
    "with a reader and one card: 'pytest -m hw' (or --card pcsc); Linux with the emulated stack (as CI): "
    "--card virtual-piv or virtual-cac (docs/card.md)"
)
_FILTER = PinLogFilter()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("wscard")
    g.addoption("--card", default=None, choices=(AUTO, *BACKENDS), metavar="BACKEND",
                help="card backend, overriding [card] backend: " + ", ".join((AUTO, *BACKENDS))
                + " (the PIN never goes on the command line: $SMARTCARD_PIN or a prompt)")


def _selects_hw(markexpr: str) -> bool:
    return bool(re.search(r"\bhw\b", markexpr)) and not re.search(r"\bnot\s+hw\b", markexpr)


def real_readers() -> list[str]:
    """PC/SC readers other than vsmartcard's virtual ones ([] when PC/SC is unavailable)."""
    try:
        from hardware import pcsc

        return [r for r in pcsc.list_readers() if not r.startswith("Virtual PCD")]
    except Exception:
        return []


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.stash[CARD_PROBLEM] = []
    config.stash[CARD_NOTE] = ""
    if PROFILE_KEY not in config.stash:
        return
    backend = config.getoption("--card")
    profile = get_profile(config)
    if backend:
        profile = profile.replace("card", backend=backend)
    chosen = profile.card.backend
    if not backend and chosen in ("softhsm", AUTO) and _selects_hw(config.getoption("markexpr") or ""):
        readers = real_readers()
        if readers:
            config.stash[PROFILE_KEY] = profile.replace("card", backend="pcsc")
            config.stash[CARD_NOTE] = f"-m hw without --card: using the real readers ({', '.join(readers)})"
            return
        if chosen == "softhsm":
            config.stash[CARD_NOTE] = "-m hw without --card: no real PC/SC reader found"
    if chosen == AUTO:
        chosen, why = resolve_auto(AUTO)
        config.stash[CARD_NOTE] = (f"[card] backend = 'auto': {why}, so SoftHSM" if why
                                   else "[card] backend = 'auto': the virtual PIV card (emulated stack installed)")
        profile = profile.replace("card", backend=chosen)
    config.stash[PROFILE_KEY] = profile


def _backend_name(config: pytest.Config) -> str:
    return get_profile(config).card.backend


def pytest_report_header(config: pytest.Config) -> list[str]:
    note = config.stash.get(CARD_NOTE, "")
    return [f"wscard card backend: {_backend_name(config)}" + (f" ({note})" if note else "")]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # the backend is looked at only when there are card-edge scenarios to skip: a run
    # without them does not depend on it (the self-test's tracer sees that, wscard.selftest)
    hw_items = [item for item in items if item.get_closest_marker("hw") is not None]
    if not hw_items or _backend_name(config) != "softhsm":
        return
    note = config.stash.get(CARD_NOTE, "")
    skip = pytest.mark.skip(reason=HOW_TO_RUN_HW + (f" ({note})" if note else ""))
    for item in hw_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def card_session(pytestconfig: pytest.Config, profile: Profile):
    """The run's card session: the backend started once, stopped at the end of the run."""
    problems = pytestconfig.stash[CARD_PROBLEM]
    if problems:
        raise EnvironmentProblem(problems[0])
    section = profile.card
    workers = getattr(pytestconfig, "workerinput", {}).get("workercount", 1)
    if section.virtual and workers > 1:
        problems.append(
            "the two virtual readers serve one pytest process at a time: run the card scenarios with virtual cards "
            "without -n (pytest-xdist)"
        )
        raise EnvironmentProblem(problems[0])

    def resolve(name: str) -> Any:
        from wscard.pki import get_pki

        return get_pki(profile.pki).get(name)

    session = CardSession(make_backend(section, resolve if section.simulated else None))
    try:
        session.start()
    except EnvironmentProblem as exc:
        problems.append(str(exc).removeprefix(EnvironmentProblem.PREFIX))
        raise EnvironmentProblem(problems[0]) from None
    pytestconfig.stash[READERS_HELD] = section.virtual
    try:
        yield session
    finally:
        pytestconfig.stash[READERS_HELD] = False
        session.stop()


class CardScenario:
    """One scenario's view of the card: resets the traces, attaches them as evidence."""

    def __init__(self, session: CardSession, item: pytest.Item):
        self.session = session
        self.item = item
        session.trace.reset()
        trace = session.backend.card_side_trace()
        self._card_log_start = len(trace) if trace is not None else 0
        self._apdus_start = session.backend.card_side_apdus()

    @property
    def apdus(self) -> int | None:
        now = self.session.backend.card_side_apdus()
        if now is None or self._apdus_start is None:
            return None
        return now - self._apdus_start

    def certificates(self) -> list:
        """The card's certificates, for the evidence (what the scenario already read)."""
        s = self.session
        try:
            if s.backend.uses_pcsc and s._identity is not None:
                return list(s._identity.certificates)
            return s.certificates()
        except Exception:
            return []

    def attach(self, evidence: Any, identity: bool = False, certificates: list | None = None) -> None:
        s = self.session
        evidence.attach_json("Card backend", s.backend.describe())
        if s._card is not None:
            evidence.attach_json("PKCS#11 token of the card under test", s._card.info.summary())
        if len(s.trace):
            evidence.attach_text("APDU trace (harness, PIN bytes masked)", s.trace.text())
        trace = s.backend.card_side_trace()
        if trace is not None and len(trace) > self._card_log_start:
            from hardware.transport import ApduTrace

            part = ApduTrace(trace.entries[self._card_log_start :])
            evidence.attach_text("APDU trace (seen by the virtual card, PIN bytes masked)", part.text())
        if identity:
            try:
                evidence.attach_json("Card identity", s.identity().summary())
            except Exception:
                pass
        for i, c in enumerate(certificates or []):
            evidence.attach_pem(f"Certificate {c.slot} ({i + 1})", c.pem)


@pytest.fixture
def card(card_session: CardSession, request: pytest.FixtureRequest):
    scenario = CardScenario(card_session, request.node)
    yield scenario
    n = scenario.apdus
    if n is not None:
        request.node.user_properties.append(("wscard:card_apdus", n))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None and call.excinfo.errisinstance(EnvironmentProblem) \
            and item.get_closest_marker("card") is not None:
        report.longrepr = str(call.excinfo.value)  # one line, no traceback


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    problems = config.stash.get(CARD_PROBLEM, [])
    if problems:
        terminalreporter.section("card environment")
        terminalreporter.write_line(f"{EnvironmentProblem.PREFIX}{problems[0]}")
        terminalreporter.write_line("every card scenario that needed the card ended broken for this reason")
