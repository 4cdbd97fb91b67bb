"""SESSION-8 (wscard.login.session_limit): the Kerberos ticket lifetimes read from klist,
judged as a report (passed with the figure, a warning when short or unreadable), and
measured at a real Samba KDC whose policy the profile sets."""

from __future__ import annotations

import dataclasses

import pytest

from wscard.checks import Status
from wscard.login import session_limit as sl
from wscard.profile import load_profile

KLIST = """Ticket cache: FILE:/tmp/wscard-krb5-x/ccache
Default principal: svc-adconnector@CORP.EXAMPLE.COM

Valid starting     Expires            Service principal
11/22/26 04:12:14  11/22/26 14:12:14  krbtgt/CORP.EXAMPLE.COM@CORP.EXAMPLE.COM
\trenew until 11/23/26 04:12:14
11/22/26 04:12:14  11/22/26 08:12:14  ldap/dc1.corp.example.com@CORP.EXAMPLE.COM
\trenew until 11/23/26 04:12:14
"""


def test_klist_is_parsed_into_lifetimes():
    tickets = sl.parse_klist(KLIST)
    assert [t["principal"].split("/")[0] for t in tickets] == ["krbtgt", "ldap"]
    assert [round(t["hours"], 3) for t in tickets] == [10.0, 4.0]
    four_digit = KLIST.replace("/26 ", "/2026 ")
    assert [round(t["hours"], 3) for t in sl.parse_klist(four_digit)] == [10.0, 4.0]


def test_the_documented_default_is_reported_and_passes():
    reading = sl.documented_default("the profile has no domain")
    assert reading.session_hours == 10.0
    result = sl.check_session_limit(reading, 8.0)
    assert result.status is Status.PASSED
    assert result.evidence["kerberos_ticket_lifetimes"]["session_limit_hours"] == 10.0
    assert "documented default" in reading.text()


def test_the_documented_default_does_not_apply_when_the_profile_has_a_domain():
    reading = sl.documented_default(None)  # the caller found a domain it can read
    result = sl.check_session_limit(reading, 8.0)
    assert result.status is Status.SKIPPED and result.applies is False
    assert "its KDC is asked" in result.skipped_because
    assert reading.text().startswith("Not applicable: ")


def test_a_short_lifetime_is_a_warning_with_the_figure():
    reading = sl.TicketLifetimes("kdc", 4.0, 10.0, realm="CORP.EXAMPLE.COM", service="ldap/dc1")
    result = sl.check_session_limit(reading, 8.0)
    assert result.status is Status.WARNING
    assert "issues service tickets valid for 4 hours" in result.warnings()[0].render()
    assert sl.check_session_limit(reading, 3.5).status is Status.PASSED


def test_an_unreadable_policy_is_a_warning_not_a_failure():
    reading = sl.TicketLifetimes("unreadable", problem="kinit as svc@CORP failed: Cannot contact any KDC")
    result = sl.check_session_limit(reading, 8.0)
    assert result.status is Status.WARNING and "cannot be read" in result.warnings()[0].render()


def _samba_profile(hours: int):
    p = load_profile()
    return p.replace("ad", samba=dataclasses.replace(p.ad.samba, service_ticket_lifetime_hours=hours))


@pytest.mark.parametrize("hours", [10, 4])
def test_the_kdc_grants_what_the_domain_policy_says(hours):
    from wscard.ad import open_session
    from wscard.ad.samba import unavailable_reason

    why = unavailable_reason()
    if why:
        pytest.skip(why)
    session = open_session(_samba_profile(hours), ask=False)
    try:
        reading = sl.read_from_domain(session)
    finally:
        session.close()
    assert reading.source == "kdc", reading.problem
    assert round(reading.service_ticket_hours, 2) == hours
    assert round(reading.user_ticket_hours, 2) == 10
    assert reading.configured == {"service ticket lifetime": f"{hours} h"}
    expected = Status.PASSED if hours >= 8 else Status.WARNING
    assert sl.check_session_limit(reading, 8.0).status is expected


def test_the_simulated_dc_refuses_a_service_lifetime_above_the_user_ticket():
    from wscard.errors import ProfileError

    with pytest.raises(ProfileError, match="service_ticket_lifetime_hours"):
        _samba_profile(11)
