"""What an auditor files from a run (docs/evidence.md): the report's per-requirement
view and descriptions, the traceability matrix, the executive summary (HTML and PDF),
the verdict history, the OSCAL assessment results and the evidence manifest.

:func:`finish_run` is the report step of ``wscard check``; :func:`verify` is
``wscard verify``. Never imports pytest.

The run folder after ``wscard check``::

    allure-results/                         raw results and attachments (the evidence)
    plan.json                               the scenarios the run selected
    compliance-report.html                  Allure report, tree by area and feature
    compliance-report-by-requirement.html   Allure report, tree by requirement
    executive-summary.html / .pdf           the printable summary and traceability matrix
    assessment-results.json                 OSCAL Assessment Results
    evidence.sha256                         SHA-256 of every file above
    compliance-summary.json                 the summary; records evidence.sha256's hash
    SHA256SUMS                              SHA-256 of every file of the run but itself

``sha256sum -c SHA256SUMS`` (in the run folder) or ``wscard verify RUN`` checks a copy.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from ..controls import CMMC, NIST, SRG, controls_of, mappings
from ..requirements import AREA_TITLES, catalogue, sort_key
from ..verdict import Verdict
from . import runs
from .summary import sha256_file

REPORT_BY_REQUIREMENT = "compliance-report-by-requirement.html"
EXEC_HTML = "executive-summary.html"
EXEC_PDF = "executive-summary.pdf"
MATRIX_NAME = "traceability-matrix.html"
EVIDENCE_MANIFEST = "evidence.sha256"
MANIFEST = "SHA256SUMS"
#: Allure's history (per-scenario trend), appended by complete runs, kept beside runs/.
ALLURE_HISTORY = "history.jsonl"
#: Verdict per requirement of each complete run (trend and "failing since").
VERDICT_HISTORY = "verdict-history.jsonl"
TREND_LENGTH = 10
TITLE = "Smart card sign-in to WorkSpaces: compliance report"

#: The matrix's mark for a requirement of the catalogue that no scenario of the run checks
#: (not a :class:`Verdict`: the run says nothing about it).
NOT_COVERED = "not covered"
#: Verdicts an auditor must see first: how the matrix marks them (keyed by the Verdict, a
#: str enum, so a verdict read back from JSON finds its entry too).
ATTENTION = {Verdict.FAILED: "failed", Verdict.WARNING: "warning",
             Verdict.NOT_EVALUATED: "not-evaluated", Verdict.PARTIAL: "not-evaluated",
             NOT_COVERED: "not-evaluated"}
#: The trend's symbol for each verdict.
SYMBOL = {Verdict.PASSED: "✓", Verdict.WARNING: "!", Verdict.FAILED: "✗", Verdict.PARTIAL: "◐",
          Verdict.NOT_EVALUATED: "○", Verdict.NOT_APPLICABLE: "–", NOT_COVERED: "·"}


# --- descriptions and labels in the Allure results -------------------------------------

def requirement_html(rid: str) -> str:
    """A requirement's statement, sources, quoted source sentence and controls, as the
    HTML put at the top of each result's description."""
    cat = catalogue()
    r = cat.get(rid)
    if r is None:
        return f"<p><b>{html.escape(rid)}</b>: not in the catalogue</p>"
    src = ", ".join(f'<a href="{html.escape(s.url)}">{html.escape(s.key)}</a>' for s in r.sources)
    if r.quote and r.quote_source:
        quote = (f'<blockquote>“{html.escape(r.quote)}”<br><small>— <a href="{html.escape(r.quote_source.url)}">'
                 f'{html.escape(r.quote_source.key)}</a></small></blockquote>')
    else:
        quote = "<p><i>Quoted source sentence: none stored (no sentence of a stored copy of the source states it word " \
                "for word; see the statement and the sources).</i></p>"
    ctrl = "; ".join(f"{html.escape(fw)}: " + ", ".join(html.escape(c.id + (f" ({c.cci})" if c.cci else ""))
                                                       for c in controls_of(rid, fw))
                     for fw in (NIST, SRG, CMMC) if controls_of(rid, fw))
    return (f"<h4>{html.escape(rid)}</h4><p>{html.escape(r.statement)}</p><p>Source: {src}</p>{quote}"
            f"<p>Controls: {ctrl or 'none'}</p>")


#: The label the view by requirement groups by: "<ID> [<verdict>]: <statement>", so the
#: tree shows each requirement's verdict and what it requires at the first level.
VIEW_LABEL = "requirement_view"


def annotate_results(folder: Path, summary: dict | None = None) -> int:
    """Give every result with ``requirement`` labels a description that starts with each
    requirement's statement, sources, quoted sentence and controls, and a ``control``
    label per NIST SP 800-53 control (the report's filters). Works on a copy (the merged
    folder the report is built from): the run's own results stay as the run wrote them.
    With ``summary``, each result also gets a :data:`VIEW_LABEL` label per requirement.
    Returns the number of results changed."""
    cat = catalogue()
    verdicts = {rid: e.get("status", "") for rid, e in (summary or {}).get("requirements", {}).items()}
    changed = 0
    for p in Path(folder).glob("*-result.json"):
        try:
            obj = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(obj, dict):
            continue
        labels = obj.get("labels") or []
        rids = [lb.get("value") for lb in labels if isinstance(lb, dict) and lb.get("name") == "requirement"]
        if not rids:
            continue
        parts = [requirement_html(r) for r in rids]
        old = obj.get("descriptionHtml") or (f"<p>{html.escape(obj['description'])}</p>" if obj.get("description") else "")
        obj["descriptionHtml"] = "".join(parts) + (f"<hr>{old}" if old else "")
        have = {(lb.get("name"), lb.get("value")) for lb in labels if isinstance(lb, dict)}
        for r in rids:
            if summary is not None:
                st = cat[r].statement if r in cat else ""
                st = st if len(st) <= 90 else st[:89] + "…"
                labels.append({"name": VIEW_LABEL, "value": f"{r} [{verdicts.get(r, 'not in summary')}]: {st}"})
            for c in controls_of(r, NIST):
                if ("control", c.id) not in have:
                    labels.append({"name": "control", "value": c.id})
                    have.add(("control", c.id))
        obj["labels"] = labels
        p.write_text(json.dumps(obj), encoding="utf-8")
        changed += 1
    return changed


# --- history ---------------------------------------------------------------------------

def read_verdict_history(path: Path) -> list[dict]:
    """The verdict history (oldest first): ``{"run_id", "started", "profile", "host",
    "verdicts": {ID: verdict}}`` per complete run. Unreadable lines are skipped."""
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict) and isinstance(e.get("verdicts"), dict):
            out.append(e)
    return out


def history_entry(summary: dict) -> dict:
    cat = catalogue()
    reqs = summary.get("requirements", {})
    return {"run_id": summary.get("run_id", ""), "started": summary.get("started", ""),
            "profile": summary.get("profile", ""), "hosts": summary.get("hosts", []),
            "verdicts": {rid: reqs[rid]["status"] if rid in reqs else NOT_COVERED for rid in sorted(cat, key=sort_key)}}


def append_verdict_history(summary: dict, path: Path) -> None:
    """Append the run's verdicts to the history with one write (O_APPEND)."""
    line = (json.dumps(history_entry(summary)) + "\n").encode("utf-8")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def trend(history: list[dict], summary: dict, rid: str) -> tuple[list[str], str]:
    """The requirement's last verdicts over the complete runs of the same profile (oldest
    first, this run last) and, when it failed in this run, since when: the start of the earliest run of the unbroken run of failures
    ending with this one ("" otherwise)."""
    current = summary.get("requirements", {}).get(rid, {}).get("status", NOT_COVERED)
    # the same profile only: a fault profile's run is not a step in the embedded world's trend
    past = [h for h in history if h.get("run_id") != summary.get("run_id")
            and h.get("profile", "") == summary.get("profile", "")]
    seq = [(h.get("started", ""), h["verdicts"].get(rid, NOT_COVERED)) for h in past]
    seq.append((summary.get("started", ""), current))
    since = ""
    if current == Verdict.FAILED.value:
        for started, v in reversed(seq):
            if v != Verdict.FAILED.value:
                break
            since = started
    return [v for _, v in seq][-TREND_LENGTH:], since


# --- the traceability matrix -----------------------------------------------------------

@dataclass
class Row:
    rid: str
    area: str
    statement: str
    verdict: str
    scenarios: list[tuple[str, str]]  # (name, outcome)
    evidence: int
    controls: dict[str, list[str]]
    reasons: list[str]
    source: str
    trend: list[str] = field(default_factory=list)
    failing_since: str = ""


def matrix(summary: dict, *, results: Path | None = None, history: list[dict] | None = None) -> list[Row]:
    """One row per requirement of the catalogue (those this run did not cover too), in
    catalogue order. ``evidence`` counts the attachments of the requirement's scenarios
    in ``results`` (the Allure results folder)."""
    from .oscal import allure_index

    index = allure_index(results) if results is not None and Path(results).is_dir() else {}
    cat = catalogue()
    reqs = summary.get("requirements", {})
    rows = []
    for rid in sorted(set(cat) | set(reqs), key=sort_key):
        e = reqs.get(rid, {})
        scs = e.get("scenarios", [])
        # SRG requirements by their CCI in the matrix (the SRG IDs are in the reports'
        # descriptions and in controls.toml)
        ctrls = {fw: [c.cci or c.id if fw == SRG else c.id for c in controls_of(rid, fw)] for fw in (NIST, SRG, CMMC)}
        t, since = trend(history or [], summary, rid)
        rows.append(Row(
            rid=rid, area=AREA_TITLES.get(rid.split("-")[0], ""),
            statement=cat[rid].statement if rid in cat else e.get("statement", ""),
            verdict=e.get("status", NOT_COVERED),
            scenarios=[(s["name"], s["outcome"]) for s in scs],
            evidence=sum(len(index.get(s["nodeid"], {}).get("attachments", [])) for s in scs),
            controls=ctrls,
            reasons=e.get("reasons", []) if e else ["no scenario of this run checks it"],
            source=cat[rid].url if rid in cat else e.get("source", ""),
            trend=t, failing_since=since))
    return rows


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;margin:24px;color:#1b1f24;font-size:13px}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #ccd;padding-bottom:3px}
table{border-collapse:collapse;width:100%} th,td{border:1px solid #ccd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#eef1f5} .id{white-space:nowrap;font-weight:600}
.v{white-space:nowrap;font-weight:600;border-radius:3px;padding:1px 5px}
.v-passed{background:#dff3e3;color:#1a6b2c}.v-failed{background:#fbdada;color:#9b1111}
.v-warning{background:#fff1c9;color:#7a5600}.v-not-evaluated,.v-partially-evaluated,.v-not-covered{background:#e4e7ff;color:#2d2f8f}
.v-not-applicable{background:#eee;color:#555}
tr.failed td{background:#fff5f5} tr.warning td{background:#fffbea} tr.not-evaluated td{background:#f5f6ff}
.counts td{text-align:center;font-size:15px} .small{font-size:11px;color:#444} .trend{font-family:monospace} .sym{white-space:nowrap}
ul{margin:2px 0;padding-left:16px} .ident td:first-child{width:160px;font-weight:600;background:#f7f8fa}
a{color:#174ea6} .fix{margin:2px 0}
table.matrix{table-layout:fixed} table.matrix th:nth-child(1){width:7%} table.matrix th:nth-child(2){width:33%}
table.matrix th:nth-child(3){width:9%} table.matrix th:nth-child(4){width:24%} table.matrix th:nth-child(5){width:6%}
table.matrix th:nth-child(6){width:15%} table.matrix th:nth-child(7){width:6%} td{overflow-wrap:anywhere}
@page{size:A4 landscape;margin:9mm}
@media print{body{margin:0;font-size:9px} h2{break-after:avoid} tr{break-inside:avoid} a{color:inherit;text-decoration:none}
.counts td{font-size:12px} .small,.trend{font-size:8px}}
"""


def _vclass(verdict: str) -> str:
    return "v v-" + verdict.replace(" ", "-")


def matrix_html(rows: list[Row]) -> str:
    """The traceability matrix as an HTML table (no script, nothing loaded)."""
    out = ["<table class='matrix'><thead><tr><th>Requirement</th><th>Statement</th><th>Verdict</th>"
           "<th>Scenarios</th><th>Evidence</th><th>Controls</th><th>Trend</th></tr></thead><tbody>"]
    for r in rows:
        cls = ATTENTION.get(r.verdict, "")
        scen = "".join(f"<li>{html.escape(n)} <span class='small'>({html.escape(o)})</span></li>" for n, o in r.scenarios)
        reasons = "" if r.verdict == Verdict.PASSED.value else "".join(
            f"<div class='fix small'>{html.escape(x)}</div>" for x in r.reasons[:3])
        ctrl = "<br>".join(f"<span class='small'>{html.escape(fw.split(' ')[0] if fw != SRG else 'CCI')}:</span> "
                           + html.escape(", ".join(ids)) for fw, ids in r.controls.items() if ids)
        trend_s = "".join(SYMBOL.get(v, "?") for v in r.trend)
        since = f"<div class='small'>failing since {html.escape(r.failing_since)}</div>" if r.failing_since else ""
        out.append(
            f"<tr class='{cls}' id='req-{html.escape(r.rid)}'><td class='id'><a href='{html.escape(r.source)}'>"
            f"{html.escape(r.rid)}</a></td><td>{html.escape(r.statement)}{reasons}</td>"
            f"<td><span class='{_vclass(r.verdict)}'>{html.escape(r.verdict)}</span></td>"
            f"<td><ul>{scen or '<li>none selected</li>'}</ul></td><td>{r.evidence} file(s)</td>"
            f"<td class='small'>{ctrl}</td><td class='trend' title='oldest first, this run last'><span class='sym'>{trend_s}</span>{since}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def executive_html(summary: dict, rows: list[Row], *, links: dict[str, str] | None = None) -> str:
    """The executive summary: the run's identity, the counts per verdict, the
    requirements that failed, warned or were not evaluated with the fix, and the
    traceability matrix. One page of HTML with inline CSS, no script, nothing loaded
    from the network (printable to PDF)."""
    e = html.escape
    h = summary.get("harness", {})
    comp = summary.get("components", {})
    ident = [
        ("Run", summary.get("run_id", "")),
        ("Started / ended (UTC)", f"{summary.get('started', '')} / {summary.get('ended', '')}"),
        ("Result", f"exit {summary.get('exit_code', '?')}: {summary.get('exit_meaning', '')}"
                   + (" — THE RUN WAS INTERRUPTED" if summary.get("interrupted") else "")
                   + ("" if summary.get("complete") else " (not a complete run: part of the suite selected)")),
        ("Profile", f"{summary.get('profile', '')} ({summary.get('profile_path', '')}, sha256 "
                    f"{summary.get('profile_sha256', '')[:16]}…)"),
        ("Baseline", summary.get("baseline", "")),
        ("Hosts", ", ".join(summary.get("hosts", []))),
        ("Environment", ", ".join(f"{k}: {v}" for k, v in summary.get("environment", {}).items())),
        ("Harness", f"wscard {h.get('version', '')}, commit {h.get('git_commit', '')}"),
        ("Components", ", ".join(f"{k} {v}" for k, v in comp.items())),
    ]
    counts = dict(summary.get("counts", {}))
    covered = set(summary.get("requirements", {}))
    counts["not covered by this run"] = len([r for r in rows if r.rid not in covered])
    order = [Verdict.FAILED.value, Verdict.WARNING.value, Verdict.PARTIAL.value, Verdict.NOT_EVALUATED.value,
             NOT_COVERED]
    attention = sorted((r for r in rows if r.verdict in order), key=lambda r: order.index(r.verdict))
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(TITLE)}: run {e(summary.get('run_id', ''))}"
             f"</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(TITLE)}</h1><div class='small'>Executive summary and traceability matrix of run "
             f"{e(summary.get('run_id', ''))}</div>"]
    if links:
        parts.append("<p class='small'>" + " · ".join(f"<a href='{e(href)}'>{e(text)}</a>" for text, href in links.items())
                     + "</p>")
    parts.append("<h2>Run</h2><table class='ident'>" + "".join(
        f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in ident) + "</table>")
    parts.append("<h2>Requirements per verdict</h2><table class='counts'><tr>" + "".join(
        f"<th>{e(k)}</th>" for k in counts) + "</tr><tr>" + "".join(
        f"<td><span class='{_vclass(k if k in SYMBOL else NOT_COVERED)}'>{n}</span></td>" for k, n in counts.items())
        + "</tr></table>")
    parts.append("<h2>Needing attention: failed, warnings, not evaluated</h2>")
    if attention:
        parts.append("<table><thead><tr><th>Requirement</th><th>Verdict</th><th>What is wrong, and the fix</th></tr></thead><tbody>")
        for r in attention:
            since = f" (failing since {e(r.failing_since)})" if r.failing_since else ""
            parts.append(f"<tr class='{ATTENTION.get(r.verdict, '')}'><td class='id'>{e(r.rid)}</td>"
                         f"<td><span class='{_vclass(r.verdict)}'>{e(r.verdict)}</span>{since}</td><td>"
                         + "".join(f"<div class='fix'>{e(x)}</div>" for x in r.reasons) + "</td></tr>")
        parts.append("</tbody></table>")
    else:
        parts.append("<p>None: every requirement passed or is not applicable.</p>")
    parts.append("<h2>Traceability matrix</h2><p class='small'>Trend: the verdicts of the last complete runs, oldest "
                 "first, this run last (✓ passed, ! warning, ✗ failed, ◐ partially evaluated, ○ not evaluated, "
                 "– not applicable, · not covered). Controls: NIST SP 800-53 Rev. 5, DISA SRG requirements by CCI, CMMC 2.0 "
                 "Level 2 (wscard/data/controls.toml).</p>")
    parts.append(matrix_html(rows))
    parts.append("</body></html>")
    return "".join(parts)


def matrix_page(summary: dict, rows: list[Row]) -> str:
    """The matrix alone as a page (the reports' global attachment)."""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Traceability matrix</title>"
            f"<style>{_CSS}</style></head><body><h1>Traceability matrix: run {html.escape(summary.get('run_id', ''))}"
            f"</h1>{matrix_html(rows)}</body></html>")


# --- PDF -------------------------------------------------------------------------------

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "msedge")


def find_browser() -> str | None:
    """A Chromium-family browser that prints PDFs headless: on PATH, else (Windows) Edge or
    Chrome in their install folders, which are not on PATH."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    if os.name == "nt":
        for env, rel in (("ProgramFiles(x86)", r"Microsoft\Edge\Application\msedge.exe"),
                         ("ProgramFiles", r"Microsoft\Edge\Application\msedge.exe"),
                         ("ProgramFiles", r"Google\Chrome\Application\chrome.exe"),
                         ("LOCALAPPDATA", r"Google\Chrome\Application\chrome.exe")):
            base = os.environ.get(env)
            if base and Path(base, rel).is_file():
                return str(Path(base, rel))
    return None


def write_pdf(html_file: Path, pdf_file: Path, *, browser: str | None = None, timeout: float = 120.0) -> Path:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium (no network: the page
    loads nothing, and the browser is started with its background networking off).
    Raises :class:`ReportError` when no browser is installed or printing fails."""
    from .allure_html import ReportError

    browser = browser or find_browser()
    if browser is None:
        raise ReportError("no headless Chromium found (chromium, google-chrome, Edge): install Debian's chromium "
                          "package (Windows: Microsoft Edge, preinstalled, or Chrome) to get the PDF; the HTML "
                          "executive summary is written all the same")
    pdf_file = Path(pdf_file)
    with tempfile.TemporaryDirectory(prefix="wscard-chromium-") as profile:
        tmp_pdf = Path(profile) / "out.pdf"
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               "--disable-extensions", f"--user-data-dir={profile}/data", "--no-pdf-header-footer",
               f"--print-to-pdf={tmp_pdf}", Path(html_file).resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ReportError(f"{browser} did not print the PDF within {timeout:.0f} s") from None
        except OSError as exc:
            raise ReportError(f"{browser} could not be started: {exc}") from None
        if not tmp_pdf.is_file() or tmp_pdf.stat().st_size == 0:
            raise ReportError(f"{browser} printed no PDF (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
        pdf_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(tmp_pdf), pdf_file)
    return pdf_file


# --- the evidence manifest -------------------------------------------------------------

#: A file's SHA-256 (hex): the summary module's, the one definition.
sha256_of = sha256_file


def _files(run_dir: Path, exclude: Iterable[str]) -> list[str]:
    skip = set(exclude)
    out = []
    for p in sorted(Path(run_dir).rglob("*")):
        if p.is_file() and not p.is_symlink():
            rel = p.relative_to(run_dir).as_posix()
            if rel not in skip and not p.name.startswith(".wscard-probe-") and p.name != runs.RUN_LOCK_NAME:
                out.append(rel)
    return out


def _manifest_text(run_dir: Path, names: list[str]) -> str:
    # sha256sum's text format: "<hash>  <name>"; names with a newline or a backslash would
    # need sha256sum's escaping, and a run folder never has them.
    return "".join(f"{sha256_of(run_dir / n)}  {n}\n" for n in names)


def _write_text_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_manifests(run_dir: Path, summary_path: Path | None = None) -> dict:
    """Seal the run folder, in this order (docs/evidence.md):

    1. ``evidence.sha256``: every file but the summary and the two manifests;
    2. the summary records ``evidence_manifest`` = {file, sha256, files} (rewritten);
    3. ``SHA256SUMS``: every file of the run but itself (the summary and
       ``evidence.sha256`` included), so ``sha256sum -c SHA256SUMS`` checks everything
       and nothing written later makes either manifest stale.

    Returns the summary's ``evidence_manifest`` plus ``sha256sums`` (the SHA-256 of
    SHA256SUMS, to note outside the folder)."""
    run_dir = Path(run_dir)
    summary_path = Path(summary_path or run_dir / runs.SUMMARY_NAME)
    in_folder = summary_path.parent.resolve() == run_dir.resolve()
    excluded = {MANIFEST, EVIDENCE_MANIFEST} | ({summary_path.name} if in_folder else set())
    names = _files(run_dir, excluded)
    _write_text_atomic(run_dir / EVIDENCE_MANIFEST, _manifest_text(run_dir, names))
    record = {"file": EVIDENCE_MANIFEST, "sha256": sha256_of(run_dir / EVIDENCE_MANIFEST), "files": len(names)}
    try:
        data = json.loads(summary_path.read_text(encoding="utf-8"))
        data["evidence_manifest"] = record
        from .summary import write as write_summary

        write_summary(data, summary_path)  # atomic, mode 0644 as the run wrote it
    except (OSError, ValueError):
        pass
    all_names = _files(run_dir, {MANIFEST})
    _write_text_atomic(run_dir / MANIFEST, _manifest_text(run_dir, all_names))
    return {**record, "sha256sums": sha256_of(run_dir / MANIFEST)}


def _parse_manifest(path: Path) -> tuple[dict[str, str], list[str]]:
    entries, bad = {}, []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            bad.append(f"{path.name} line {i}: not '<sha256>  <file>'")
            continue
        entries[name.removeprefix("*")] = digest
    return entries, bad


def verify(run_dir: Path) -> list[str]:
    """Check a (copied) run folder against its manifests. Returns the problems, one line
    each, naming the file (empty when everything matches): a file changed, missing, or
    not listed; a manifest missing or malformed; the summary's record of
    ``evidence.sha256`` not matching it."""
    run_dir = Path(run_dir)
    problems: list[str] = []
    manifest = run_dir / MANIFEST
    if not manifest.is_file():
        return [f"{MANIFEST} is missing in {run_dir}: not a sealed run folder (runs of `wscard check` are sealed; "
                f"seal one with `wscard verify --seal RUN`)"]
    entries, bad = _parse_manifest(manifest)
    problems += bad
    for name, digest in entries.items():
        p = run_dir / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            problems.append(f"{name}: a path outside the run folder is listed")
        elif not p.is_file():
            problems.append(f"{name}: missing")
        elif sha256_of(p) != digest:
            problems.append(f"{name}: changed (its SHA-256 differs from {MANIFEST})")
    for name in _files(run_dir, {MANIFEST}):
        if name not in entries:
            problems.append(f"{name}: not listed in {MANIFEST} (added after the run)")
    summary = run_dir / runs.SUMMARY_NAME
    if summary.is_file():
        try:
            record = json.loads(summary.read_text(encoding="utf-8")).get("evidence_manifest")
        except ValueError:
            record = None
            problems.append(f"{runs.SUMMARY_NAME}: not valid JSON")
        ev = run_dir / EVIDENCE_MANIFEST
        if record and ev.is_file() and sha256_of(ev) != record.get("sha256"):
            problems.append(f"{EVIDENCE_MANIFEST}: its SHA-256 differs from the one the summary records")
        if record and ev.is_file():
            ev_entries, bad = _parse_manifest(ev)
            problems += bad
            for name, digest in ev_entries.items():
                p = run_dir / name
                if p.is_file() and sha256_of(p) != digest and not any(name in x for x in problems):
                    problems.append(f"{name}: changed (its SHA-256 differs from {EVIDENCE_MANIFEST})")
    return list(dict.fromkeys(problems))


# --- the report step -------------------------------------------------------------------

@dataclass
class Finished:
    written: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)


def by_requirement(report: Path) -> Path:
    """The view by requirement beside a report (``x.html`` -> ``x-by-requirement.html``)."""
    report = Path(report)
    return report.with_name(f"{report.stem}-by-requirement{report.suffix}")


def build_reports(results: list[Path], out: Path, *, prepare=annotate_results, history: Path | None = None,
                  append_history: bool = False, global_attachments: Iterable[Path] = (),
                  requirement_label: str = "requirement", verdict: str = "") -> Path:
    """Both Allure views of ``results`` in one Allure run: ``out`` (tree by area and
    feature) and :func:`by_requirement` (tree by ``requirement_label``: the requirement ID,
    or :data:`VIEW_LABEL` when ``prepare`` adds it), each result described by its
    requirements (:func:`annotate_results`); with several results folders (machines) the
    host is the first level. Returns ``out``. Raises ReportError."""
    from . import allure_html
    from .environment import base_environment

    for d in results:
        # a run writes it; older results may lack it (a sealed run folder is never written into)
        if not (Path(d) / "environment.properties").exists() and not (Path(d).parent / MANIFEST).exists():
            allure_html.write_metadata(d, base_environment())
    several = len(results) > 1
    views = {"area": (Path(out), (["host"] if several else []) + ["epic", "feature"]),
             "requirement": (by_requirement(out), (["host"] if several else [])
                             + [requirement_label, "feature"])}
    title = TITLE + (f" ({verdict})" if verdict else "")  # the page's first line says what the run concluded
    allure_html.generate_views(results, views, title=title, prepare=prepare, history=history,
                               append_history=append_history, global_attachments=global_attachments)
    return Path(out)


def finish_run(run_dir: Path, summary_path: Path, results: Path, *, reports_dir: Path | None = None,
               seal: bool = True, build=None) -> Finished:
    """The report step after a run: both Allure views (by area, by requirement) with the
    traceability matrix as a global attachment and the history, the executive summary
    (HTML, PDF), the OSCAL assessment results, the verdict history (complete runs) and
    the manifests. A part that fails is named in ``problems`` and the others are still
    written; the PDF needing a browser that is not installed is a note, not a problem."""
    from ..errors import HarnessError
    from . import allure_html, oscal

    build = build or build_reports
    done = Finished()
    run_dir = Path(run_dir)
    reports_dir = Path(reports_dir or runs.REPORTS)
    summary = json.loads(Path(summary_path).read_text(encoding="utf-8"))
    complete = bool(summary.get("complete")) and run_dir.parent.resolve() == (reports_dir / "runs").resolve()
    vhist_path = reports_dir / VERDICT_HISTORY
    history = read_verdict_history(vhist_path)

    def timed(name, fn):
        t = time.monotonic()
        try:
            return fn()
        finally:
            done.timings[name] = round(time.monotonic() - t, 2)

    rows = timed("matrix", lambda: matrix(summary, results=results, history=history))
    links = {"Report by area": runs.REPORT_NAME, "Report by requirement": REPORT_BY_REQUIREMENT,
             "OSCAL assessment results": oscal.OSCAL_NAME, "Summary (JSON)": runs.SUMMARY_NAME,
             "Evidence manifest": MANIFEST}
    exec_path = run_dir / EXEC_HTML
    try:
        page = executive_html(summary, rows, links=links)
        allure_html.assert_offline(page)
        _write_text_atomic(exec_path, page)
        done.written["executive summary"] = exec_path
    except (OSError, allure_html.ReportError) as exc:
        done.problems.append(f"the executive summary could not be written: {exc}")
    def pdf():
        try:
            done.written["PDF"] = timed("pdf", lambda: write_pdf(exec_path, run_dir / EXEC_PDF))
        except allure_html.ReportError as exc:
            done.notes.append(f"no PDF: {exc}")

    def oscal_doc():
        try:
            done.written["OSCAL"] = timed("oscal", lambda: oscal.write(
                summary, results, run_dir / oscal.OSCAL_NAME,
                results_href=os.path.relpath(results, run_dir).replace(os.sep, "/")))
        except Exception as exc:  # trestle validates as it builds: a bug here must not lose the rest
            done.problems.append(f"the OSCAL assessment results could not be written: {type(exc).__name__}: {exc}")

    # Allure (node), Chromium and the OSCAL build run side by side: the step takes about
    # as long as Allure alone (two processes waiting on their children, one building).
    t_all = time.monotonic()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="wscard-report") as pool:
        jobs = [pool.submit(oscal_doc)] + ([pool.submit(pdf)] if exec_path.is_file() else [])
        with tempfile.TemporaryDirectory(prefix="wscard-matrix-") as tmp:
            matrix_file = Path(tmp) / MATRIX_NAME
            matrix_file.write_text(matrix_page(summary, rows), encoding="utf-8")
            try:
                timed("allure", lambda: build([results], run_dir / runs.REPORT_NAME,
                                              prepare=lambda folder: annotate_results(folder, summary),
                                              history=reports_dir / ALLURE_HISTORY, append_history=complete,
                                              global_attachments=[matrix_file], requirement_label=VIEW_LABEL,
                                              verdict=str(summary.get("exit_meaning", "")).split(":")[0]))
                done.written["report"] = run_dir / runs.REPORT_NAME
                done.written["report by requirement"] = by_requirement(run_dir / runs.REPORT_NAME)
            except (HarnessError, OSError) as exc:
                done.problems.append(f"the HTML report could not be written: {exc}")
        for job in jobs:
            job.result()
    done.timings["reports, PDF and OSCAL together"] = round(time.monotonic() - t_all, 2)
    if complete:
        try:
            append_verdict_history(summary, vhist_path)
        except OSError as exc:
            done.notes.append(f"the verdict history {vhist_path} could not be updated: {exc}")
    if done.problems:  # written before the seal, so the manifest lists it
        try:
            _write_text_atomic(run_dir / "report-error.txt", "\n".join(done.problems) + "\n")
        except OSError:
            pass
    if seal:
        try:
            done.manifest = timed("manifest", lambda: write_manifests(run_dir, Path(summary_path)))
            done.written["manifest"] = run_dir / MANIFEST
        except OSError as exc:
            done.problems.append(f"the evidence manifest could not be written: {exc}")
    return done
