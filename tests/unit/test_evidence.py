"""What an auditor files (docs/evidence.md): control mappings, the summary's controls,
the OSCAL assessment results read back with trestle, the evidence manifest and
`wscard verify`, the traceability matrix and executive summary, history and trends,
the report's per-requirement annotations, and -m by control."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest

from wscard import cli
from wscard import controls as ctl
from wscard.report import evidence as ev
from wscard.report import oscal
from wscard.report import summary as sm
from wscard.requirements import catalogue

ROOT = Path(__file__).resolve().parents[2]


# --- control mappings -------------------------------------------------------------------

def test_every_catalogue_requirement_is_mapped_to_800_53_and_nothing_else_is():
    cat = set(catalogue())
    assert ctl.mapped_requirements() == cat
    for rid in cat:
        assert ctl.controls_of(rid, ctl.NIST), f"{rid} has no NIST SP 800-53 control"
        for m in ctl.mappings(rid):
            assert m.rationale.strip() and m.sources, f"{rid}: basis {m.basis} lacks a rationale or a source"


def test_controls_are_well_formed():
    for c in ctl.all_controls().values():
        assert c.framework in ctl.FRAMEWORKS, c
        if c.framework == ctl.NIST:
            assert c.text and set(c.baselines) <= {"low", "moderate", "high"} and c.baselines, c
            assert set(c.fedramp) <= {"low", "moderate", "high"}, c
            assert c.oscal_id == c.oscal_id.lower() and "(" not in c.oscal_id
        if c.framework == ctl.SRG:
            assert c.id.startswith("SRG-OS-") and c.cci.startswith("CCI-") and len(c.cci) == 10, c
    assert ctl.all_controls()["IA-2(12)"].oscal_id == "ia-2.12"
    assert ctl.all_controls()["SRG-OS-000376-GPOS-00161"].marker == "CCI-001953"


def test_a_basis_naming_an_undefined_control_is_refused(tmp_path, monkeypatch):
    text = (ctl.CONTROLS_FILE.read_text(encoding="utf-8")
            .replace('controls = ["AC-11", "AC.L2-3.1.10"]', 'controls = ["AC-11", "AC-99"]'))
    bad = tmp_path / "controls.toml"
    bad.write_text(text, encoding="utf-8")
    monkeypatch.setattr(ctl, "CONTROLS_FILE", bad)
    ctl._load.cache_clear()
    try:
        with pytest.raises(ctl.ControlsError, match="AC-99"):
            ctl.all_controls()
    finally:
        monkeypatch.undo()
        ctl._load.cache_clear()


def test_quotes_name_a_known_source():
    data = tomllib.loads((ROOT / "wscard/data/requirements.toml").read_text(encoding="utf-8"))
    for rid, r in data["requirement"].items():
        assert ("quote" in r) == ("quote_source" in r), rid
    quoted = [r for r in catalogue().values() if r.quote]
    assert len(quoted) >= 30 and all(r.quote_source for r in quoted)


# --- a run's summary ---------------------------------------------------------------------

def _scenario(nodeid, rids, outcome, message=""):
    return sm.ScenarioOutcome(nodeid, nodeid.split("::")[-1], "Feature", rids, outcome, message, host="lab-pc-1")


def _summary(run_id="20261130T060000Z-abcdef", complete=True, outcomes=None) -> dict:
    outcomes = outcomes or {"CA-4": "failed", "CA-5": "passed", "OCSP-7": "warning", "UC-6": "skipped"}
    scs = [_scenario(f"steps/test_x.py::test_{rid.lower().replace('-', '_')}", [rid], o,
                     f"NON-COMPLIANT [{rid}]\n- the CA expires in 30 days: register a CA valid for more than 90"
                     if o == "failed" else ("no reader: connect one" if o == "skipped" else ""))
           for rid, o in outcomes.items()]
    for sc in scs:
        if sc.outcome == "warning":
            sc.warnings = ["[OCSP-7] no OCSP responder for in-session authentication"]
    return sm.build(scs, profile="embedded", baseline="seed",
                    run={"run_id": run_id, "started": "2026-11-30T06:00:00+00:00", "ended": "2026-11-30T06:01:00+00:00",
                         "exit_code": 1, "exit_meaning": sm.exit_meaning(1), "complete": complete,
                         "interrupted": False, "harness": {"version": "0.1.0", "git_commit": "abc"},
                         "run_folder": f"/tmp/{run_id}", "command": ["-q"], "components": {"moto": "5.2.5"},
                         "profile_path": "builtin:embedded", "profile_sha256": "0" * 64})


def test_the_summary_gives_each_requirement_its_controls_and_validates():
    data = _summary()
    assert data["schema_version"] == "2.1"
    for rid, e in data["requirements"].items():
        assert any(c["framework"] == ctl.NIST for c in e["controls"]), rid
    assert {"framework": ctl.NIST, "id": "IA-5(2)"} in data["requirements"]["CA-5"]["controls"]
    assert data["requirements"]["CA-4"]["quote"].startswith("Before you can register")
    jsonschema.validate(data, json.loads(sm.SCHEMA_FILE.read_text()))


def _run_folder(tmp_path: Path, summary: dict) -> Path:
    run = tmp_path / "runs" / summary["run_id"]
    results = run / "allure-results"
    results.mkdir(parents=True)
    for i, (rid, e) in enumerate(summary["requirements"].items()):
        sc = e["scenarios"][0]
        att = f"att-{i}-attachment.json"
        (results / att).write_text(json.dumps({"requirement": rid}))
        (results / f"r{i}-result.json").write_text(json.dumps({
            "uuid": f"u{i}", "name": sc["name"], "status": "passed", "start": 1796018161378 + i,
            "labels": [{"name": "wscard_nodeid", "value": sc["nodeid"]}, {"name": "requirement", "value": rid}],
            "steps": [{"name": "s", "attachments": [{"name": f"{rid}: evidence", "source": att}]}],
            "description": "scenario text"}))
    sm.write(summary, run / "compliance-summary.json")
    (run / "plan.json").write_text("{}")
    return run


# --- OSCAL ---------------------------------------------------------------------------------

def test_oscal_document_reads_back_with_trestle_with_a_finding_for_every_requirement(tmp_path):
    summary = _summary()
    run = _run_folder(tmp_path, summary)
    path = oscal.write(summary, run / "allure-results", run / oscal.OSCAL_NAME)
    doc = oscal.read(path)  # trestle validates the whole document
    result = doc.results[0]
    findings = {f.target.target_id: f for f in result.findings}
    assert set(findings) == set(catalogue())
    status = {rid: (f.target.status.state.value, f.target.status.reason) for rid, f in findings.items()}
    assert status["CA-5"] == ("satisfied", "pass")
    assert status["OCSP-7"] == ("satisfied", "pass")          # a warning holds, with the warning in the remarks
    assert "warning" in findings["OCSP-7"].target.status.remarks
    assert status["CA-4"] == ("not-satisfied", "fail")
    assert status["UC-6"] == ("not-satisfied", "other")       # not evaluated is never satisfied
    assert status["KCD-1"] == ("not-satisfied", "other")      # not covered by this run
    ids = {p.value for p in findings["UC-6"].props if p.name == "control-id"}
    assert {"ia-5.2", "ia-2.12", "SRG-OS-000067-GPOS-00035", "IA.L2-3.5.3"} <= ids
    assert "CCI-000186" in {p.value for p in findings["UC-6"].props if p.name == "cci"}
    assert len(result.observations) == 4
    obs = result.observations[0]
    assert [m for m in obs.methods] == ["TEST"] or [getattr(m, "value", m) for m in obs.methods] == ["TEST"]
    for o in result.observations:
        for e in o.relevant_evidence:
            assert (run / e.href).is_file(), e.href
    assert result.local_definitions.inventory_items[0].props[0].value == "lab-pc-1"
    assert findings["CA-4"].related_observations


# --- the manifest and wscard verify ----------------------------------------------------------

def test_manifest_verifies_and_names_every_changed_missing_or_added_file(tmp_path, capsys):
    run = _run_folder(tmp_path, _summary())
    (run / "compliance-report.html").write_text("<html></html>")
    m = ev.write_manifests(run)
    summary = json.loads((run / "compliance-summary.json").read_text())
    assert summary["evidence_manifest"]["sha256"] == ev.sha256_of(run / ev.EVIDENCE_MANIFEST) == m["sha256"]
    listed = (run / ev.MANIFEST).read_text()
    assert "compliance-summary.json" in listed and ev.EVIDENCE_MANIFEST in listed and "allure-results/" in listed
    assert ev.verify(run) == []
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "-c", "--quiet", ev.MANIFEST], cwd=run, check=True)
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    assert cli.main(["verify", str(copy)]) == 0
    (copy / "allure-results" / "att-0-attachment.json").write_text('{"requirement": "forged"}')
    (copy / "plan.json").unlink()
    (copy / "extra.txt").write_text("x")
    s = json.loads((copy / "compliance-summary.json").read_text())
    s["counts"]["failed"] = 0
    (copy / "compliance-summary.json").write_text(json.dumps(s))
    problems = ev.verify(copy)
    text = "\n".join(problems)
    assert "allure-results/att-0-attachment.json: changed" in text
    assert "plan.json: missing" in text
    assert "extra.txt: not listed" in text
    assert "compliance-summary.json: changed" in text
    capsys.readouterr()
    assert cli.main(["verify", str(copy)]) == 1
    assert "att-0-attachment.json" in capsys.readouterr().out
    if shutil.which("sha256sum"):
        assert subprocess.run(["sha256sum", "-c", "--quiet", ev.MANIFEST], cwd=copy,
                              capture_output=True).returncode != 0


def test_verify_refuses_an_unsealed_folder_and_seal_does_not_reseal(tmp_path):
    run = _run_folder(tmp_path, _summary())
    assert "missing" in ev.verify(run)[0]
    assert cli.main(["verify", str(run)]) == 1
    assert cli.main(["verify", "--seal", str(run)]) == 0
    assert cli.main(["verify", str(run)]) == 0
    assert cli.main(["verify", "--seal", str(run)]) == 4
    assert cli.main(["verify", str(tmp_path / "nope")]) == 4


def test_evidence_manifest_tampered_with_the_summary_record_is_caught(tmp_path):
    run = _run_folder(tmp_path, _summary())
    ev.write_manifests(run)
    # rewrite evidence.sha256 and SHA256SUMS consistently, as a forger would: the
    # summary's record of evidence.sha256 still catches it
    (run / "plan.json").write_text('{"forged": true}')
    (run / ev.EVIDENCE_MANIFEST).write_text(ev._manifest_text(run, ev._files(run, {ev.MANIFEST, ev.EVIDENCE_MANIFEST,
                                                                                  "compliance-summary.json"})))
    (run / ev.MANIFEST).write_text(ev._manifest_text(run, ev._files(run, {ev.MANIFEST})))
    assert any("differs from the one the summary records" in p for p in ev.verify(run))


# --- matrix, executive summary, history ------------------------------------------------------

def test_trend_and_failing_since():
    s1, s2, s3 = (_summary(f"r{i}", outcomes={"CA-4": v}) for i, v in enumerate(["passed", "failed", "failed"]))
    for i, s in enumerate((s1, s2, s3)):
        s["started"] = f"2026-11-2{i}T00:00:00+00:00"
    history = [ev.history_entry(s1), ev.history_entry(s2)]
    t, since = ev.trend(history, s3, "CA-4")
    assert t == ["passed", "failed", "failed"] and since == "2026-11-21T00:00:00+00:00"
    assert ev.trend(history, s3, "KCD-1") == (["not covered"] * 3, "")


def test_verdict_history_is_appended_and_read(tmp_path):
    path = tmp_path / "verdict-history.jsonl"
    ev.append_verdict_history(_summary("a"), path)
    ev.append_verdict_history(_summary("b"), path)
    with path.open("a") as fh:
        fh.write("not json\n")
    h = ev.read_verdict_history(path)
    assert [e["run_id"] for e in h] == ["a", "b"] and h[0]["verdicts"]["CA-4"] == "failed"


def test_executive_summary_lists_what_needs_attention_and_loads_nothing(tmp_path):
    from wscard.report.allure_html import assert_offline

    summary = _summary()
    run = _run_folder(tmp_path, summary)
    rows = ev.matrix(summary, results=run / "allure-results")
    assert [r.rid for r in rows] == sorted(catalogue(), key=__import__("wscard.requirements").requirements.sort_key)
    assert next(r for r in rows if r.rid == "CA-5").evidence == 1
    page = ev.executive_html(summary, rows, links={"Report by requirement": ev.REPORT_BY_REQUIREMENT})
    assert_offline(page)
    attention = page.split("Needing attention")[1].split("Traceability matrix")[0]
    assert "CA-4" in attention and "register a CA valid for more than 90" in attention
    assert "UC-6" in attention and "OCSP-7" in attention and "CA-5" not in attention
    assert "<tr class='failed' id='req-CA-4'>" in page and "<tr class='warning' id='req-OCSP-7'>" in page
    assert "<tr class='not-evaluated' id='req-UC-6'>" in page
    assert "IA-5(2)" in page and "CCI-000185" in page


@pytest.mark.skipif(ev.find_browser() is None, reason="no headless Chromium installed")
def test_pdf_is_printed_from_the_executive_summary(tmp_path):
    html = tmp_path / "e.html"
    html.write_text(ev.executive_html(_summary(), ev.matrix(_summary())), encoding="utf-8")
    pdf = ev.write_pdf(html, tmp_path / "e.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_no_browser_is_a_clear_error(tmp_path, monkeypatch):
    from wscard.report.allure_html import ReportError

    monkeypatch.setattr(ev, "find_browser", lambda: None)
    with pytest.raises(ReportError, match="chromium"):
        ev.write_pdf(tmp_path / "e.html", tmp_path / "e.pdf")


def test_results_are_annotated_with_requirement_text_and_controls(tmp_path):
    summary = _summary()
    run = _run_folder(tmp_path, summary)
    assert ev.annotate_results(run / "allure-results", summary) == 4
    obj = json.loads(next((run / "allure-results").glob("r0-result.json")).read_text())
    rid = next(lb["value"] for lb in obj["labels"] if lb["name"] == "requirement")
    assert catalogue()[rid].statement[:30] in obj["descriptionHtml"] and "scenario text" in obj["descriptionHtml"]
    view = [lb["value"] for lb in obj["labels"] if lb["name"] == ev.VIEW_LABEL]
    assert view and view[0].startswith(f"{rid} [{summary['requirements'][rid]['status']}]")
    assert {lb["value"] for lb in obj["labels"] if lb["name"] == "control"} == {c.id for c in ctl.controls_of(rid, ctl.NIST)}
    unquoted = next(r for r in catalogue().values() if not r.quote)
    assert "none stored" in ev.requirement_html(unquoted.id)


def test_minus_m_selects_by_control():
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "ac-11", "-p", "no:cacheprovider"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = [ln for ln in out.stdout.splitlines() if "::" in ln]
    assert lines and all("test_in_session_bdd.py" in ln for ln in lines), out.stdout[-2000:]
    assert "deselected" in out.stdout


def test_wscard_check_leaves_a_sealed_run_folder_an_auditor_can_file(tmp_path, monkeypatch, capsys):
    """The issue's "done when" on a small selection: OSCAL read back with a finding for
    every requirement, SHA256SUMS verifying, both reports, the executive summary (and its
    PDF where Chromium is installed); `wscard report` never writes into the sealed folder."""
    from wscard.report import runs

    monkeypatch.setattr(runs, "REPORTS", tmp_path)
    run = tmp_path / "run"
    rc = cli.cmd_check(["-q", "-m", "REGION-3 and compliance", "--card=softhsm", f"--run-dir={run}"])
    out = capsys.readouterr()
    assert rc == 0, out.err[-3000:]
    doc = oscal.read(run / oscal.OSCAL_NAME)
    assert {f.target.target_id for f in doc.results[0].findings} == set(catalogue())
    for name in (runs.REPORT_NAME, ev.REPORT_BY_REQUIREMENT, ev.EXEC_HTML, ev.MANIFEST, ev.EVIDENCE_MANIFEST):
        assert (run / name).is_file(), name
    if ev.find_browser():
        assert (run / ev.EXEC_PDF).read_bytes()[:5] == b"%PDF-"
    assert ev.verify(run) == []
    summary = json.loads((run / runs.SUMMARY_NAME).read_text())
    assert summary["evidence_manifest"]["sha256"] == ev.sha256_of(run / ev.EVIDENCE_MANIFEST)
    assert all(any(c["framework"] == ctl.NIST for c in e["controls"]) for e in summary["requirements"].values())
    assert "report step:" in out.out and "SHA256SUMS" in out.out
    assert cli.main(["report", str(run), "--out", str(run / "again.html")]) == 4
    assert ev.verify(run) == []


HAVE_ALLURE = (ROOT / "reports/node_modules/allure/cli.js").is_file() and shutil.which("node") is not None


@pytest.mark.skipif(not HAVE_ALLURE, reason="report tools not installed: run `npm ci --prefix reports`")
def test_both_views_in_one_allure_run_and_only_complete_runs_append_history(tmp_path):
    from wscard.report import allure_html

    summary = _summary()
    run = _run_folder(tmp_path, summary)
    history = tmp_path / "history.jsonl"
    history.write_text('{"uuid": "older-run", "timestamp": 1, "knownTestCaseIds": [], "testResults": {}}\n')
    views = {"area": (tmp_path / "a.html", ["epic", "feature"]),
             "requirement": (tmp_path / "r.html", [ev.VIEW_LABEL, "feature"])}
    out = allure_html.generate_views([run / "allure-results"], views, title="t",
                                     prepare=lambda f: ev.annotate_results(f, summary), history=history)
    assert set(out) == {"area", "requirement"} and all(p.stat().st_size > 10_000 for p in out.values())
    assert len(history.read_text().splitlines()) == 1          # not complete: read, never appended
    allure_html.generate_views([run / "allure-results"], views, title="t", history=history, append_history=True)
    lines = history.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith('{"uuid": "older-run"')
    raw = json.loads((run / "allure-results" / "r0-result.json").read_text())
    assert "descriptionHtml" not in raw                        # the run's own results are never changed
    one = allure_html.generate_views([run / "allure-results"], {"area": (tmp_path / "one.html", ["feature"])}, title="t")
    assert one["area"].is_file()
