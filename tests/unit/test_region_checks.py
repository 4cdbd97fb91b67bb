"""REGION-1 and REGION-2 per baseline, and pre-session rules only for pre-session use."""

from __future__ import annotations

import pytest

from wscard.aws import workspaces as wsp

BOTH = ["pre-session", "in-session"]


@pytest.mark.parametrize("region, baseline, status", [
    ("us-gov-west-1", "seed", "passed"),
    ("us-gov-west-1", "admin-guide", "passed"),
    ("us-east-1", "seed", "failed"),
    ("us-east-1", "admin-guide", "passed"),
    ("eu-west-1", "admin-guide", "passed"),
    ("us-gov-east-1", "admin-guide", "failed"),
    ("eu-central-1", "admin-guide", "failed"),
])
def test_region1_pre_session_per_baseline(region, baseline, status):
    assert wsp.check_pre_session_region(region, BOTH, baseline).status.value == status


def test_region1_shows_both_baselines_side_by_side():
    r = wsp.check_pre_session_region("us-east-1", BOTH, "seed")
    side = r.evidence["baselines"]
    assert (side["seed"]["status"], side["admin-guide"]["status"]) == ("failed", "passed")
    assert side["admin-guide"]["findings"] == []
    assert "documented in us-gov-west-1" in side["seed"]["findings"][0]
    assert "under the admin-guide baseline it is passed" in r.message()


def test_region1_applies_only_to_pre_session_use():
    r = wsp.check_pre_session_region("eu-central-1", ["in-session"], "seed")
    assert r.status.value == "skipped"


@pytest.mark.parametrize("region, status", [("eu-central-1", "passed"), ("us-gov-west-1", "passed"),
                                            ("ap-southeast-5", "passed"), ("cn-northwest-1", "failed"),
                                            ("ap-east-1", "failed")])
def test_region2_in_session_everywhere_wsp_is(region, status):
    for baseline in ("seed", "admin-guide"):
        assert wsp.check_in_session_region(region, BOTH, baseline).status.value == status


def test_region2_applies_only_to_in_session_use():
    assert wsp.check_in_session_region("cn-northwest-1", ["pre-session"], "seed").status.value == "skipped"


def test_region_table_names_the_sources():
    t = wsp.region_table("us-east-1")
    assert t["seed"]["pre_session"]["includes_region"] is False
    assert t["admin-guide"]["pre_session"]["includes_region"] is True
    assert t["admin-guide"]["pre_session"]["source"]["url"].endswith("smart-cards.html#smart-cards-limitations")
    assert t["ad_connector_smart_card_regions (REGION-3)"]["includes_region"] is True
