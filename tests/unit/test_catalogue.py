"""The requirement catalogue matches the spec, and every scenario is tagged with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wscard.requirements import catalogue
from wscard.selftest import ROOT, fault_profiles
from wscard.profile import load_profile

SPEC = ROOT.parent / "shared" / "spec" / "requirements.md"
KIND_TAGS = {"compliance", "procedure"}


def feature_tags() -> dict[str, list[set[str]]]:
    """feature file -> the tag sets of its scenarios (feature tags included)."""
    out = {}
    for path in sorted((ROOT / "features").rglob("*.feature")):
        feature_tags: set[str] = set()
        pending: set[str] = set()
        scenarios = []
        for line in path.read_text().splitlines():
            s = line.strip()
            if s.startswith("@"):
                pending |= {t[1:] for t in s.split()}
            elif s.startswith("Feature:"):
                feature_tags, pending = pending, set()
            elif s.startswith(("Scenario:", "Scenario Outline:", "Scenario Template:")):
                scenarios.append(feature_tags | pending)
                pending = set()
            elif s.startswith("Examples:"):
                # pytest-bdd turns Examples tags into marks of that block's rows
                if scenarios:
                    scenarios[-1] |= pending
                pending = set()
        out[str(path.relative_to(ROOT))] = scenarios
    return out


@pytest.mark.skipif(not SPEC.exists(), reason="../shared/spec/requirements.md is not beside the checkout")
def test_catalogue_has_exactly_the_spec_ids():
    ids = set(re.findall(r"^- ([A-Z]+-\d+):", SPEC.read_text(), re.M))
    assert ids == set(catalogue())


def test_every_scenario_has_a_requirement_id_and_a_kind():
    cat = catalogue()
    for path, scenarios in feature_tags().items():
        for i, tags in enumerate(scenarios):
            assert tags & set(cat), f"{path}: scenario {i + 1} carries no requirement ID"
            assert tags & KIND_TAGS, f"{path}: scenario {i + 1} is neither @compliance nor @procedure"


def test_every_tagged_requirement_has_a_fault_profile():
    tagged = {t for scs in feature_tags().values() for tags in scs for t in tags if t in catalogue()}
    broken = set()
    for p in fault_profiles():
        e = load_profile(p).expect
        broken |= set(e.failed) | set(e.warning)
    missing = sorted(tagged - broken)
    assert not missing, f"requirements with scenarios but no fault profile: {missing}"


def test_every_catalogue_requirement_has_a_scenario():
    """The spec: every ID has at least one scenario (else the main job could not evaluate it)."""
    tagged = {t for scs in feature_tags().values() for tags in scs for t in tags}
    missing = sorted(set(catalogue()) - tagged)
    assert not missing, f"catalogue requirements no scenario checks: {missing}"


def test_every_requirement_has_one_title_that_checks_take_by_default():
    """One title per requirement, kept with its catalogue entry (issue 18): a check's
    ``CheckResult("CA-3")`` takes it; an ID outside the catalogue must name its own."""
    from wscard.checks import CheckResult, merge
    from wscard.requirements import default_fix

    cat = catalogue()
    assert [rid for rid, r in cat.items() if not r.title.strip() or r.title.endswith(".")] == []
    assert CheckResult("CA-3").title == cat["CA-3"].title
    assert merge("CA-7", results=[CheckResult("CA-7")]).title == cat["CA-7"].title
    assert CheckResult("procedure", "The request succeeds").title == "The request succeeds"
    with pytest.raises(KeyError, match="not a requirement of the catalogue"):
        CheckResult("CA-99")
    assert default_fix("CARD-3") and default_fix("CA-3") == "" and default_fix("procedure") == ""


def test_no_check_names_its_own_title_for_a_catalogue_requirement():
    """The per-site copies are gone: no ``CheckResult("<catalogue ID>", "...")`` in the
    library or the card package (the drift issue 18 found: CA-3, CA-5, CA-7, KCD-2 and
    CARD-3 had two titles each)."""
    ids = "|".join(re.escape(rid) for rid in catalogue())
    pattern = re.compile(r'CheckResult\(\s*"(?:' + ids + r')"\s*,')
    found = [f"{p.relative_to(ROOT)}:{i}" for folder in ("wscard", "hardware", "steps")
             for p in sorted((ROOT / folder).rglob("*.py"))
             for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, found
