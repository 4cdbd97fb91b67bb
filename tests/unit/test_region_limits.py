"""The documented facts per baseline (wscard/data/limits.toml) and how a check is judged
under both baselines."""

from __future__ import annotations

import re

import pytest

from wscard import limits as L
from wscard.checks import CheckResult


def test_every_fact_names_its_source_url_and_date_for_every_baseline():
    for name in ("pre_session_regions", "in_session_regions", "clients", "windows_architectures", "protocols",
                 "linux_wsp"):
        for baseline in L.BASELINES:
            f = L.fact(name, baseline)
            assert f.source in ("S-CLIENT", "S-ADMIN", "S-CURRENT"), (name, baseline)
            assert f.url.startswith("https://docs.aws.amazon.com/"), (name, baseline)
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.read_on), (name, baseline)
            assert f.quote and f.document


def test_seed_baseline_is_the_seed_documents():
    assert L.pre_session_regions("seed") == ["us-gov-west-1"]
    assert L.client_minimum_versions("seed") == {"windows": "3.1.1"}


def test_admin_guide_baseline():
    assert sorted(L.pre_session_regions("admin-guide")) == sorted(
        ["us-east-1", "us-west-2", "ap-southeast-2", "ap-northeast-1", "eu-west-1", "us-gov-west-1"])
    assert L.client_minimum_versions("admin-guide") == {"windows": "3.1.1", "macos": "3.1.5"}
    assert L.linux_wsp_regions("admin-guide") == ["us-gov-west-1"]


def test_current_baseline_is_the_documents_read_2026_11_30():
    assert sorted(L.pre_session_regions("current")) == sorted(L.pre_session_regions("admin-guide") + ["us-gov-east-1"])
    # the higher of the smart card page's minimums and the Protocols page's for DCV WorkSpaces
    assert L.client_minimum_versions("current") == {"windows": "5.1.0.329", "macos": "5.5.0"}
    assert L.client_platforms("current") == ["windows", "macos", "linux"]
    assert L.client_os_requirements("current") == {"linux": "Ubuntu 22.04 or later"}
    sources = L.client_minimum_sources("current")
    assert [s["versions"]["windows"] for s in sources] == ["3.1.1", "5.1.0.329"]
    # CARD-2's verdict on several cards, as hardware.checks reads it
    assert L.fact("several_cards", "current")["verdict"] == "warning"
    assert L.fact("several_cards", "seed")["verdict"] == "failed"
    for name in ("pre_session_regions", "clients", "protocols", "several_cards"):
        f = L.fact(name, "current")
        assert f.read_on == "2026-11-30" and f.quote and f.url


def test_unconfirmed_current_values_say_so_in_their_citation():
    c = L.fact("clients", "current").citation()
    assert c["confirmed"] == "no" and c["not_confirmed"]
    assert "confirmed" not in L.fact("pre_session_regions", "current").citation()
    dcv = L.client_minimum_sources("current")[1]
    assert dcv["confirmed"] == "no" and "Protocols page" in dcv["not_confirmed"]


def test_dcv_is_the_renamed_wsp():
    assert L.protocol_aliases() == {"DCV": "WSP"}


def test_seed_sets_no_region_limit_for_linux_wsp():
    assert L.linux_wsp_regions("seed") == L.wsp_regions()


def test_in_session_everywhere_wsp_is_supported_not_in_ningxia():
    for baseline in L.BASELINES:
        regions = L.in_session_regions(baseline)
        assert "us-gov-west-1" in regions and "eu-central-1" in regions
        assert "cn-northwest-1" not in regions


def test_pre_session_regions_are_wsp_regions():
    for baseline in L.BASELINES:
        assert set(L.pre_session_regions(baseline)) <= set(L.wsp_regions())


def test_unknown_baseline_is_refused():
    with pytest.raises(ValueError, match="unknown baseline"):
        L.fact("clients", "latest")


def _check(verdicts):
    def check(baseline):
        r = CheckResult("REGION-1", "t")
        if verdicts[baseline] == "fail":
            r.fail("region x", "is not listed.")
        return r
    return check


def test_judged_under_each_baseline_follows_the_selected_one_and_shows_both():
    r = L.judged_under_each_baseline(_check({"seed": "fail", "admin-guide": "pass", "current": "pass"}), "seed")
    assert r.status.value == "failed"
    assert r.evidence["baselines"]["admin-guide"]["status"] == "passed"
    assert r.evidence["baselines_disagree"] is True
    assert "under the admin-guide baseline it is passed" in r.message()

    r = L.judged_under_each_baseline(_check({"seed": "fail", "admin-guide": "pass", "current": "pass"}), "admin-guide")
    assert r.status.value == "passed"
    assert r.evidence["baselines"]["seed"]["status"] == "failed"


def test_judged_under_each_baseline_agreeing():
    r = L.judged_under_each_baseline(_check({"seed": "pass", "admin-guide": "pass", "current": "pass"}), "seed")
    assert r.evidence["baselines_disagree"] is False


def test_unconfirmed_values_are_listed_for_the_report():
    flagged = {f["fact"] for f in L.unconfirmed("current")}
    assert {"clients", "clients (DCV protocol page)", "windows_architectures", "linux_wsp"} <= flagged
    assert "pre_session_regions" not in flagged
    assert L.unconfirmed("seed") == []


def test_the_new_tables_name_their_source_quote_and_date():
    for table in (L.web_client(), L.key_algorithms(), L.ecc_logon_policy(), L.certificate_propagation(),
                  L.limits()["protocol_names"]):
        assert table["url"].startswith("https://") and table["read_on"] == "2026-11-30"
        assert table.get("quote") or table.get("not_confirmed")
    assert L.ecc_logon_policy()["value"] == "EnumerateECCCerts"
    assert L.certificate_propagation()["start_automatic"] == 2
