"""CARD-2 under each baseline: none and several cards (hardware.checks.one_card)."""

from __future__ import annotations

import pytest

from hardware.checks import one_card


@pytest.mark.parametrize("baseline, status", [("seed", "failed"), ("admin-guide", "failed"), ("current", "warning")])
def test_two_cards_per_baseline(baseline, status):
    r = one_card(["card A", "card B"], "in the PC/SC readers", baseline)
    assert r.status.value == status
    assert r.evidence["baselines"]["current"]["status"] == "warning"
    assert r.evidence["baselines"]["seed"]["status"] == "failed"


def test_two_cards_under_current_quote_the_page():
    r = one_card(["card A", "card B"], "as PKCS#11 tokens", "current")
    text = " ".join(f.render() for f in r.warnings())
    assert "may work, but is not supported" in text and "more than one smart card is present" in text


@pytest.mark.parametrize("baseline", ["seed", "admin-guide", "current"])
def test_no_card_fails_and_one_card_passes_under_every_baseline(baseline):
    assert one_card([], "in the PC/SC readers", baseline).status.value == "failed"
    assert one_card(["card A"], "in the PC/SC readers", baseline).status.value == "passed"
