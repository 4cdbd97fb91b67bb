"""Documented limits (``wscard/data/limits.toml``): one place, each with its source."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from typing import Any, Callable

from .requirements import DATA


@functools.cache
def limits() -> dict[str, Any]:
    with (DATA / "limits.toml").open("rb") as fh:
        return tomllib.load(fh)


def smart_card_regions() -> list[str]:
    return list(limits()["smart_card_api_regions"]["regions"])


def ca_limits() -> dict[str, Any]:
    return dict(limits()["ca_certificates"])


# --- documented facts per baseline (WSP, CLIENT, REGION) -------------------------------

BASELINES = ("seed", "admin-guide", "current")


@dataclass(frozen=True)
class Fact:
    """One documented fact under one baseline, with where it comes from."""

    name: str
    baseline: str
    values: dict[str, Any]
    source: str = ""
    url: str = ""
    document: str = ""
    read_on: str = ""
    quote: str = ""
    note: str = ""
    #: False when the value could not be confirmed in the page it names (``not_confirmed`` says why).
    confirmed: bool = True
    not_confirmed: str = ""

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def citation(self) -> dict[str, str]:
        out = {"baseline": self.baseline, "source": self.source, "url": self.url,
               "document": self.document, "read_on": self.read_on, "quote": self.quote}
        if self.note:
            out["note"] = self.note
        if not self.confirmed:
            out["confirmed"] = "no"
            out["not_confirmed"] = self.not_confirmed
        return out


_META = ("source", "url", "document", "read_on", "quote", "note", "not_confirmed")


def baselines() -> dict[str, dict[str, Any]]:
    """The documented baselines: name -> title and documents."""
    return {name: dict(v) for name, v in limits()["baselines"].items()}


def check_baseline(baseline: str) -> str:
    if baseline not in BASELINES:
        raise ValueError(f"unknown baseline {baseline!r}; known: {', '.join(BASELINES)}")
    return baseline


def fact(name: str, baseline: str) -> Fact:
    """The fact ``[name.baseline]`` of limits.toml."""
    table = limits()[name][check_baseline(baseline)]
    return Fact(name, baseline, {k: v for k, v in table.items() if k not in _META and k != "confirmed"},
                confirmed=bool(table.get("confirmed", True)), **{k: table.get(k, "") for k in _META})


def unconfirmed(baseline: str) -> list[dict[str, str]]:
    """The values of a baseline that could not be confirmed in the page they name
    (``confirmed = false`` in limits.toml, and the Protocols page's client minimums), with why."""
    out = []
    for name, table in limits().items():
        if not isinstance(table, dict) or baseline not in table or not isinstance(table[baseline], dict):
            continue
        t = table[baseline]
        if t.get("confirmed") is False:
            out.append({"fact": name, "url": t.get("url", ""), "not_confirmed": t.get("not_confirmed", "")})
        if t.get("dcv_confirmed") is False:
            out.append({"fact": f"{name} (DCV protocol page)", "url": t.get("dcv_url", ""),
                        "not_confirmed": t.get("dcv_not_confirmed", "")})
    return out


def wsp_regions() -> list[str]:
    """Regions where WorkSpaces offers WSP (REGION-2's "all Regions where WSP is supported")."""
    return list(limits()["wsp_regions"]["regions"])


def wsp_regions_source() -> dict[str, str]:
    t = limits()["wsp_regions"]
    return {k: t[k] for k in ("source", "url", "document", "read_on") if k in t}


def pre_session_regions(baseline: str) -> list[str]:
    return list(fact("pre_session_regions", baseline)["regions"])


def in_session_regions(baseline: str) -> list[str]:
    rule = fact("in_session_regions", baseline)["rule"]
    if rule != "wsp_regions":  # pragma: no cover - data error
        raise ValueError(f"limits.toml: unknown in-session rule {rule!r}")
    return wsp_regions()


def client_minimum_versions(baseline: str) -> dict[str, str]:
    """Client platform (windows, macos) -> lowest version that the baseline accepts for
    smart cards. Where the baseline also gives the versions DCV WorkSpaces need (the
    ``current`` baseline's Protocols page), the higher of the two for each platform."""
    from .client_version import ClientVersion

    f = fact("clients", baseline)
    out = dict(f["minimum_versions"])
    for platform, v in (f.values.get("dcv_minimum_versions") or {}).items():
        if platform not in out or ClientVersion(out[platform]) < v:
            out[platform] = v
    return out


def client_minimum_sources(baseline: str) -> list[dict[str, Any]]:
    """Every page that gives client minimums under the baseline, with its versions (both
    sources where there are two, for the report)."""
    f = fact("clients", baseline)
    out = [{"versions": dict(f["minimum_versions"]), **f.citation()}]
    if f.values.get("dcv_minimum_versions"):
        dcv = {"versions": dict(f["dcv_minimum_versions"]), "url": f.values.get("dcv_url", ""),
               "document": f.values.get("dcv_document", ""), "read_on": f.read_on}
        if not f.values.get("dcv_confirmed", True):
            dcv.update(confirmed="no", not_confirmed=f.values.get("dcv_not_confirmed", ""))
        out.append(dcv)
    return out


def client_platforms(baseline: str) -> list[str]:
    """The client platforms that support smart cards under the baseline."""
    f = fact("clients", baseline)
    return list(f.values.get("platforms") or f["minimum_versions"])


def client_os_requirements(baseline: str) -> dict[str, str]:
    """Platform -> the client machine's operating system the baseline requires (``linux``:
    "Ubuntu 22.04 or later" under ``current``)."""
    return dict(fact("clients", baseline).values.get("os_requirements") or {})


def protocol_aliases() -> dict[str, str]:
    """API protocol value -> the name the smart card rules use (``DCV`` -> ``WSP``)."""
    return dict(limits()["protocol_names"]["aliases"])


def web_client() -> dict[str, Any]:
    return dict(limits()["web_client"])


def out_of_scope() -> dict[str, Any]:
    return dict(limits()["out_of_scope"])


def key_algorithms() -> dict[str, Any]:
    return dict(limits()["key_algorithms"])


def ecc_logon_policy() -> dict[str, Any]:
    return dict(limits()["ecc_logon_policy"])


def certificate_propagation() -> dict[str, Any]:
    return dict(limits()["certificate_propagation"])


def windows_architectures(baseline: str) -> list[str]:
    return list(fact("windows_architectures", baseline)["architectures"])


def smart_card_protocols(baseline: str) -> list[str]:
    return list(fact("protocols", baseline)["smart_card_protocols"])


def workspace_os_families(baseline: str) -> list[str]:
    return list(fact("protocols", baseline)["workspace_os_families"])


def linux_wsp_regions(baseline: str) -> list[str]:
    """Regions where Linux WorkSpaces on WSP are documented (every WSP Region when the
    baseline sets no limit)."""
    regions = fact("linux_wsp", baseline)["regions"]
    return wsp_regions() if regions == "all" else list(regions)


def linux_wsp_clients(baseline: str) -> list[str]:
    return list(fact("linux_wsp", baseline)["clients"])


def workspaces_api_limits() -> dict[str, Any]:
    return dict(limits()["workspaces_api"])


def judged_under_each_baseline(check: Callable[[str], Any], selected: str) -> Any:
    """Run ``check(baseline)`` (returning a CheckResult) under every baseline.

    Returns the selected baseline's result with ``by_baseline`` holding every baseline's
    :class:`~wscard.checks.BaselineVerdict` (typed: read it, not the evidence), the same
    side by side in ``evidence["baselines"]`` for the report, and
    ``evidence["baselines_disagree"]``. When they disagree, each failure of the selected
    baseline says what the other baselines say. Raises ValueError for an unknown
    ``selected`` baseline."""
    from .checks import BaselineVerdict

    check_baseline(selected)
    results = {b: check(b) for b in BASELINES}
    chosen = results[selected]
    side = {b: BaselineVerdict.of(r) for b, r in results.items()}
    disagree = len({v.status for v in side.values()}) > 1
    chosen.by_baseline = side
    chosen.evidence["selected_baseline"] = selected
    chosen.evidence["baselines"] = {b: v.as_evidence() for b, v in side.items()}
    chosen.evidence["baselines_disagree"] = disagree
    if disagree:
        others = "; ".join(f"under the {b} baseline it is {side[b].status.value}" for b in BASELINES if b != selected)
        for f in chosen.findings:
            f.problem = f"{f.problem} (Baseline {selected}; {others}.)"
    return chosen


def baselines_table(result: Any) -> str | None:
    """A text table (one line a baseline: its verdict and findings) of a CheckResult that
    :func:`judged_under_each_baseline` made, for the report; None if it was not judged per
    baseline. Values of the current baseline not confirmed on their page are listed below."""
    if not result.by_baseline:
        return None
    selected = result.evidence.get("selected_baseline", "")
    lines = [f"{'baseline':<24} {'verdict':<9} findings"]
    for name, v in result.by_baseline.items():
        mark = " (selected)" if name == selected else ""
        found = "; ".join(v.findings) or v.skipped_because or "-"
        lines.append(f"{name + mark:<24} {v.status.value:<9} {found}")
    if result.evidence.get("baselines_disagree"):
        lines.append("The baselines disagree here: the verdict follows the selected baseline.")
    flagged = unconfirmed("current")
    if flagged:
        lines.append("Values of the current baseline not confirmed in their page on the date read "
                     "(wscard/data/limits.toml):")
        lines += [f"  {f['fact']}: {f['not_confirmed']}" for f in flagged]
    return "\n".join(lines)
