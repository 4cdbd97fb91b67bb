"""The PKI view takes the registered OCSP URLs from the directory's registrations
(matched to CA files by common name and expiry) and, when asked, the user certificate
from the card."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from wscard.pki import get_pki
from wscard.pki.environment import PkiEnvironment, card_user_entries
from wscard.profile import load_profile


def _reg(cert, url, **kw):
    cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
    return {"CertificateId": "c-0000000001", "CommonName": cn, "State": "Registered", "Type": "ClientCertAuth",
            "ExpiryDateTime": cert.not_valid_after_utc, "ClientCertAuthSettings": {"OCSPUrl": url}, **kw}


def test_registration_url_comes_from_the_directory():
    profile = load_profile()
    pki = get_pki(profile.pki)
    root = pki.get("root").cert
    env = PkiEnvironment(profile, pki, directory_registrations=[_reg(root, "http://from-aws.example.com/")])
    regs = env.registrations()
    assert [(r.cert, r.ocsp_url, r.source) for r in regs] == [(root, "http://from-aws.example.com/", "directory")]
    url, where = env.registration_url_for(pki.get("user").cert)
    assert url == "http://from-aws.example.com/" and "root" in where


def test_unmatched_or_not_registered_entries():
    profile = load_profile()
    pki = get_pki(profile.pki)
    root = pki.get("root").cert
    env = PkiEnvironment(profile, pki, directory_registrations=[
        _reg(root, "http://x/", State="RegisterFailed"),
        _reg(root, "http://y/", Type="ClientLDAPS"),
        {**_reg(root, "http://z/"), "CommonName": "Someone Else's CA"},
    ])
    regs = env.registrations()
    assert len(regs) == 1 and regs[0].cert is None and "Someone Else's CA" in regs[0].label
    url, _ = env.registration_url_for(pki.get("user").cert)
    assert url == ""  # the root is not registered: no fallback URL


@dataclass
class SlotCert:
    slot: str
    cert: x509.Certificate


def test_users_from_the_card():
    profile = load_profile()
    pki = get_pki(profile.pki)
    entries = card_user_entries([SlotCert("9A", pki.get("user").cert)])
    env = PkiEnvironment(profile, pki, card_users=entries)
    assert [u.name for u in env.users] == ["card 9A"]
    assert env.users[0].pem.startswith(b"-----BEGIN CERTIFICATE-----")
