"""Self-tests of the harness: run the compliance suite on a profile in a separate
process and compare the per-requirement verdicts with what the profile expects.

A fault profile's ``[expect]`` table names the requirements that must fail and those
that must end with a warning; every other requirement must pass or be skipped.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, fields
from typing import Any
from pathlib import Path

from .errors import EnvironmentProblem
from .profile import Profile, load_profile
from .verdict import ExitCode, Outcome, Verdict

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SuiteRun:
    """One run of the suite on a profile (:func:`run_suite`), or the union of several runs
    of one profile over disjoint scenarios (:func:`merge_runs`: ``parts`` holds them)."""

    profile: Path
    returncode: int
    summary: dict
    output: str
    out_dir: Path
    parts: list["SuiteRun"] = field(default_factory=list)

    def statuses(self) -> dict[str, str]:
        return {rid: e["status"] for rid, e in self.summary.get("requirements", {}).items()}

    def messages(self) -> str:
        texts = []
        for e in self.summary.get("requirements", {}).values():
            for sc in e.get("scenarios", []):
                texts.append(sc.get("message", ""))
                texts += sc.get("warnings", [])
        return "\n".join(texts)


def run_suite(profile: Path | str, *args: str, out_dir: Path | None = None, env: dict | None = None,
              timeout: float = 600, server: "ForkServer | None" = None, trace: Path | None = None) -> SuiteRun:
    """Run the features (the repo's testpaths, or the paths in ``args``) with ``--profile``
    in a process of its own, in its own run folder ``out_dir`` (a temporary folder by
    default: self-tests never write into reports/).

    The process is a fresh ``python -m pytest``, or, with ``server``, a child forked from
    a :class:`ForkServer` that has imported the harness once (same command line, same
    isolation, without the start-up cost). ``trace`` (fork server only): write there the
    profile sections the run read (see :func:`area_inputs`)."""
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="wscard-selftest-"))
    summary_file = out_dir / "compliance-summary.json"
    pytest_args = [
        # --tb=native: a non-compliance's report is its message (steps/harness_plugin.py);
        # pytest's own traceback format parses the source of every frame for nothing
        "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--tb=native",
        f"--profile={profile}", f"--run-dir={out_dir}", f"--junitxml={out_dir / 'junit.xml'}",
        # the run's temporary files (built guest trees, the card's token folder) in its own
        # folder: gone with it, and no run pays for deleting an older run's numbered
        # /tmp/pytest-of-<user>/pytest-N (about 1 s of unlinking a run)
        f"--basetemp={out_dir / 'tmp'}", *args,
    ]
    if server is not None:
        returncode, output = server.run(pytest_args, out_dir / "pytest-output.txt", env=env, timeout=timeout,
                                        trace=trace)
    else:
        run_env = {**os.environ, **(env or {})}
        run_env.pop("PYTEST_XDIST_WORKER", None)
        run_env.pop("PYTEST_ADDOPTS", None)
        proc = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=run_env,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        returncode, output = proc.returncode, proc.stdout + proc.stderr
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return SuiteRun(Path(profile), returncode, summary, output, out_dir)


#: Verdicts a requirement the profile does not name may end with.
NEUTRAL = {Verdict.PASSED.value, Verdict.NOT_APPLICABLE.value, Verdict.NOT_EVALUATED.value, Verdict.PARTIAL.value}
#: Scenario outcomes that say the run could not look (never accepted unless expected).
TROUBLE = {Outcome.ENVIRONMENT.value, Outcome.ERROR.value, Outcome.NOT_RUN.value}


def compare(run: SuiteRun, profile: Profile) -> list[str]:
    """What differs between the run's verdicts and the profile's [expect] table.

    Expected ``failed`` / ``warning`` / ``not_evaluated`` requirements must end so; every
    other requirement must not fail or warn, and none of its scenarios may end with an
    environment problem, a harness error or not run (that would hide a broken fault
    profile behind "not evaluated"). Skipped scenarios are accepted (a check whose
    precondition is another requirement's failure)."""
    expect = profile.expect
    problems = []
    for part in run.parts or [run]:
        if not part.summary:
            return [f"the run wrote no summary (exit {part.returncode}):\n{part.output[-3000:]}"]
        problems += schema_problems(part.summary)
        if part.summary.get("exit_code") != part.returncode:
            problems.append(f"the summary says exit code {part.summary.get('exit_code')}, the run exited "
                            f"{part.returncode}")
    statuses = run.statuses()
    if not statuses:
        return problems + [f"the run judged no requirement (exit {run.returncode}):\n{run.output[-3000:]}"]
    for rid, status in sorted(statuses.items()):
        want = (Verdict.FAILED if rid in expect.failed else Verdict.WARNING if rid in expect.warning
                else Verdict.NOT_EVALUATED if rid in expect.not_evaluated else None)
        scs = run.summary["requirements"][rid]["scenarios"]
        if want and status != want.value:
            problems.append(f"{rid}: expected {want.value}, got {status}: {_details(scs)}")
        elif not want and status not in NEUTRAL:
            problems.append(f"{rid}: expected passed (or not evaluated), got {status}: {_details(scs)}")
        elif not want and any(sc.get("outcome") in TROUBLE for sc in scs):
            problems.append(f"{rid}: a scenario could not run ({_details(scs)}); list it in [expect].not_evaluated "
                            "if the profile means that")
    for rid in list(expect.failed) + list(expect.warning) + list(expect.not_evaluated) + list(expect.passed):
        if rid not in statuses:
            problems.append(f"{rid}: expected a verdict, but no scenario of it ran")
        elif rid in expect.passed and statuses[rid] != Verdict.PASSED.value:
            problems.append(f"{rid}: expected passed, got {statuses[rid]}")
    text = run.messages()
    for m in expect.messages:
        if m not in text:
            problems.append(f"message {m!r} does not appear in the failures or warnings")
    return problems


def schema_problems(summary: dict) -> list[str]:
    """Where ``summary`` breaks ``wscard/data/summary.schema.json`` ([] when it does not)."""
    import jsonschema

    from .report.summary import SCHEMA_FILE

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    return [f"summary schema: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in sorted(validator.iter_errors(summary), key=str)][:10]


#: Exit codes from the most severe down (``wscard.verdict.run_exit_code``'s precedence; a
#: usage error stops a run before any scenario): how :func:`merge_runs` combines runs.
EXIT_SEVERITY = [ExitCode.INTERRUPTED, ExitCode.USAGE_ERROR, ExitCode.NON_COMPLIANT, ExitCode.HARNESS_ERROR,
                 ExitCode.NOT_FULLY_EVALUATED, ExitCode.NOTHING_SELECTED, ExitCode.COMPLIANT]


def merge_runs(parts: list[SuiteRun]) -> SuiteRun:
    """One view of several runs of one profile over disjoint sets of scenarios (the split
    of :func:`check_profile`): the scenarios of all, each requirement's verdict judged
    again from all its scenarios (``wscard.report.summary.build``, the summary's own rule)
    and the exit code from those verdicts (``wscard.verdict.run_exit_code``), or a part's
    own code where that is more severe (:data:`EXIT_SEVERITY`: an interrupted part makes
    the whole interrupted). The runs are kept in ``parts``: :func:`compare` checks each
    one's summary (schema, exit code)."""
    from .report import summary as summary_mod
    from .verdict import run_exit_code

    known = {f.name for f in fields(summary_mod.ScenarioOutcome)} - {"requirements"}
    scenarios: dict[tuple[int, str], summary_mod.ScenarioOutcome] = {}
    for i, part in enumerate(parts):
        for rid, entry in part.summary.get("requirements", {}).items():
            for sc in entry.get("scenarios", []):
                key = (i, sc["nodeid"])
                if key in scenarios:
                    scenarios[key].requirements.append(rid)
                else:
                    scenarios[key] = summary_mod.ScenarioOutcome(
                        requirements=[rid], **{k: v for k, v in sc.items() if k in known})
    first = next((p.summary for p in parts if p.summary), {})
    merged = summary_mod.build(list(scenarios.values()), profile=first.get("profile", ""),
                               baseline=first.get("baseline", ""))
    judged = run_exit_code((e["status"] for e in merged["requirements"].values()),
                           (sc.outcome for sc in scenarios.values()))
    # a part's own code counts too (an interruption, a usage or report error is not in
    # its scenarios): the most severe, in run_exit_code's order
    codes = {int(c) for c in ExitCode}
    own = [ExitCode(p.returncode) if p.returncode in codes else ExitCode.HARNESS_ERROR for p in parts]  # a crash
    code = int(min([judged, *own], key=EXIT_SEVERITY.index))
    merged["exit_code"] = code
    output = "\n".join(f"--- run {i + 1} of {len(parts)} ({p.out_dir.name}) ---\n{p.output}" for i, p in enumerate(parts))
    return SuiteRun(parts[0].profile, code, merged, output, parts[0].out_dir.parent, parts=list(parts))


def _details(scenarios: list[dict]) -> str:
    out = [f"[{sc.get('outcome')}] " + (sc.get("message") or "; ".join(sc.get("warnings", [])))
           for sc in scenarios if sc.get("outcome") not in (Outcome.PASSED.value, Outcome.NOT_APPLICABLE.value)]
    return " | ".join(out)[:700]


def fault_profiles(folder: Path | None = None) -> list[Path]:
    return sorted((folder or ROOT / "profiles" / "faults").glob("*.toml"))


#: Scenarios with an expensive set-up, and the profile sections their verdicts depend on.
#: A fault profile that changes none of those sections cannot change their verdicts, so
#: its self-test leaves them out (the embedded default and the profiles that do change
#: them still run them). The Samba DC costs about 0.8 s a run.
COSTLY_AREAS = {"ad": {"ad", "pki", "aws", "card"}, "hw": {"card", "pki"}}


def changed_sections(path: Path) -> set[str] | None:
    """The sections a profile file changes from the profile it extends; None when it
    extends nothing (it then describes everything itself)."""
    return _changes(path)[0]


def _changed_tables(data: dict) -> set[str] | None:
    if "extends" not in data:
        return None
    return {k for k in data if k not in ("extends", "expect", "profile")}


def area_files() -> dict[str, Path]:
    """The areas of the suite: ``steps/test_<area>_bdd.py`` (one per ``features/<area>/``)."""
    return {f.stem.removeprefix("test_").removesuffix("_bdd"): f for f in sorted((ROOT / "steps").glob("test_*_bdd.py"))}


def selected_areas(changed: set[str] | None, inputs: dict[str, set[str] | None] | None) -> list[str] | None:
    """The areas whose verdicts a profile that changes the keys ``changed`` (``"pki.
    user_validity"``, :func:`changed_inputs`) can move: those that read one of them, or
    the whole of a section one of them is in (``inputs``: area -> what it reads,
    :class:`SectionTracer`; None = unknown, always run). None means the whole suite: no
    inputs, a profile that extends nothing, or one whose changes no area reads (its
    [expect] then shows what is wrong)."""
    if changed is None or not inputs:
        return None
    wanted = changed | {key.split(".", 1)[0] for key in changed}
    areas = [a for a, read in sorted(inputs.items()) if read is None or wanted & read]
    return areas or None


#: Keys of ``[profile]`` that only name the profile: no scenario's verdict depends on them.
LABEL_KEYS = {"name", "description"}


def changed_inputs(path: Path) -> set[str] | None:
    """The profile keys a profile file changes that a scenario may read, as
    ``"<section>.<key>"`` (a top-level key of each table of :func:`changed_sections`, a
    nested table being one key), plus ``[profile]``'s keys other than its name and
    description (``profile.baseline``, ``profile.authentication``). Any key the file sets
    counts, even one it sets to the value it extends. None when it extends nothing."""
    return _changes(path)[1]


def _changes(path: Path) -> tuple[set[str] | None, set[str] | None]:
    """:func:`changed_sections` and :func:`changed_inputs` of ``path``, from one read."""
    import tomllib

    with Path(path).open("rb") as fh:
        data = tomllib.load(fh)
    changed = _changed_tables(data)
    if changed is None:
        return None, None
    keys = {f"{sec}.{key}" for sec in changed for key in data[sec]}
    return changed, keys | {f"profile.{k}" for k in set(data.get("profile", {})) - LABEL_KEYS}


#: Profile keys that change what the card must *do* (the algorithms of its keys), not only
#: what it holds. A SoftHSM token signs with any key it holds; the virtual card signs
#: through OpenSC's PIV driver, which takes what SP 800-78 allows (measured: a P-521 user
#: key fails UC-6, CARD-4 and LOGIN-2 there and passes on SoftHSM). A profile changing one
#: runs whole on the virtual card (:func:`split_for_card`).
CARD_CAPABILITY_KEYS = frozenset({"pki.key_type", "pki.user_key_type"})


def split_for_card(path: Path, full: bool) -> bool:
    """Whether :func:`check_profile` runs the profile ``path`` in two (the card-edge
    scenarios on the virtual card, the rest on SoftHSM; :func:`merge_runs`): a profile
    that needs the card-edge scenarios (a ``[pki]`` change, ``COSTLY_AREAS``) but changes
    no ``[card]`` key and none of :data:`CARD_CAPABILITY_KEYS`, and is not run whole
    (``full``: a family head guards the effects between areas of one run, the card's
    included, so it stays one run)."""
    return _split_for_card(*_changes(path), full)


def _split_for_card(changed: set[str] | None, keys: set[str] | None, full: bool) -> bool:
    if full or changed is None or keys is None:
        return False
    return bool(changed & COSTLY_AREAS["hw"]) and "card" not in changed and not keys & CARD_CAPABILITY_KEYS


def check_profile(path: Path, *args: str, server: "ForkServer | None" = None,
                  inputs: dict[str, set[str] | None] | None = None, full: bool = True,
                  out_dir: Path | None = None) -> tuple[SuiteRun, list[str]]:
    """Run the suite on the profile ``path`` and compare the verdicts with its [expect].

    ``full=False`` with ``inputs`` (:func:`area_inputs`) runs only the areas that read a
    section the profile changes (:func:`selected_areas`); every other area's verdicts are
    those of the embedded default, which passes. ``COSTLY_AREAS`` applies either way.

    A profile :func:`split_for_card` picks (a ``[pki]`` fault: the card is the default
    one, holding other certificates) is run twice and the runs merged (:func:`merge_runs`):
    the ``@hw`` scenarios on the virtual card (``--card=auto``: never a real reader), in
    the self-test's turn (:func:`virtual_card_turn`), and the rest on a SoftHSM token,
    alongside other runs: the card half first when the turn is free, else the SoftHSM half
    while another run holds it. The virtual card is held for seconds, not for the whole
    suite. When the profile's own markers leave no card-edge scenario, the SoftHSM half is
    the whole run (its scenarios are those a split runs on SoftHSM anyway). ``out_dir``:
    the run folder (:func:`run_suite`; give one the caller removes)."""
    profile = load_profile(path)
    extra = list(args)
    changed, keys = _changes(path)
    areas = None if full else selected_areas(keys, inputs)
    skip = [] if changed is None else [m for m, needs in COSTLY_AREAS.items() if not changed & needs]
    if "hw" in skip:
        # the card-edge scenarios are left out, so the card need not be a virtual one: a
        # SoftHSM token keeps the run short and off the machine's one pair of virtual readers
        extra.append("--card=softhsm")
    files = area_files()
    chosen = list(files) if areas is None else [a for a in areas if a in files]

    def select(*more: str) -> list[str]:
        ms = [m for m in [profile.expect.markers, *[f"not {m}" for m in skip], *more] if m]
        return ["-m", " and ".join(f"({m})" for m in ms)] if ms else []

    def paths(among: list[str]) -> list[str]:
        return [] if areas is None and among == chosen else [str(files[a].relative_to(ROOT)) for a in among]

    if "--card=softhsm" in extra:
        return _compared(run_suite(path, *extra, *select(), *paths(chosen), server=server, out_dir=out_dir), profile)
    on_card = [a for a in chosen if a in hw_areas()]
    if not on_card or any(a.startswith("--card") for a in args) or not _split_for_card(changed, keys, full):
        with virtual_card_turn():
            return _compared(run_suite(path, *extra, *select(), *paths(chosen), server=server, out_dir=out_dir),
                             profile)
    out = Path(out_dir or tempfile.mkdtemp(prefix="wscard-selftest-"))

    def soft_half() -> SuiteRun:
        return run_suite(path, *extra, "--card=softhsm", *select("not hw"), *paths(chosen), server=server,
                         out_dir=out / "softhsm")

    soft = None
    try:
        turn = virtual_card_turn(wait=0)
    except EnvironmentProblem:  # another run holds the card: this run's SoftHSM half meanwhile
        soft = soft_half()
        turn = virtual_card_turn()
    with turn:
        card = run_suite(path, *extra, "--card=auto", *select("hw"), *paths(on_card), server=server,
                         out_dir=out / "virtual-card")
    if soft is None:
        soft = soft_half()
    if card.returncode == int(ExitCode.NOTHING_SELECTED) and not card.summary.get("requirements"):
        return _compared(soft, profile)  # the profile's markers leave no card-edge scenario
    return _compared(merge_runs([soft, card]), profile)


def _compared(run: SuiteRun, profile: Profile) -> tuple[SuiteRun, list[str]]:
    return run, compare(run, profile)


@functools.lru_cache(maxsize=1)
def hw_areas() -> frozenset[str]:
    """The areas with a scenario tagged ``@hw`` (a card in a reader) in ``features/<area>/``
    (read once a process)."""
    import re

    tag = re.compile(r"(?<!\S)@hw(?!\S)")
    return frozenset(a for a in area_files()
                     if any(tag.search(f.read_text(encoding="utf-8")) for f in (ROOT / "features" / a).glob("*.feature")))


def virtual_card_turn(wait: float = 1800) -> Any:
    """The self-test's turn on the virtual card (a machine lock, held for a whole run): a
    held lock, to use as a context manager.

    A run on the virtual card takes the machine's virtual readers and (for its domain) the
    simulated DC, in an order that depends on the areas it runs: two such runs at once
    (xdist workers) could each hold one and wait for the other until a timeout. They take
    turns; runs on SoftHSM need at most the DC and run alongside. Raises
    EnvironmentProblem after ``wait`` seconds (30 minutes; 0: at once when another run
    holds it)."""
    from . import locks

    return locks.acquire(locks.machine_lock_path("selftest-virtual-card"), timeout=wait,
                         busy=f"another self-test run has held the virtual card for {wait:g} s")


def family_heads(paths: list[Path]) -> set[Path]:
    """One fault profile per area family (the profiles named ``<area>-...``: ``pki-``,
    ``card-``, ``ws-``...) whose self-test runs the whole suite, so an effect outside the
    areas its changes feed is still caught for each kind of fault: the family's profile
    that changes the most sections (the first by name among equals). Then, for any section
    some profile changes and no head does yet, the first profile that changes it, so each
    section's changes are run whole at least once."""
    sections: dict[Path, frozenset[str]] = {}
    for p in sorted(paths):  # each file read once
        changed = changed_inputs(p)
        sections[p] = frozenset({key.split(".", 1)[0] for key in changed} if changed is not None else {p.name})
    families: dict[str, list[Path]] = {}
    for p in sections:
        families.setdefault(p.stem.split("-", 1)[0], []).append(p)
    heads = {max(members, key=lambda p: (len(sections[p]), -members.index(p))) for members in families.values()}
    covered = set().union(*(sections[h] for h in heads)) if heads else set()
    for p, changed in sections.items():
        if changed - covered:
            heads.add(p)
            covered |= changed
    return heads


# --- the fork server -----------------------------------------------------------------------

#: What the fork server imports before it forks (everything a run would import anyway).
#: Not the pytest plug-ins themselves (pytest_bdd, allure_pytest_bdd, xdist): pytest
#: rewrites their asserts as it imports them, and warns about those imported before.
PRELOAD = (
    "pytest", "_pytest.junitxml", "gherkin", "allure_commons", "execnet", "mako",
    "boto3", "botocore", "moto", "moto.ds.models", "moto.ds.responses", "moto.workspaces.models",
    "moto.workspaces.responses", "moto.ec2.models", "moto.backends",
    "cryptography.x509", "pyhanko_certvalidator", "asn1crypto", "ldap3", "jsonschema",
    # what every run imported again (measured: 110 modules; 10 fault profiles took 16-17.5 s
    # of CPU with them preloaded, 17.8-19.6 s without, on a noisy machine): pytest's
    # own plug-ins, the plug-ins the suite loads, and what they import when a run starts
    # (mako's templates pull in pygments' lexers). Third-party only: steps/ and conftest
    # are the suite's own test modules, imported (and assertion-rewritten) by each run.
    "_pytest.faulthandler", "_pytest.helpconfig", "_pytest.pastebin", "_pytest.setuponly",
    "_pytest.setupplan", "_pytest.skipping", "_pytest.threadexception", "_pytest.tracemalloc",
    "_pytest.unittest", "_pytest.unraisableexception", "_pytest.warnings",
    "pytest_bdd.plugin", "pytest_bdd.cucumber_json", "pytest_bdd.generation", "pytest_bdd.gherkin_terminal_reporter",
    "allure", "allure_pytest_bdd.plugin", "xdist.plugin", "xdist.looponfail",
    "mako.template", "mako.lookup", "mako.ext.pygmentplugin", "pygments.formatters.html",
    "parse_type.cfparse", "packaging.version", "timeit", "faulthandler", "encodings.utf_8_sig",
    "_pytest._argcomplete", "pytest_bdd.hooks", "xdist.newhooks",  # not readline: it may write to stdout, the answers
)


def fork_available() -> bool:
    """The fork server needs ``os.fork`` (Linux, macOS); elsewhere runs are subprocesses."""
    return hasattr(os, "fork") and sys.platform != "win32"


class ForkServer:
    """A long-lived worker that imports the harness once and forks a child per run.

    Each child is a copy of the worker taken before any run started (no module state, moto
    mock or plug-in carries from one run to the next), runs ``pytest.main(args)`` in the
    repository, its output in a file, and exits; the worker reports the exit code. One
    server runs one child at a time: start one per parallel worker. Linux/macOS only
    (:func:`fork_available`); the module imports nothing POSIX-only at start-up."""

    def __init__(self, log: Path | None = None):
        if not fork_available():
            raise RuntimeError("the fork server needs os.fork (Linux or macOS)")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_XDIST_WORKER", "PYTEST_ADDOPTS")}
        self.log = Path(log or tempfile.mkstemp(prefix="wscard-forkserver-", suffix=".log")[1])
        with self.log.open("ab") as err:
            self.proc = subprocess.Popen([sys.executable, "-c", "from wscard.selftest import serve; serve()"],
                                         cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, text=True, bufsize=1)

    def run(self, args: list[str], output: Path, *, env: dict | None = None, timeout: float = 600,
            trace: Path | None = None) -> tuple[int, str]:
        """Run pytest with ``args`` in a forked child; returns (exit code, output)."""
        output.parent.mkdir(parents=True, exist_ok=True)
        req = {"args": [str(a) for a in args], "output": str(output), "env": env or {}, "timeout": timeout,
               "trace": str(trace) if trace else None}
        try:
            self.proc.stdin.write(json.dumps(req) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"the fork server stopped (exit {self.proc.poll()}); its log {self.log}:\n{tail}")
        answer = json.loads(line)
        returncode = answer["returncode"]
        #: CPU seconds of the last run's child (its own children excluded), for the benchmarks
        self.last_cpu_seconds = answer.get("cpu_seconds")
        text = output.read_text(errors="replace") if output.exists() else ""
        return returncode, text

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        try:
            if self.proc.returncode == 0 and self.log.stat().st_size == 0:
                self.log.unlink()  # nothing to tell: keep the temporary folder clean
        except OSError:
            pass

    def __enter__(self) -> "ForkServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve() -> None:
    """The fork server's loop (:class:`ForkServer`): one JSON request a line on stdin, one
    JSON answer a line on stdout."""
    import importlib
    import time

    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional part: the run that needs it says so
            pass
    _preload_harness()
    import threading

    if threading.active_count() > 1:  # a fork copies one thread only: say so in the server's log
        print(f"wscard fork server: {threading.active_count()} threads after the imports: "
              f"{[t.name for t in threading.enumerate()]}", file=sys.stderr)
    import gc

    # what the imports made stays for the server's life: out of the collector's way in
    # every child (pytest collects at the end of a run) and shared copy-on-write
    gc.collect()
    gc.freeze()
    sys.stdout.flush()
    sys.stderr.flush()
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(req)  # never returns
        deadline = time.monotonic() + float(req.get("timeout") or 600)
        status, usage = None, None
        while status is None:
            done, st, usage = os.wait4(pid, os.WNOHANG)
            if done:
                status = st
            elif time.monotonic() > deadline:
                import signal

                os.kill(pid, signal.SIGTERM)  # pytest's fixtures stop their servers
                grace = time.monotonic() + 5
                done = 0
                while not done and time.monotonic() < grace:
                    done, status, usage = os.wait4(pid, os.WNOHANG)
                    time.sleep(0.05)
                if not done:
                    os.kill(pid, signal.SIGKILL)
                    _, status, usage = os.wait4(pid, 0)
                with open(req["output"], "a", encoding="utf-8") as fh:
                    fh.write(f"\nwscard fork server: the run took longer than {req.get('timeout')} s and was stopped\n")
            else:
                time.sleep(0.02)
        code = os.waitstatus_to_exitcode(status)
        cpu = round(usage.ru_utime + usage.ru_stime, 3) if usage else None
        print(json.dumps({"returncode": code, "cpu_seconds": cpu}), flush=True)


def _preload_harness() -> None:
    """Import the harness's own modules and the moto extension (idempotent patches)."""
    import importlib
    import pkgutil

    for pkg in ("wscard", "hardware"):
        try:
            mod = importlib.import_module(pkg)
        except Exception:
            continue
        for info in pkgutil.walk_packages(mod.__path__, prefix=f"{pkg}."):
            try:
                importlib.import_module(info.name)
            except Exception:
                pass
    try:
        from .aws.moto_ext import install

        install()
    except Exception:
        pass
    try:  # botocore's data (endpoints, the services' models) read once for every child
        from .aws.env import simulated_session

        session = simulated_session("us-east-1")
        for service in ("ds", "workspaces", "sts"):
            session.client(service)
    except Exception:
        pass


def _child(req: dict) -> None:
    """In the forked child: output to the request's file, run pytest, exit with its code."""
    import atexit
    import traceback

    code = 3
    try:
        fd = os.open(req["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.update(req.get("env") or {})
        _reseed()
        import pytest

        plugins = [SectionTracer(Path(req["trace"]))] if req.get("trace") else []
        code = int(pytest.main(list(req["args"]), plugins=plugins))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        try:
            atexit._run_exitfuncs()  # what a process exit would run (servers the run started)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _reseed() -> None:
    """A forked child starts with its parent's random state: give moto's generator (IDs)
    a fresh seed, as a new process would have (``random`` reseeds itself at fork)."""
    try:
        from moto.moto_api._internal import mock_random

        mock_random.seed()
    except Exception:
        pass


# --- which profile sections each area reads ---------------------------------------------

class SectionTracer:
    """A pytest plug-in (fork server children only) that records which profile keys the
    run reads from collection on, and writes them as a JSON list to ``out``: ``"pki.
    user_validity"`` for a key (a top-level key of the section's table; a nested table such
    as ``[aws.directory]`` is one key, ``aws.directory``), or ``"pki"`` for the whole
    section.

    A key is read when its attribute is read on any instance of the section's class
    (``sec.user_validity``, and so every method, ``dataclasses.asdict``, ``==`` and
    ``repr`` that reads it), however the instance was reached (``profile.pki``,
    ``profile.values["pki"]``, an object that kept it); the whole section is read by
    anything that takes the instance's ``__dict__`` or state (``vars``, ``copy``,
    ``pickle``). Copying a profile (``Profile.replace``) and validating one are not reads.
    Left out: profile loading and the run header (before collection), and everything from
    session finish on (the summary, the report metadata: the harness writes them in a
    ``trylast`` session-finish hook, after this one has stopped). Those run in every run, the fault
    profile's own included, on that profile: they turn the scenarios' outcomes into
    verdicts, and an area left out has no outcomes for them to judge. What decides an
    area's outcomes (collection, fixtures, steps) is traced."""

    #: attribute names through which the whole instance is read (vars, copy, pickle)
    WHOLE = frozenset({"__dict__", "__getstate__", "__reduce_ex__", "__reduce__"})

    def __init__(self, out: Path):
        self.out = out
        self.reads: set[str] = set()
        self.on = False

    def pytest_collection(self, session) -> None:
        import dataclasses

        from . import profile as profile_mod

        tracer = self
        cls = profile_mod.Profile
        orig_replace, orig_validate = cls.replace, cls._validate

        def quiet(fn):
            def wrapper(obj, *a, **kw):
                was, tracer.on = tracer.on, False
                try:
                    return fn(obj, *a, **kw)
                finally:
                    tracer.on = was
            return wrapper

        def recorder(name: str, section_cls: type):
            keys = frozenset(f.name for f in dataclasses.fields(section_cls))
            base = section_cls.__getattribute__

            def getattribute(obj, item):
                if tracer.on:
                    if item in keys:
                        tracer._read(f"{name}.{item}")
                    elif item in SectionTracer.WHOLE:
                        tracer._read(name)
                return base(obj, item)
            return getattribute

        for name, section_cls in profile_mod.sections().items():
            section_cls.__getattribute__ = recorder(name, section_cls)
        cls.replace = quiet(orig_replace)
        cls._validate = quiet(orig_validate)
        self.on = True

    def _read(self, what: str) -> None:
        if self.on:
            self.reads.add(what)

    def pytest_sessionfinish(self, session) -> None:
        self.on = False
        try:
            self.out.write_text(json.dumps(sorted(self.reads)))
        except OSError:
            pass


def area_inputs(server: ForkServer, work: Path) -> dict[str, set[str] | None]:
    """Area -> the profile sections its scenarios read, measured: the embedded default is
    run one area at a time (a fresh process each, so every fixture an area needs is set up
    inside its own run) with a :class:`SectionTracer`. An area whose run does not pass
    :func:`compare` for the default, or left no trace, is None (always run).

    Why this is enough: a run is a function of the profile's values; if an area, run on the
    embedded default, never reads a section S, then on a profile that differs only in S it
    takes the same path and reaches the same verdicts (a branch on S would have read S).
    Cached in ``work``, one file per area named by the hash of the harness's sources;
    several workers share the work (each takes the areas no other has locked)."""
    from . import locks

    key = sources_digest()
    embedded = ROOT / "wscard" / "profiles" / "embedded.toml"
    embedded_profile = load_profile(embedded)
    out: dict[str, set[str] | None] = {}

    def cached(area: str) -> bool:
        f = work / f"wscard-area-inputs-{key}-{area}.json"
        if f.exists():
            data = json.loads(f.read_text())
            out[area] = set(data) if data is not None else None
            return True
        return False

    def measure(area: str, test_file: Path) -> None:
        with tempfile.TemporaryDirectory(prefix=f"wscard-trace-{area}-") as folder:
            trace = Path(folder) / "reads.json"
            run = run_suite(embedded, str(test_file.relative_to(ROOT)), server=server, trace=trace,
                            out_dir=Path(folder) / "run")
            # an area alone may leave a scenario skipped (the in-session card smoke test needs
            # the card layer's reader): what compare() accepts of the default is enough
            ok = trace.exists() and not compare(run, embedded_profile)
            out[area] = set(json.loads(trace.read_text())) if ok else None
        tmp = work / f".wscard-area-inputs-{key}-{area}.{os.getpid()}"
        tmp.write_text(json.dumps(sorted(out[area]) if out[area] is not None else None))
        os.replace(tmp, work / f"wscard-area-inputs-{key}-{area}.json")

    later = []
    for area, test_file in area_files().items():
        if cached(area):
            continue
        try:
            held = locks.acquire(work / f"wscard-area-inputs-{key}-{area}.lock", timeout=0, busy="measuring")
        except EnvironmentProblem:
            later.append((area, test_file))  # another worker is measuring it
            continue
        with held:
            if not cached(area):
                measure(area, test_file)
    for area, test_file in later:
        with locks.acquire(work / f"wscard-area-inputs-{key}-{area}.lock"):
            if not cached(area):
                measure(area, test_file)
    return out


def sources_digest() -> str:
    """SHA-256 (16 hex digits) of what decides which sections an area reads: the harness's
    Python sources, the features and the embedded profile."""
    import hashlib

    h = hashlib.sha256()
    for folder in ("wscard", "hardware", "steps", "features"):
        for f in sorted((ROOT / folder).rglob("*")):
            if f.suffix in (".py", ".feature", ".toml") and f.is_file():
                h.update(str(f.relative_to(ROOT)).encode())
                h.update(f.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]
