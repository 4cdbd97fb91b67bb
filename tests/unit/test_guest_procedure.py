"""The user guide's Chrome step (SESSION-3, wscard.guest.world.Procedure) judged as CheckResults:
before the command the Chrome check must fail naming it, after it modutil must answer the
documented message. Real NSS databases (certutil/modutil from libnss3-tools)."""

from __future__ import annotations

import shutil

import pytest

from wscard.checks import Status
from wscard.guest import nss, opensc, world

pytestmark = pytest.mark.skipif(shutil.which("modutil") is None, reason="libnss3-tools not installed")


def test_a_fresh_database_makes_the_chrome_check_fail_naming_the_command(tmp_path):
    proc = world.fresh_home(tmp_path / "home", opensc.host_library())
    result = proc.check_failure_names_the_command()
    assert result.requirement == "SESSION-3"
    assert result.status is Status.PASSED, result.message()
    assert result.evidence["chrome_check"]["status"] == "failed"


def test_a_database_that_already_has_opensc_is_not_what_the_user_guide_starts_from(tmp_path):
    proc = world.fresh_home(tmp_path / "home", opensc.host_library())
    proc.run_documented_command()
    result = proc.check_failure_names_the_command()
    assert result.status is Status.FAILED
    [finding] = result.failures()
    assert "should fail and name the command" in finding.problem and finding.fix


def test_modutil_answering_the_documented_message_passes(tmp_path):
    proc = world.fresh_home(tmp_path / "home", opensc.host_library())
    proc.run_documented_command()
    result = proc.check_added_message()
    assert result.status is Status.PASSED, result.message()


def test_modutil_answering_something_else_fails_with_its_answer(tmp_path):
    proc = world.fresh_home(tmp_path / "home", opensc.host_library())
    proc.output = "ERROR: Failed to add module \"OpenSC\". Probable cause : \"Unknown PKCS #11 error.\""
    result = proc.check_added_message()
    assert result.status is Status.FAILED
    [finding] = result.failures()
    assert nss.ADDED_MESSAGE.format(name="OpenSC") in finding.problem and "Unknown PKCS #11 error" in finding.problem
