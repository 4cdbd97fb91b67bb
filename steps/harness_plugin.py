"""Core pytest glue: profile, requirement markers, Allure labels, evidence, summary.

Logic lives in ``wscard``; this module only connects it to pytest and pytest-bdd.
"""

from __future__ import annotations

import gc
import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from wscard.aws.botocore_data import share_across_sessions
from wscard.checks import CheckResult, CheckSkipped, enforce
from wscard.errors import EnvironmentProblem, NonCompliance, ProfileError
from wscard.profile import Profile, load_profile
from wscard.limits import BASELINES
from wscard.report import runs as runs_mod
from wscard.report import summary as summary_mod
from wscard.report.redact import redact
from wscard.requirements import AREA_TITLES, catalogue
from wscard.verdict import NOT_APPLICABLE_PREFIX, ExitCode, Outcome, run_exit_code

ROOT = Path(__file__).resolve().parent.parent
PROFILE_KEY = pytest.StashKey[Profile]()
RUN_KEY = pytest.StashKey[object]()
PLAN_KEY = pytest.StashKey[dict]()
INFO_KEY = pytest.StashKey[dict]()
DESELECTED_KEY = pytest.StashKey[int]()
#: the run's Allure labels and parameters taken from the profile (name, baseline): read once
#: at session start, as the run header is, not again for every scenario
LABELS_KEY = pytest.StashKey[dict]()
HOST = socket.gethostname()


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("wscard", "smart-card WorkSpaces compliance harness")
    g.addoption("--profile", default=None, metavar="PATH",
                help="environment profile (TOML); default: the embedded simulated compliant world")
    g.addoption("--baseline", default=None, choices=list(BASELINES),
                help="documented baseline to check against (default: the profile's, else seed)")
    g.addoption("--run-dir", default=None, metavar="DIR", dest="wscard_run_dir",
                help="this run's folder (default: reports/runs/<run id>); the Allure results and the "
                     "summary go there unless --alluredir / --summary-file say otherwise")
    g.addoption("--summary-file", default=None, metavar="PATH",
                help="where to write the per-requirement summary (JSON); default: in the run folder")


def _is_compliance_run(config: pytest.Config) -> bool:
    """True when the run collects the features (the default testpaths, or paths under
    steps/ or features/), not the project's own tests."""
    if config.getoption("help", False) or config.getoption("version", False):
        return False
    args = [a.split("::")[0] for a in config.args] or ["steps"]
    inside = (ROOT / "steps", ROOT / "features")
    for a in args:
        path = Path(a) if Path(a).is_absolute() else Path(config.invocation_params.dir) / a
        try:
            path = path.resolve()
        except OSError:
            return False
        if not any(path == d or d in path.parents for d in inside):
            return False
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    for rid, req in catalogue().items():
        config.addinivalue_line("markers", f"{rid}: {req.statement[:80]}")
    # before anything makes a botocore session (the profile's Region check reads
    # endpoints.json; moto's EC2 module makes sessions at import): one loader a process
    share_across_sessions()
    try:
        profile = load_profile(config.getoption("--profile"))
    except ProfileError as exc:
        raise pytest.UsageError(f"profile error: {exc}") from None
    baseline = config.getoption("--baseline")
    if baseline:
        profile = profile.replace("profile", baseline=baseline)
    config.stash[PROFILE_KEY] = profile
    config.stash[RUN_KEY] = _prepare_run(config)


def _prepare_run(config: pytest.Config) -> "RunPlaces | None":
    """Choose this run's folder and output places and prove they can be written, before
    any scenario runs (an unwritable place, or a folder that already holds a run, stops the
    run at once: usage error). xdist workers take the controller's folder."""
    if not _is_compliance_run(config) or config.option.collectonly:
        return None
    workerinput = getattr(config, "workerinput", None)
    opt = config.option
    started = datetime.now(timezone.utc)
    if workerinput is not None and workerinput.get("wscard_run"):
        shared = workerinput["wscard_run"]  # the controller's places (pytest_configure_node)
        opt.wscard_run_dir, opt.allure_report_dir, opt.summary_file = shared
    if not opt.wscard_run_dir:
        opt.wscard_run_dir = str(runs_mod.RUNS / runs_mod.new_run_id(started))
    run_dir = Path(opt.wscard_run_dir).absolute()
    if not getattr(opt, "allure_report_dir", None):
        opt.allure_report_dir = str(run_dir / runs_mod.RESULTS_NAME)
    opt.clean_alluredir = False  # a run never deletes results it did not write
    if not opt.summary_file:
        opt.summary_file = str(run_dir / runs_mod.SUMMARY_NAME)
    places = RunPlaces(run_dir, Path(opt.allure_report_dir).absolute(), Path(opt.summary_file).absolute(), started)
    if workerinput is None:
        try:
            runs_mod.ensure_new_run_folder(places.run_dir)
            runs_mod.ensure_writable(places.run_dir, "the run folder (--run-dir)")
            runs_mod.ensure_writable(places.results, "the Allure results folder (--alluredir)")
            runs_mod.ensure_writable(places.summary.parent, "the summary's folder (--summary-file)")
            if places.summary.is_dir():
                raise runs_mod.OutputNotWritable(f"--summary-file: {places.summary} is a folder: name a file")
        except runs_mod.OutputNotWritable as exc:
            runs_mod.remove_if_empty(places.results)
            runs_mod.remove_if_empty(places.run_dir)
            raise pytest.UsageError(str(exc)) from None
        places.lock = runs_mod.hold_run(places.run_dir)
        config.add_cleanup(lambda: _drop_if_nothing_ran(places))
        config.add_cleanup(_interrupt_on_sigterm())
    return places


def _drop_if_nothing_ran(places: "RunPlaces") -> None:
    """A run refused before any scenario (a usage error from any plug-in) leaves no folder."""
    if places.lock is not None:
        places.lock.release()
    if (places.run_dir / runs_mod.PLAN_NAME).exists() or (places.run_dir / runs_mod.SUMMARY_NAME).exists():
        return
    runs_mod.remove_if_empty(places.results)
    (places.run_dir / runs_mod.RUN_LOCK_NAME).unlink(missing_ok=True)
    runs_mod.remove_if_empty(places.run_dir)


#: Seconds after an interrupt in which another SIGINT or SIGTERM is the same one delivered
#: twice, not a second Ctrl-C.
INTERRUPT_ECHO_SECONDS = 2.0


def _interrupt_on_sigterm() -> Callable[[], None]:
    """SIGTERM (a CI job cancelled, ``kill``) ends the run as Ctrl-C does: an interrupted
    run whose summary says so, rather than one that vanishes without a word.

    And one Ctrl-C is one interrupt: a terminal's Ctrl-C reaches every process of its
    foreground group, so under ``wscard check`` pytest gets it from the terminal and again
    from ``wscard check``, which passes SIGINT on (for a SIGINT sent to it alone). The
    second, landing while pytest was reporting the first, ended the run with exit 254 and
    a traceback instead of 2 (measured in the interrupted-run self-test). A SIGINT or
    SIGTERM within :data:`INTERRUPT_ECHO_SECONDS` of the first is dropped; a later one
    interrupts again (a second Ctrl-C still stops a teardown that hangs). Returns what
    puts the previous handlers back."""
    import signal
    import threading
    import time

    previous: dict[int, Any] = {}

    def restore() -> None:
        for sig, handler in previous.items():
            try:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, OSError):
                pass

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return restore
    first: list[float] = []

    def interrupt(signum, frame):
        now = time.monotonic()
        if first and now - first[-1] < INTERRUPT_ECHO_SECONDS:
            return
        first.append(now)
        name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
        raise KeyboardInterrupt(f"signal {signum} ({name})")

    for sig, default in ((signal.SIGTERM, (signal.SIG_DFL, None)), (signal.SIGINT, (signal.default_int_handler,))):
        try:
            if signal.getsignal(sig) in default:
                previous[sig] = signal.signal(sig, interrupt)
        except (ValueError, OSError):
            pass
    return restore


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist: every worker writes into the controller's run folder."""
    places = node.config.stash.get(RUN_KEY, None)
    if places is not None:
        node.workerinput["wscard_run"] = (str(places.run_dir), str(places.results), str(places.summary))


@dataclass
class RunPlaces:
    run_dir: Path
    results: Path
    summary: Path
    started: datetime
    #: held by the controller while the run lives (``wscard prune`` leaves the folder alone)
    lock: Any = None

    @property
    def all_inside(self) -> bool:
        """Results and summary both in the run folder (only then can it be "the latest")."""
        return self.run_dir in self.results.parents and self.summary.parent == self.run_dir


def get_profile(config: pytest.Config) -> Profile:
    return config.stash[PROFILE_KEY]


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return get_profile(pytestconfig)


def pytest_report_header(config: pytest.Config) -> list[str]:
    p = get_profile(config)
    lines = [f"wscard profile: {p.label} ({p.name}); baseline: {p.profile.baseline}"]
    places = config.stash.get(RUN_KEY, None)
    if places is not None:
        lines.append(f"wscard run folder: {places.run_dir}")
    return lines


def expect_that(condition: bool, problem: str) -> None:
    """A step's own comparison with the documented behaviour: a non-compliance when it does
    not hold (a plain ``assert`` in a step is filed as a harness error)."""
    if not condition:
        raise NonCompliance(f"{NonCompliance.PREFIX} {problem}")


class NotApplicable(pytest.skip.Exception):
    """The skip of a scenario that is *not applicable* (wscard.verdict.Outcome.
    NOT_APPLICABLE): the report carries the flag (``report.wscard["not_applicable"]``),
    not a marker in the reason's text, so no skip reason can pass for one."""


def not_applicable(reason: str) -> None:
    """Skip the scenario as *not applicable*: it checks a variant the environment does not
    have, as the profile declares it (see wscard.verdict.Outcome.NOT_APPLICABLE)."""
    raise NotApplicable(NOT_APPLICABLE_PREFIX + reason)


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


def _epic(ids: list[str], area: str) -> str:
    cat = catalogue()
    areas = sorted({cat[r].area for r in ids if r in cat})
    return AREA_TITLES.get(areas[0], area) if len(areas) == 1 else area.replace("_", " ").title()


def _severity(ids: list[str]) -> str | None:
    cat = catalogue()
    order = ["blocker", "critical", "normal", "minor", "trivial"]
    sev = [cat[r].severity for r in ids if r in cat]
    return min(sev, key=order.index) if sev else None


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request, feature, scenario) -> None:
    item = request.node
    info = item.stash.get(INFO_KEY, None)
    if info is not None:
        info["feature"] = feature.name
    ids = requirement_ids(item)
    allure = _allure()
    if allure is None:
        return
    labels = item.config.stash[LABELS_KEY]
    cat = catalogue()
    d = allure.dynamic
    _safe(d.epic, _epic(ids, Path(feature.filename).parent.name))
    _safe(d.feature, feature.name)
    _safe(d.story, scenario.name)
    sev = _severity(ids)
    if sev:
        _safe(d.severity, sev)
    for rid in ids:
        _safe(d.link, cat[rid].url, link_type="requirement", name=f"{rid}: {cat[rid].sources[0].key}")
        _safe(d.label, "requirement", rid)
    _safe(d.label, "profile", labels["profile"])
    _safe(d.label, "baseline", labels["baseline"])
    _safe(d.label, "wscard_nodeid", item.nodeid)
    # Parameters make results from different hosts and profiles distinct entries when
    # results of several machines are merged into one report.
    _safe(d.parameter, "host", HOST)
    _safe(d.parameter, "profile", labels["profile"])


def _feature_title(path: Path) -> str:
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith("Feature:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return path.stem


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Name each scenario from collection on (feature, scenario, requirement IDs), so a
    scenario that never starts (no reader, no domain, an interrupted run) is still named
    in the summary, the report and JUnit XML. JUnit gets each property once."""
    for item in items:
        ids = requirement_ids(item)
        if not ids:
            continue
        doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
        feature, sep, scenario = doc.partition(": ")  # pytest-bdd: "<feature file>: <scenario>"
        if not sep:
            feature, scenario = "", item.name
        feature_file = feature
        if feature.endswith(".feature"):
            try:
                feature_file = str(Path(feature).resolve().relative_to(ROOT))
            except ValueError:
                pass
        params = _example_values(item)
        for key, value in params.items():  # an outline's name with the example's values
            scenario = scenario.replace(f"<{key}>", str(value))
        item.stash[INFO_KEY] = {"requirements": ids, "scenario": scenario, "feature_file": feature_file,
                                "parameters": params,
                                "tags": sorted(m.name for m in item.iter_markers()
                                               if m.name not in ("skip", "usefixtures", "parametrize", "xdist_group")),
                                "feature": _feature_title(ROOT / feature_file) if feature_file else "",
                                "warnings": []}
        item.user_properties.append(("requirements", ",".join(ids)))
        item.user_properties.append(("feature", feature_file))
        item.user_properties.append(("scenario", scenario))


def _example_values(item: pytest.Item) -> dict[str, str]:
    """The values of a Scenario Outline example (pytest-bdd's ``_pytest_bdd_example``
    parameter), or {}."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return {}
    example = callspec.params.get("_pytest_bdd_example")
    return {str(k): str(v) for k, v in example.items()} if isinstance(example, dict) else {}


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        config = items[0].config
        config.stash[DESELECTED_KEY] = config.stash.get(DESELECTED_KEY, 0) + len(items)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Write the run's plan (the selected scenarios) into the run folder: the controller
    reads it at the end, so scenarios that never ran are still accounted for (xdist
    workers collect; the controller does not)."""
    places = session.config.stash.get(RUN_KEY, None)
    if places is None or session.config.option.collectonly:
        return
    plan = []
    for item in session.items:
        info = item.stash.get(INFO_KEY, None)
        if info is None:
            continue
        skip = item.get_closest_marker("skip")
        plan.append({"nodeid": item.nodeid, "name": info["scenario"], "feature": info["feature"],
                     "feature_file": info["feature_file"], "requirements": info["requirements"],
                     "parameters": info["parameters"],
                     "tags": sorted(m.name for m in item.iter_markers()),
                     "skip": (skip.kwargs.get("reason") or (skip.args[0] if skip.args else "")) if skip else ""})
    data = {"scenarios": plan, "deselected": session.config.stash.get(DESELECTED_KEY, 0)}
    try:
        runs_mod.write_json_atomic(places.run_dir / runs_mod.PLAN_NAME, data)
    except OSError:
        pass  # the end of the run says what it could not account for
    session.config.stash[PLAN_KEY] = data
    # What the imports, the plug-ins and the collection made lives for the whole run:
    # out of the cyclic collector's way (each full collection walked it again, and pytest
    # collects twice more at its end). Freed by reference counting as before; a reference
    # cycle among these objects, unreachable now or later, stays until the process ends
    # (a run is one process; 330 such objects measured). Measured on the main job: about
    # 0.5 s of CPU less (benchmarks/bench_selftest.py).
    gc.freeze()


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
        info = self.item.stash.get(INFO_KEY, None)
        if info is not None:
            info["warnings"].append(text)
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
            if not exc.applies:
                not_applicable(str(exc))
            pytest.skip(str(exc))
        for w in warnings:
            self.warn(f"[{result.requirement}] {w.render()}")
        return result


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    return Evidence(request.node)


# --- outcomes, the summary, the exit code ---------------------------------------------

def _error_kind(excinfo: pytest.ExceptionInfo | None) -> Outcome:
    if excinfo is None:
        return Outcome.ERROR
    if excinfo.errisinstance(EnvironmentProblem):
        return Outcome.ENVIRONMENT
    if excinfo.errisinstance(NonCompliance):
        return Outcome.FAILED
    return Outcome.ERROR  # a plain assert in a step, or any other exception: the harness's fault


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Carry the scenario's data on the report (``report.wscard``; xdist sends it to the
    controller) rather than in user_properties, which JUnit XML writes out."""
    outcome = yield
    report = outcome.get_result()
    info = item.stash.get(INFO_KEY, None)
    if info is None:
        return
    data = {"requirements": info["requirements"], "scenario": info["scenario"], "feature": info["feature"],
            "feature_file": info["feature_file"], "parameters": info["parameters"], "tags": info.get("tags", []),
            "warnings": list(info["warnings"])}
    if report.skipped and call.excinfo is not None and isinstance(call.excinfo.value, NotApplicable):
        data["not_applicable"] = True
    if report.failed and call.excinfo is not None:
        kind = _error_kind(call.excinfo)
        data["outcome"] = kind.value
        data["message"] = str(call.excinfo.value)[:4000]
        if kind is not Outcome.ERROR:
            # The message says what is wrong and how to fix it, first (JUnit's failure
            # message too); a traceback into the harness would only hide it. Harness
            # errors keep their traceback.
            report.longrepr = f"{call.excinfo.value}\n({report.nodeid})"
    report.wscard = data


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    p = get_profile(session.config)
    session.config.stash[LABELS_KEY] = {"profile": p.name, "baseline": p.profile.baseline}
    session.config.pluginmanager.register(_OutcomeCollector(session.config), "wscard-outcomes")


def _skip_reason(report) -> str:
    lr = report.longrepr
    text = lr[2] if isinstance(lr, tuple) else str(lr)
    return text.removeprefix("Skipped: ")


class _OutcomeCollector:
    """Collects one outcome per scenario (on the xdist controller too), writes the summary
    and sets the exit code (wscard.verdict.ExitCode)."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.by_nodeid: dict[str, summary_mod.ScenarioOutcome] = {}
        self.setup_only: set[str] = set()  # ended before the scenario started: no Allure result yet
        self.meta: dict[str, dict] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "wscard", None)
        if not data:
            return
        self.meta[report.nodeid] = data
        oc = self.by_nodeid.get(report.nodeid)
        if oc is None:
            # "not run" until a report says otherwise: a scenario interrupted while it ran
            # (no call report) must never count as passed
            oc = summary_mod.ScenarioOutcome(report.nodeid, data["scenario"], data["feature"] or data["feature_file"],
                                             data["requirements"], Outcome.NOT_RUN.value,
                                             "interrupted while it ran: no verdict", host=HOST)
            self.by_nodeid[report.nodeid] = oc
        if report.when == "setup" and not report.passed:
            self.setup_only.add(report.nodeid)
        if report.when == "call" and report.passed and oc.outcome == Outcome.NOT_RUN.value:
            oc.outcome, oc.message = Outcome.PASSED.value, ""
        if report.skipped and oc.outcome == Outcome.NOT_RUN.value:
            reason = _skip_reason(report)
            if data.get("not_applicable"):
                oc.outcome, oc.message = Outcome.NOT_APPLICABLE.value, reason.removeprefix(NOT_APPLICABLE_PREFIX)
            else:
                oc.outcome, oc.message = Outcome.SKIPPED.value, reason
        elif report.failed and oc.outcome not in (Outcome.FAILED.value,):
            oc.outcome = data.get("outcome", Outcome.ERROR.value)
            msg = data.get("message") or str(report.longrepr)[:4000]
            oc.message = msg if report.when == "call" else f"{report.when}: {msg}"
        if data["warnings"]:
            oc.warnings = list(dict.fromkeys(oc.warnings + data["warnings"]))
            if oc.outcome == Outcome.PASSED.value:
                oc.outcome = Outcome.WARNING.value

    def _not_run(self, plan: dict) -> list[summary_mod.ScenarioOutcome]:
        why = ("the run was interrupted before this scenario" if self.interrupted
               else "the run stopped before this scenario (-x, --maxfail or a crash)")
        out = []
        for sc in plan.get("scenarios", []):
            if sc["nodeid"] not in self.by_nodeid:
                out.append(summary_mod.ScenarioOutcome(sc["nodeid"], sc["name"], sc["feature"] or sc["feature_file"],
                                                       sc["requirements"], Outcome.NOT_RUN.value, why, host=HOST))
                self.meta[sc["nodeid"]] = {**sc, "scenario": sc["name"], "warnings": []}
        return out

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        config = session.config
        places: RunPlaces | None = config.stash.get(RUN_KEY, None)
        if hasattr(config, "workerinput") or places is None or config.option.collectonly:
            return  # xdist worker (the controller writes the summary), or not a compliance run
        if exitstatus == pytest.ExitCode.USAGE_ERROR:
            runs_mod.remove_if_empty(places.results)
            runs_mod.remove_if_empty(places.run_dir)
            return  # the command line was refused: nothing ran, pytest said why
        self.interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        plan = config.stash.get(PLAN_KEY, None) or _read_plan(places)
        not_run = self._not_run(plan)
        scenarios = list(self.by_nodeid.values()) + not_run
        if exitstatus == pytest.ExitCode.INTERNAL_ERROR and not scenarios:
            return
        p = get_profile(config)
        reqs = {rid for sc in scenarios for rid in sc.requirements}
        from wscard.verdict import requirement_verdict

        verdicts = [requirement_verdict(s.outcome for s in scenarios if rid in s.requirements).verdict
                    for rid in reqs]
        code = run_exit_code(verdicts, [s.outcome for s in scenarios], interrupted=self.interrupted)
        if exitstatus == pytest.ExitCode.INTERNAL_ERROR or (
                not scenarios and exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED,
                                                     pytest.ExitCode.INTERRUPTED)):
            code = ExitCode.HARNESS_ERROR  # e.g. xdist workers that crashed: never "nothing selected"
        complete = (code is not ExitCode.INTERRUPTED and not not_run and not plan.get("deselected")
                    and _whole_suite(config)
                    and not config.option.markexpr and not config.option.keyword)
        self.written_allure = _write_allure_extras(places.results, scenarios, self.meta, self.setup_only, p)
        from wscard.report.environment import component_versions, git_commit
        from wscard import __version__

        profile_path = p.path
        run = {
            "run_id": places.run_dir.name,
            "run_folder": str(places.run_dir),
            "started": places.started.isoformat(timespec="seconds"),
            "ended": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "exit_code": int(code),
            "exit_meaning": summary_mod.exit_meaning(int(code)),
            "interrupted": self.interrupted,
            "complete": complete,
            "command": [str(a) for a in config.invocation_params.args],
            "harness": {"version": __version__, "git_commit": git_commit(ROOT)},
            "components": component_versions(),
            "profile_path": str(Path(profile_path).resolve()) if profile_path else f"builtin:{p.name}",
            "profile_sha256": summary_mod.sha256_file(profile_path) if profile_path else _builtin_sha(p.name),
        }
        aws = p.aws
        data = summary_mod.build(
            scenarios, profile=p.label, baseline=p.profile.baseline, run=run,
            extra={"environment": {"aws mode": aws.mode, "aws region": aws.region,
                                   "authentication": ", ".join(p.profile.authentication)}},
        )
        path, note = summary_mod.write_with_fallback(data, places.summary, [places.run_dir])
        config.stash[SUMMARY_KEY] = (data, path, note)
        _write_allure_metadata(places.results, data)
        # `wscard check` (WSCARD_DEFER_LATEST) moves reports/latest itself once the report is written
        defer = bool(os.environ.get("WSCARD_DEFER_LATEST"))
        if (complete and not defer and path == places.summary and places.all_inside
                and places.run_dir.parent == runs_mod.RUNS):
            try:
                runs_mod.mark_latest(places.run_dir)
            except OSError as exc:
                config.stash[SUMMARY_KEY] = (data, path, f"{note} (could not update reports/latest: {exc})".strip())
        session.exitstatus = int(code)
        if places.lock is not None:
            places.lock.release()

    def pytest_terminal_summary(self, terminalreporter) -> None:
        got = self.config.stash.get(SUMMARY_KEY, None)
        if got is None:
            return
        data, path, note = got
        terminalreporter.section("compliance summary")
        terminalreporter.write_line(summary_mod.table(data))
        if note:
            terminalreporter.write_line(f"NOTE: {note}")
        terminalreporter.write_line(f"summary: {path}")


def _whole_suite(config: pytest.Config) -> bool:
    """The run was given the suite's own paths (its testpaths, or ``steps`` itself)."""
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return True
    base = Path(config.invocation_params.dir)
    return [(base / a).resolve() for a in config.args] == [ROOT / "steps"]


def _builtin_sha(name: str) -> str:
    from wscard.profile import resolve_profile_path

    try:
        return summary_mod.sha256_file(resolve_profile_path(name))
    except (OSError, Exception):
        return ""


def _read_plan(places: RunPlaces) -> dict:
    try:
        return json.loads((places.run_dir / runs_mod.PLAN_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


SUMMARY_KEY = pytest.StashKey[tuple]()


def _write_allure_extras(results: Path, scenarios, meta: dict, setup_only: set[str], profile: Profile) -> int:
    """Make every selected scenario visible in the report: write Allure results for the
    scenarios that ended before they started (skipped at collection, a fixture that could
    not set up, not run), and mark the warnings of those that ran (statusDetails message,
    a "warning" tag). Returns the number of results written."""
    from wscard.report.allure_extras import mark_warnings, write_result

    cat = catalogue()
    written = 0
    for sc in scenarios:
        if sc.nodeid in setup_only or sc.outcome == Outcome.NOT_RUN.value:
            # (an outline's examples differ by their parameters: kept, so Allure keeps them apart)
            m = meta.get(sc.nodeid, {})
            area = Path(m.get("feature_file", "")).parent.name
            labels = [("epic", _epic(sc.requirements, area)), ("feature", sc.feature), ("story", sc.name),
                      ("profile", profile.name), ("baseline", profile.profile.baseline), ("host", HOST),
                      ("wscard_nodeid", sc.nodeid)]
            sev = _severity(sc.requirements)
            if sev:
                labels.append(("severity", sev))
            labels += [("requirement", r) for r in sc.requirements]
            labels += [("tag", t) for t in m.get("tags", []) if t not in ("skip", "usefixtures", "parametrize")]
            links = [(cat[r].url, f"{r}: {cat[r].sources[0].key}") for r in sc.requirements if r in cat]
            try:
                write_result(results, name=sc.name, full_name=f"{m.get('feature_file', '')}:{sc.name}",
                             outcome=Outcome(sc.outcome), message=sc.message, labels=labels, links=links,
                             parameters=[("host", HOST), ("profile", profile.name),
                                         *sorted(m.get("parameters", {}).items())])
                written += 1
            except OSError:
                pass
    warned = {sc.nodeid: sc.warnings for sc in scenarios if sc.outcome == Outcome.WARNING.value}
    if warned:
        try:
            mark_warnings(results, warned)
        except OSError:
            pass
    return written


def _write_allure_metadata(results: Path, data: dict) -> None:
    """categories.json and environment.properties beside the results, so any run (plain
    pytest included) leaves a folder that makes a complete report on its own."""
    from wscard.errors import HarnessError
    from wscard.report.allure_html import write_metadata

    try:
        write_metadata(results, summary_mod.report_environment(data))
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
