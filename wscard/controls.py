"""Control mappings (``wscard/data/controls.toml``): for each requirement of the catalogue,
the controls of an auditor's framework it supports (NIST SP 800-53 Rev. 5 with the SP
800-53B and FedRAMP baselines, DISA SRG IDs with their CCIs, CMMC 2.0 Level 2 practices),
with the rationale and the sources of each mapping (docs/evidence.md).

A requirement maps to *bases*: a basis is one reason a check supports a set of controls.
Never imports pytest.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
CONTROLS_FILE = DATA / "controls.toml"

NIST = "NIST SP 800-53 Rev. 5"
SRG = "DISA SRG"
CMMC = "CMMC 2.0 Level 2"
FRAMEWORKS = (NIST, SRG, CMMC)


@dataclass(frozen=True)
class Control:
    """One control, SRG requirement or practice. ``baselines`` are SP 800-53B's (low,
    moderate, high), ``fedramp`` FedRAMP Rev. 5's; ``cci`` and ``nist`` only for SRG IDs."""

    id: str
    framework: str
    title: str
    text: str = ""
    baselines: tuple[str, ...] = ()
    fedramp: tuple[str, ...] = ()
    cci: str = ""
    nist: str = ""

    @property
    def oscal_id(self) -> str:
        """NIST's OSCAL control ID (``IA-2(12)`` -> ``ia-2.12``) for 800-53 controls; the ID
        itself otherwise."""
        if self.framework != NIST:
            return self.id
        m = re.fullmatch(r"([A-Z]{2})-(\d+)(?:\((\d+)\))?", self.id)
        if not m:
            return self.id.lower()
        return f"{m.group(1).lower()}-{m.group(2)}" + (f".{m.group(3)}" if m.group(3) else "")

    @property
    def marker(self) -> str:
        """The pytest marker that selects the scenarios supporting this control
        (``-m ia-2.12``, ``-m CCI-001953``, ``-m IA.L2-3.5.3``): pytest's ``-m`` takes no
        parentheses, so 800-53 controls use their OSCAL ID and SRG IDs their CCI."""
        if self.framework == SRG:
            return self.cci or self.id
        return self.oscal_id


@dataclass(frozen=True)
class Mapping:
    """Why a requirement supports some controls: one basis of controls.toml."""

    basis: str
    controls: tuple[Control, ...]
    rationale: str
    sources: tuple[tuple[str, str], ...]  # (title, url)


class ControlsError(ValueError):
    """controls.toml is inconsistent (names the key and the fix)."""


@functools.cache
def _load() -> tuple[dict[str, Control], dict[str, tuple[Mapping, ...]]]:
    with CONTROLS_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    sources = {k: (v["title"], v["url"]) for k, v in data.get("sources", {}).items()}
    controls = {}
    for cid, c in data.get("control", {}).items():
        controls[cid] = Control(cid, c["framework"], c["title"], c.get("text", ""),
                                tuple(c.get("sp800_53b", ())), tuple(c.get("fedramp", ())),
                                c.get("cci", ""), c.get("nist", ""))
    bases = {}
    for name, b in data.get("basis", {}).items():
        missing = [c for c in b["controls"] if c not in controls] + [s for s in b["sources"] if s not in sources]
        if missing:
            raise ControlsError(f"{CONTROLS_FILE}: basis {name!r} names {', '.join(missing)}, not defined under "
                                f"[control] or [sources]: define them or remove them")
        bases[name] = Mapping(name, tuple(controls[c] for c in b["controls"]), b["rationale"],
                              tuple(sources[s] for s in b["sources"]))
    reqs = {}
    for rid, names in data.get("requirement", {}).items():
        unknown = [n for n in names if n not in bases]
        if unknown:
            raise ControlsError(f"{CONTROLS_FILE}: requirement {rid} names the unknown basis {', '.join(unknown)}")
        reqs[rid] = tuple(bases[n] for n in names)
    return controls, reqs


def all_controls() -> dict[str, Control]:
    """Every control defined in controls.toml, by ID."""
    return _load()[0]


def mappings(rid: str) -> tuple[Mapping, ...]:
    """The mappings of one requirement ID (empty for an unknown ID)."""
    return _load()[1].get(rid, ())


def mapped_requirements() -> set[str]:
    return set(_load()[1])


def controls_of(rid: str, framework: str | None = None) -> list[Control]:
    """The controls a requirement supports, each once, in framework order (800-53, SRG,
    CMMC) then file order; only ``framework``'s when given."""
    seen: dict[str, Control] = {}
    for m in mappings(rid):
        for c in m.controls:
            seen.setdefault(c.id, c)
    out = sorted(seen.values(), key=lambda c: FRAMEWORKS.index(c.framework) if c.framework in FRAMEWORKS else 9)
    return [c for c in out if framework is None or c.framework == framework]


def summary_controls(rid: str) -> list[dict[str, str]]:
    """The summary's ``controls`` list of a requirement: ``[{"framework", "id"}]``."""
    return [{"framework": c.framework, "id": c.id} for c in controls_of(rid)]


def markers() -> dict[str, str]:
    """pytest marker name -> description, one per control (see :attr:`Control.marker`)."""
    out = {}
    for c in all_controls().values():
        out.setdefault(c.marker, f"supports {c.framework} {c.id}" + (f" ({c.cci})" if c.cci else "") + f": {c.title[:60]}")
    return out
