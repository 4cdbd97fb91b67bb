"""The run as an OSCAL Assessment Results document (NIST's machine-readable format that
FedRAMP and GRC tools read), built with compliance-trestle's OSCAL models, which
validate every field as the document is built and when it is read back.

* one **observation** per selected scenario: method ``TEST``, the scenario's evidence
  files (its Allure attachments) as ``relevant-evidence``, ``collected`` = when it ran;
* one **finding** per requirement of the catalogue: target = the requirement (an
  ``objective-id``), status ``satisfied`` only for the verdicts ``passed`` and
  ``warning``; every other verdict (``failed``: reason ``fail``; ``not evaluated``,
  ``partially evaluated``, ``not applicable``, not covered by this run: reason ``other``)
  is ``not-satisfied`` with the verdict in the remarks and the ``wscard-verdict``
  property: OSCAL's objective status has only the two states, and a verdict is never
  more reassuring than its evidence. The related controls are ``control-id``
  properties (800-53 controls by their OSCAL ID, ``ia-2.12``);
* the tool (the harness, its version and commit) and the environment (profile,
  baseline, hosts) as local definitions: the tool as an assessment asset, the hosts as
  inventory items that are the observations' subjects.

Never imports pytest.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

from ..controls import CMMC, NIST, SRG, controls_of
from ..requirements import catalogue, sort_key
from ..verdict import Verdict

OSCAL_NAME = "assessment-results.json"
#: The namespace of the harness's own OSCAL properties.
NS = "https://github.com/wscard/wscard/ns/oscal"
#: Deterministic UUIDs (uuid5 under this namespace): the same run gives the same IDs.
_UUID_NS = uuid.UUID("6b0c3f8e-6f5e-4c55-9a57-2f1f4d0e9a11")
#: The ``class`` of a ``control-id`` property (an OSCAL token) per framework.
FRAMEWORK_CLASS = {NIST: "sp800-53r5", SRG: "disa-srg", CMMC: "cmmc-2.0-l2"}


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(_UUID_NS, "/".join(parts)))


def _when(value: str | None, fallback: datetime) -> datetime:
    if value:
        try:
            dt = datetime.fromisoformat(value)
            return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return fallback


def allure_index(results: Path) -> dict[str, dict]:
    """``wscard_nodeid`` -> {"start": ms or None, "attachments": [(name, file name)]}
    from the Allure results of a run (every step's attachments included)."""
    out: dict[str, dict] = {}

    def attachments(node: dict, acc: list) -> None:
        for a in node.get("attachments") or []:
            if isinstance(a, dict) and a.get("source"):
                acc.append((str(a.get("name") or a["source"]), str(a["source"])))
        for s in node.get("steps") or []:
            if isinstance(s, dict):
                attachments(s, acc)

    for p in sorted(Path(results).glob("*-result.json")):
        try:
            obj = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        nodeid = next((lb.get("value") for lb in obj.get("labels", []) if isinstance(lb, dict)
                       and lb.get("name") == "wscard_nodeid"), None)
        if not nodeid:
            continue
        acc: list = []
        attachments(obj, acc)
        entry = out.setdefault(nodeid, {"start": obj.get("start"), "attachments": []})
        entry["attachments"] += acc
    return out


def build(summary: dict, results: Path, *, results_href: str = "allure-results"):
    """The Assessment Results (a trestle ``AssessmentResults``) of a run from its summary
    and its Allure results folder. ``results_href`` is the results folder relative to the
    document (evidence links are relative, so a copied run folder keeps them)."""
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal import assessment_results as ar
    from trestle.oscal import common as cm

    now = datetime.now(timezone.utc)
    run_id = summary.get("run_id") or "run"
    started = _when(summary.get("started"), now)
    ended = _when(summary.get("ended"), now)
    harness = summary.get("harness", {})

    def prop(name: str, value, *, ns: bool = True, cls: str | None = None) -> cm.Property:
        return cm.Property(name=name, value=str(value) or "none", ns=NS if ns else None, class_=cls)

    tool_uuid = _uid(run_id, "tool")
    tool = cm.SystemComponent(
        uuid=tool_uuid, type="software", title=f"wscard {harness.get('version', '')}".strip(),
        description="wscard: end-to-end compliance test harness for smart card (CAC/PIV) sign-in to Amazon "
                    "WorkSpaces through an AWS Directory Service AD Connector.",
        props=[prop("version", harness.get("version", "")), prop("git-commit", harness.get("git_commit", ""))]
        + [prop("component-version", f"{k} {v}") for k, v in sorted(summary.get("components", {}).items())],
        status=cm.Status(state="operational"))
    hosts = summary.get("hosts") or ["unknown"]
    host_items = {h: cm.InventoryItem(
        uuid=_uid(run_id, "host", h), description=f"the machine that ran the scenarios: {h}",
        props=[cm.Property(name="fqdn", value=h), prop("profile", summary.get("profile", "")),
               prop("baseline", summary.get("baseline", ""))]) for h in hosts}
    env = summary.get("environment", {})
    environment = cm.SystemComponent(
        uuid=_uid(run_id, "environment"), type="this-system",
        title=f"profile {summary.get('profile', '')}",
        description=f"The environment the run examined, as its profile describes it: profile "
                    f"{summary.get('profile', '')} ({summary.get('profile_path', '')}), baseline "
                    f"{summary.get('baseline', '')}, hosts {', '.join(hosts)}.",
        props=[prop("profile", summary.get("profile", "")), prop("profile-path", summary.get("profile_path", "")),
               prop("profile-sha256", summary.get("profile_sha256", "")), prop("baseline", summary.get("baseline", ""))]
        + [prop("environment", f"{k}: {v}") for k, v in sorted(env.items())],
        status=cm.Status(state="operational"))
    origin = [cm.Origin(actors=[cm.OriginActor(type="tool", actor_uuid=tool_uuid)])]

    index = allure_index(results)
    reqs = summary.get("requirements", {})
    observations = []
    obs_by_nodeid: dict[str, str] = {}
    seen: set[str] = set()
    for rid in reqs:
        for sc in reqs[rid].get("scenarios", []):
            nodeid = sc["nodeid"]
            if nodeid in seen:
                continue
            seen.add(nodeid)
            ids = [r for r in reqs if any(s["nodeid"] == nodeid for s in reqs[r].get("scenarios", []))]
            info = index.get(nodeid, {})
            collected = (datetime.fromtimestamp(info["start"] / 1000, timezone.utc)
                         if isinstance(info.get("start"), (int, float)) else ended)
            evidence = [cm.RelevantEvidence(href=f"{results_href}/{src}", description=name)
                        for name, src in dict.fromkeys(info.get("attachments", []))]
            message = sc.get("message", "")
            warnings = "; ".join(sc.get("warnings", []))
            desc = (f"Scenario \"{sc['name']}\" ({sc.get('feature', '')}) checks {', '.join(ids)}. "
                    f"Outcome: {sc['outcome']}." + (f" {message}" if message else "")
                    + (f" Warnings: {warnings}" if warnings else ""))
            host = sc.get("host") or hosts[0]
            if host not in host_items:
                host_items[host] = cm.InventoryItem(uuid=_uid(run_id, "host", host), description=f"host {host}",
                                                    props=[cm.Property(name="fqdn", value=host)])
            obs_uuid = _uid(run_id, "observation", nodeid)
            obs_by_nodeid[nodeid] = obs_uuid
            observations.append(ar.Observation(
                uuid=obs_uuid, title=sc["name"], description=desc, methods=["TEST"],
                props=[prop("scenario", nodeid), prop("outcome", sc["outcome"])]
                + [prop("requirement", r) for r in ids],
                origins=origin,
                subjects=[cm.SubjectReference(subject_uuid=host_items[host].uuid, type="inventory-item", title=host)],
                relevant_evidence=evidence or None,
                collected=collected))
    cat = catalogue()
    findings = []
    for rid in sorted(set(cat) | set(reqs), key=sort_key):
        e = reqs.get(rid)
        verdict = e["status"] if e else Verdict.NOT_EVALUATED.value
        why = "; ".join(e.get("reasons", [])) if e else "no scenario of this run checks it (not covered by this run)"
        if verdict in (Verdict.PASSED.value, Verdict.WARNING.value):
            state, reason = "satisfied", "pass"
        elif verdict == Verdict.FAILED.value:
            state, reason = "not-satisfied", "fail"
        else:
            state, reason = "not-satisfied", "other"
        remarks = f"wscard verdict: {verdict}." + (f" {why}" if why and verdict != Verdict.PASSED.value else "")
        statement = cat[rid].statement if rid in cat else (e or {}).get("statement", "")
        controls = controls_of(rid)
        related = [obs_by_nodeid[s["nodeid"]] for s in (e or {}).get("scenarios", []) if s["nodeid"] in obs_by_nodeid]
        findings.append(cm.Finding(
            uuid=_uid(run_id, "finding", rid), title=f"{rid}: {verdict}",
            description=f"{rid}: {statement}" if statement else rid,
            props=[prop("requirement", rid), prop("wscard-verdict", verdict)]
            + [prop("control-id", c.oscal_id if c.framework == NIST else c.id, cls=FRAMEWORK_CLASS.get(c.framework))
               for c in controls]
            + [prop("cci", c.cci, cls=FRAMEWORK_CLASS[SRG]) for c in controls if c.cci],
            origins=origin,
            target=cm.FindingTarget(type="objective-id", target_id=rid, title=f"requirement {rid}",
                                    status=cm.ObjectiveStatus(state=state, reason=reason, remarks=remarks)),
            related_observations=[cm.RelatedObservation(observation_uuid=u) for u in dict.fromkeys(related)] or None,
            remarks=remarks))
    nist_ids = sorted({c.oscal_id for rid in cat for c in controls_of(rid, NIST)})
    result = ar.Result(
        uuid=_uid(run_id, "result"), title=f"wscard run {run_id}",
        description=f"Compliance run {run_id} of the smart card sign-in requirements against profile "
                    f"{summary.get('profile', '')}, baseline {summary.get('baseline', '')}: "
                    f"{summary.get('exit_meaning', '')}.",
        start=started, end=ended,
        props=[prop("run-id", run_id), prop("exit-code", summary.get("exit_code", "")),
               prop("complete", str(bool(summary.get("complete"))).lower()),
               prop("interrupted", str(bool(summary.get("interrupted"))).lower())]
        + [prop("verdict-count", f"{v}: {n}") for v, n in summary.get("counts", {}).items()],
        local_definitions=ar.LocalDefinitions1(
            components=[environment], inventory_items=list(host_items.values()),
            assessment_assets=cm.AssessmentAssets(components=[tool], assessment_platforms=[cm.AssessmentPlatform(
                uuid=_uid(run_id, "platform"), title="pytest-bdd features of wscard",
                uses_components=[cm.UsesComponent(component_uuid=tool_uuid)])])),
        reviewed_controls=cm.ReviewedControls(
            description="NIST SP 800-53 Rev. 5 controls the requirements support (wscard/data/controls.toml)",
            control_selections=[cm.ControlSelections(include_controls=[cm.SelectControlById(control_id=c)
                                                                     for c in nist_ids])]),
        observations=observations or None, findings=findings)
    plan_resource = _uid(run_id, "plan")
    resources = [cm.Resource(
        uuid=plan_resource, title="Assessment plan: the wscard feature suite and requirement catalogue",
        description="The scenarios the run selected (plan.json) checking the requirement catalogue "
                    "(wscard/data/requirements.toml); no separate OSCAL assessment plan is written.",
        rlinks=[cm.Rlink(href="plan.json", media_type="application/json")])]
    for key, src in sorted({s.key: s for r in cat.values() for s in r.sources}.items()):
        resources.append(cm.Resource(uuid=_uid("source", key), title=src.title, rlinks=[cm.Rlink(href=src.url)]))
    return ar.AssessmentResults(
        uuid=_uid(run_id, "assessment-results"),
        metadata=cm.Metadata(
            title=f"Smart card sign-in to Amazon WorkSpaces: assessment results of run {run_id}",
            last_modified=ended, version=str(harness.get("version", "0")), oscal_version=OSCAL_VERSION,
            props=[prop("profile", summary.get("profile", "")), prop("baseline", summary.get("baseline", ""))]),
        import_ap=ar.ImportAp(href=f"#{plan_resource}"),
        results=[result], back_matter=cm.BackMatter(resources=resources))


def write(summary: dict, results: Path, out: Path, *, results_href: str = "allure-results") -> Path:
    """Build the document and write it with trestle (``{"assessment-results": ...}``)."""
    doc = build(summary, results, results_href=results_href)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".tmp-{out.name}")
    doc.oscal_write(tmp)
    tmp.replace(out)
    return out


def read(path: Path):
    """Read a document back with trestle (validates it). Raises on an invalid document."""
    from trestle.oscal.assessment_results import AssessmentResults

    return AssessmentResults.oscal_read(Path(path))
