"""The AD Connector checks as pure functions over a DirectoryServiceSnapshot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from wscard.aws import ad_connector as adc
from wscard.aws.procedure import make_ca
from wscard.checks import Status
from wscard.pki import checks as K

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


@dataclass
class Entry:
    name: str
    cert: x509.Certificate
    data: bytes


def entry(name, days=3650, pss=False, der=False):
    cert = make_ca(f"Test {name}", days, pss=pss)
    return Entry(name, cert, cert.public_bytes(Encoding.DER if der else Encoding.PEM))


def reg(e: Entry, **kw):
    base = {"CertificateId": f"c-{abs(hash(e.name)) % 10**10:010d}", "CommonName": f"Test {e.name}",
            "State": "Registered", "Type": "ClientCertAuth", "ExpiryDateTime": e.cert.not_valid_after_utc,
            "RegisteredDateTime": NOW - timedelta(days=1), "ClientCertAuthSettings": {"OCSPUrl": "http://o/"}}
    return {**base, **kw}


def snap(regs=(), dtype="ADConnector", region="us-gov-west-1", auth=("SmartCard", "Enabled")):
    s = adc.DirectoryServiceSnapshot("d-1234567890", region, {"Type": dtype, "Name": "corp.example.com"})
    s.certificates = list(regs)
    if auth:
        s.client_auth = [{"Type": auth[0], "Status": auth[1]}]
    return s


@pytest.fixture(scope="module")
def chain():
    return [entry("issuing"), entry("root")]


def test_compliant_directory_passes_everything(chain):
    s = snap([reg(e) for e in chain])
    results = [
        adc.check_directory_type(s), adc.check_region(s), K.check_ca_format(chain),
        adc.check_issuing_ca_ocsp(s, chain, "http://o/"), adc.check_registration_states(s),
        adc.check_expiry_margin(s, NOW), adc.check_chain_registered(s, chain), adc.check_certificate_count(s, 2),
        K.check_ca_signatures(chain), adc.check_details_and_expiry_warning(s, 180, NOW),
        adc.check_smart_card_enabled(s), adc.check_pre_session_type(s, ["pre-session"]),
    ]
    assert [r.status for r in results] == [Status.PASSED] * len(results), [r.message() for r in results]


def test_missing_intermediate_names_it_and_the_command(chain):
    r = adc.check_chain_registered(snap([reg(chain[1])]), chain)
    assert r.status is Status.FAILED
    assert "Test issuing" in r.message() and "register-certificate --directory-id d-1234567890" in r.message()


def test_registration_as_client_ldaps_does_not_count(chain):
    r = adc.check_chain_registered(snap([reg(chain[0], Type="ClientLDAPS"), reg(chain[1])]), chain)
    assert r.status is Status.FAILED and "registered as ClientLDAPS" in r.message()


def test_expiry_margin_and_warning():
    soon = entry("soon", days=60)
    s = snap([reg(soon)])
    assert adc.check_expiry_margin(s).status is Status.FAILED
    later = entry("later", days=150)
    s2 = snap([reg(later)])
    assert adc.check_expiry_margin(s2).status is Status.PASSED
    w = adc.check_details_and_expiry_warning(s2, 180)
    assert w.status is Status.WARNING and "warning threshold 180 days" in w.warnings()[0].render()


def test_register_failed_gives_its_reason(chain):
    s = snap([reg(chain[0], State="RegisterFailed", StateReason="bad certificate"), reg(chain[1])])
    r = adc.check_registration_states(s)
    assert r.status is Status.FAILED and "RegisterFailed: bad certificate" in r.message()


def test_pss_and_der_are_reported():
    # CA-3 and CA-7 are judged once, by wscard.pki.checks, for the AD Connector feature too
    assert not hasattr(adc, "check_no_pss") and not hasattr(adc, "check_chain_format")
    assert K.check_ca_signatures([entry("pss", pss=True)]).status is Status.FAILED
    r = K.check_ca_format([entry("der", der=True)])
    assert r.status is Status.FAILED and "openssl x509 -inform DER" in r.message()


def test_non_ad_connector_blocks_the_dependent_checks(chain):
    s = snap([], dtype="MicrosoftAD", auth=None)
    assert adc.check_directory_type(s).status is Status.FAILED
    for r in (adc.check_chain_registered(s, chain), adc.check_smart_card_enabled(s),
              adc.check_registration_states(s)):
        assert r.status is Status.SKIPPED and "AUTH-4" in r.skipped_because


def test_region_outside_the_list(chain):
    s = snap([reg(e) for e in chain], region="eu-central-1")
    assert adc.check_region(s).status is Status.FAILED
    assert adc.check_smart_card_enabled(s).status is Status.SKIPPED


def test_auth_checks(chain):
    assert adc.check_smart_card_enabled(snap(auth=("SmartCard", "Disabled"))).status is Status.FAILED
    either = snap(auth=("SmartCardOrPassword", "Enabled"))
    assert adc.check_smart_card_enabled(either).status is Status.PASSED
    assert adc.check_pre_session_type(either, ["pre-session"]).status is Status.FAILED
    assert adc.check_pre_session_type(either, ["in-session"]).status is Status.PASSED
    assert adc.check_pre_session_type(snap(auth=None), ["pre-session"]).status is Status.SKIPPED


def test_ocsp_url_expectation(chain):
    s = snap([reg(chain[0], ClientCertAuthSettings={}), reg(chain[1])])
    r = adc.check_issuing_ca_ocsp(s, chain, "http://o/")
    assert r.status is Status.FAILED and "without an OCSP URL" in r.message()
    assert adc.check_issuing_ca_ocsp(s, chain, "").status is Status.PASSED


def test_certificate_count():
    e = entry("one")
    s = snap([reg(e, CertificateId=f"c-{i:010d}") for i in range(99)])
    assert adc.check_certificate_count(s, 2).status is Status.WARNING
    s.certificates.append(reg(e, CertificateId="c-9999999999"))
    s.certificates.append(reg(e, CertificateId="c-9999999998"))
    assert adc.check_certificate_count(s, 2).status is Status.FAILED


# --- KCD-5's input: ConnectSettings.CustomerUserName ------------------------------------------

def test_the_customer_user_name_of_an_ad_connector_is_read():
    s = adc.DirectoryServiceSnapshot("d-1234567890", "us-gov-west-1",
                                     {"Type": "ADConnector", "ConnectSettings": {"CustomerUserName": "svc-adc"}})
    found = adc.read_customer_user_name(lambda: s)
    assert (found.name, found.unreadable) == ("svc-adc", "")
    assert found.evidence == {"DirectoryId": "d-1234567890", "ConnectSettings.CustomerUserName": "svc-adc"}


def test_a_directory_without_connect_settings_names_auth_4():
    found = adc.read_customer_user_name(lambda: snap(dtype="MicrosoftAD"))
    assert found.name is None
    assert "MicrosoftAD" in found.unreadable and "no ConnectSettings (AUTH-4)" in found.unreadable


def test_a_directory_that_cannot_be_read_is_an_unreadable_name_not_an_error():
    from wscard.errors import EnvironmentProblem

    def unreadable():
        raise EnvironmentProblem("cannot describe directory d-1234567890 in us-gov-west-1: AccessDeniedException")

    found = adc.read_customer_user_name(unreadable)
    assert found.name is None
    assert found.unreadable.startswith("the AD Connector could not be read: ") and "AccessDenied" in found.unreadable
