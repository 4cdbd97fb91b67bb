"""Step glue for features/region: each step calls one library function."""

from __future__ import annotations

from pytest_bdd import scenarios, then

from wscard.aws import workspaces as wsp

from .glue import check_per_baseline

scenarios("region")


@then("pre-session smart card authentication is available in the directory's Region")
def _pre_session(profile, evidence):
    check_per_baseline(evidence, wsp.check_pre_session_region(
        profile.aws.region, profile.profile.authentication, profile.profile.baseline))


@then("in-session smart card authentication is available in the directory's Region")
def _in_session(profile, evidence):
    check_per_baseline(evidence, wsp.check_in_session_region(
        profile.aws.region, profile.profile.authentication, profile.profile.baseline))


@then("the Regions of every baseline are attached")
def _regions(profile, evidence):
    evidence.attach_json("Regions per baseline", wsp.region_table(profile.aws.region))
