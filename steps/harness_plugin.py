"""Core pytest glue: profile, requirement markers, Allure labels, evidence, summary.

Logic lives in ``wscard``; this module only connects it to pytest and pytest-bdd.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from wscard.checks import CheckResult, CheckSkipped, enforce
from wscard.errors import EnvironmentProblem, NonCompliance, ProfileError
from wscard.profile import Profile, load_profile
from wscard.report import summary as summary_mod
from wscard.report.redact import redact
from wscard.requirements import AREA_TITLES, catalogue

ROOT = Path(__file__).resolve().parent.parent
PROFILE_KEY = pytest.StashKey[Profile]()
OUTCOMES_KEY = pytest.StashKey[list]()
HOST = socket.gethostname()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("wscard", "smart-card WorkSpaces compliance harness")
    g.addoption("--profile", default=None, metavar="PATH",
                help="environment profile (TOML); default: the embedded simulated compliant world")
    g.addoption("--baseline", default=None, choices=["seed", "admin-guide", "current"],
                help="documented baseline to check against (default: the profile's, else seed)")
    g.addoption("--summary-file", default=str(ROOT / "reports" / "compliance-summary.json"), metavar="PATH",
                help="where to write the per-requirement summary (JSON)")


def pytest_configure(config: pytest.Config) -> None:
    for rid, req in catalogue().items():
        config.addinivalue_line("markers", f"{rid}: {req.statement[:80]}")
    try:
        profile = load_profile(config.getoption("--profile"))
    except ProfileError as exc:
        raise pytest.UsageError(f"profile error: {exc}") from None
    baseline = config.getoption("--baseline")
    if baseline:
        profile = profile.replace("profile", baseline=baseline)
    config.stash[PROFILE_KEY] = profile
    config.stash[OUTCOMES_KEY] = []


def get_profile(config: pytest.Config) -> Profile:
    return config.stash[PROFILE_KEY]


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return get_profile(pytestconfig)


def pytest_report_header(config: pytest.Config) -> list[str]:
    p = get_profile(config)
    return [f"wscard profile: {p.label} ({p.name}); baseline: {p.profile.baseline}"]


# --- requirement IDs and Allure labels -----------------------------------------------

def requirement_ids(item: pytest.Item) -> list[str]:
    cat = catalogue()
    return sorted({m.name for m in item.iter_markers() if m.name in cat})


def _allure():
    try:
        import allure
    except ImportError:  # pragma: no cover - allure-pytest-bdd is a dependency
        return None
    return allure


def _safe(fn, *args, **kwargs) -> None:
    """Allure calls outside a scenario (plain tests, fixture set-up) raise KeyError."""
    try:
        fn(*args, **kwargs)
    except (KeyError, AttributeError, IndexError):
        pass


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request, feature, scenario) -> None:
    item = request.node
    ids = requirement_ids(item)
    item.user_properties.append(("wscard:requirements", ids))
    item.user_properties.append(("wscard:feature", feature.name))
    item.user_properties.append(("wscard:scenario", scenario.name))
    allure = _allure()
    if allure is None:
        return
    p = get_profile(item.config)
    cat = catalogue()
    area = Path(feature.filename).parent.name
    areas = sorted({cat[r].area for r in ids})
    epic = AREA_TITLES.get(areas[0], area) if len(areas) == 1 else area.replace("_", " ").title()
    severities = [cat[r].severity for r in ids]
    order = ["blocker", "critical", "normal", "minor", "trivial"]
    d = allure.dynamic
    _safe(d.epic, epic)
    _safe(d.feature, feature.name)
    _safe(d.story, scenario.name)
    if severities:
        _safe(d.severity, min(severities, key=order.index))
    for rid in ids:
        _safe(d.link, cat[rid].url, link_type="requirement", name=f"{rid}: {cat[rid].sources[0].key}")
    _safe(d.label, "profile", p.name)
    _safe(d.label, "baseline", p.profile.baseline)
    # Parameters make results from different hosts and profiles distinct entries when
    # results of several machines are merged into one report.
    _safe(d.parameter, "host", HOST)
    _safe(d.parameter, "profile", p.name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Name each scenario in its reports from collection on, so a scenario skipped
    before it starts (no reader, no domain) still shows its own name in the summary."""
    for item in items:
        doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
        feature, sep, scenario = doc.partition(": ")  # pytest-bdd: "<feature>: <scenario>"
        if sep and requirement_ids(item):
            if feature.endswith(".feature"):  # pytest-bdd gives the file here; the name comes later
                try:
                    feature = str(Path(feature).resolve().relative_to(ROOT))
                except ValueError:
                    pass
            item.user_properties.append(("wscard:feature", feature))
            item.user_properties.append(("wscard:scenario", scenario))


# --- evidence -------------------------------------------------------------------------

class Evidence:
    """What a step hands to the report: attachments (redacted) and check results."""

    def __init__(self, item: pytest.Item):
        self.item = item
        self.warnings: list[str] = []

    def attach_json(self, name: str, obj: Any) -> None:
        allure = _allure()
        body = json.dumps(redact(obj), indent=2, default=str)
        if allure:
            _safe(allure.attach, body, name=name, attachment_type=allure.attachment_type.JSON)

    def attach_text(self, name: str, text: str) -> None:
        allure = _allure()
        if allure:
            _safe(allure.attach, redact(text), name=name, attachment_type=allure.attachment_type.TEXT)

    def attach_pem(self, name: str, pem: bytes | str) -> None:
        allure = _allure()
        text = pem.decode() if isinstance(pem, bytes) else pem
        if allure:
            _safe(allure.attach, text, name=name, attachment_type=allure.attachment_type.TEXT, extension="pem")

    def warn(self, text: str) -> None:
        self.warnings.append(text)
        self.item.user_properties.append(("wscard:warning", text))
        self.attach_text("Warning", text)

    def check(self, result: CheckResult) -> CheckResult:
        """Attach the result; fail the step on non-compliance, skip it when the check
        cannot be judged, record warnings otherwise."""
        self.attach_json(f"{result.requirement}: {result.title}", {
            "requirement": result.requirement,
            "status": result.status.value,
            "findings": [f.render() for f in result.findings],
            "skipped_because": result.skipped_because,
            "evidence": result.evidence,
        })
        try:
            warnings = enforce(result)
        except CheckSkipped as exc:
            pytest.skip(str(exc))
        for w in warnings:
            self.warn(f"[{result.requirement}] {w.render()}")
        return result


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    return Evidence(request.node)


# --- outcomes and the summary ----------------------------------------------------------

def _error_kind(excinfo: pytest.ExceptionInfo | None) -> str:
    if excinfo is None:
        return ""
    if excinfo.errisinstance(NonCompliance):
        return "non-compliance"
    if excinfo.errisinstance(EnvironmentProblem):
        return "environment"
    if excinfo.errisinstance(AssertionError):
        return "non-compliance"
    return "harness"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        kind = _error_kind(call.excinfo)
        report.user_properties.append(("wscard:kind", kind))
        report.user_properties.append(("wscard:message", str(call.excinfo.value)[:4000]))
        if call.excinfo.errisinstance((NonCompliance, EnvironmentProblem)):
            # The message says what is wrong and how to fix it; a traceback into the
            # harness would only hide it. Harness errors keep their traceback.
            report.longrepr = f"{report.nodeid}\n{call.excinfo.value}"


def _props(report, key: str) -> list:
    return [v for k, v in report.user_properties if k == key]


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.pluginmanager.register(_OutcomeCollector(session.config), "wscard-outcomes")


class _OutcomeCollector:
    """Collects one outcome per scenario (on the xdist controller too)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.by_nodeid: dict[str, summary_mod.ScenarioOutcome] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        reqs = _props(report, "wscard:requirements")
        if not reqs and report.when == "setup" and report.skipped:
            # skipped before the scenario hook ran: use the markers from the keywords
            cat = catalogue()
            reqs = [sorted(k for k in report.keywords if k in cat)]
        if not reqs:
            return
        ids = reqs[-1]
        oc = self.by_nodeid.get(report.nodeid)
        if oc is None:
            name = (_props(report, "wscard:scenario") or [report.nodeid.split("::")[-1]])[-1]
            feature = (_props(report, "wscard:feature") or [""])[-1]
            oc = summary_mod.ScenarioOutcome(report.nodeid, name, feature, ids, "passed", host=HOST)
            self.by_nodeid[report.nodeid] = oc
        if report.skipped and oc.outcome == "passed":
            oc.outcome = "skipped"
            lr = report.longrepr
            oc.message = lr[2] if isinstance(lr, tuple) else str(lr)
        elif report.failed:
            kind = (_props(report, "wscard:kind") or ["harness"])[-1]
            oc.kind = kind
            oc.outcome = "failed" if kind == "non-compliance" else "broken"
            msg = (_props(report, "wscard:message") or [str(report.longrepr)])[-1]
            oc.message = msg if report.when == "call" else f"{report.when}: {msg}"
        ws = _props(report, "wscard:warning")
        if ws:
            oc.warnings = list(dict.fromkeys(oc.warnings + ws))
            if oc.outcome == "passed":
                oc.outcome = "warning"

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):
            return  # xdist worker: the controller writes the summary
        if not self.by_nodeid:
            return
        p = get_profile(session.config)
        aws = p.aws
        data = summary_mod.build(
            list(self.by_nodeid.values()), profile=p.label, baseline=p.profile.baseline,
            extra={"environment": {"aws mode": aws.mode, "aws region": aws.region,
                                   "authentication": ", ".join(p.profile.authentication)}},
        )
        path = Path(session.config.getoption("--summary-file"))
        summary_mod.write(data, path)
        session.config.stash[SUMMARY_KEY] = (data, path)
        results = getattr(session.config.option, "allure_report_dir", None)
        if results:
            _write_allure_metadata(Path(results), data)

    def pytest_terminal_summary(self, terminalreporter) -> None:
        got = self.config.stash.get(SUMMARY_KEY, None)
        if got is None:
            return
        data, path = got
        terminalreporter.section("compliance summary")
        terminalreporter.write_line(summary_mod.table(data))
        terminalreporter.write_line(f"summary: {path}")


SUMMARY_KEY = pytest.StashKey[tuple]()


def _write_allure_metadata(results: Path, data: dict) -> None:
    """categories.json and environment.properties beside the results, so any run (plain
    pytest included) leaves a folder that makes a complete report on its own."""
    from wscard.errors import HarnessError
    from wscard.report.allure_html import write_metadata
    from wscard.report.environment import base_environment

    env = base_environment()
    env.update({"profile": data["profile"], "baseline": data["baseline"], "hosts": ", ".join(data["hosts"])})
    env.update(data.get("environment", {}))
    try:
        write_metadata(results, env)
    except (HarnessError, OSError) as exc:  # the results themselves are already written
        import warnings

        warnings.warn(f"could not write the report metadata into {results}: {exc}")


# --- keep fixtures out of the report's step parameters -----------------------------------

def _is_fixture(request: pytest.FixtureRequest, name: str) -> bool:
    try:
        return bool(request._fixturemanager.getfixturedefs(name, request.node))
    except Exception:  # private API changed: hide every non-scalar to be safe
        return True


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    """allure-pytest-bdd records every step function argument as a step parameter (by its
    repr). Only the values parsed from the step text belong there: fixtures (clients,
    environments, anything that may hold a secret) are hidden from the other hook
    implementations and put back before the step runs."""
    hidden = {k: step_func_args.pop(k) for k in list(step_func_args) if _is_fixture(request, k)}
    try:
        yield
    finally:
        step_func_args.update(hidden)
