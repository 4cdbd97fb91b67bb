"""The directory's side of the model (wscard.login.directory): proof of possession, the
chain to the CA certificates *registered* on the directory (matched to the CA files by
common name and expiry, state Registered only), and the [login] section."""

from __future__ import annotations

from datetime import timezone

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from wscard.aws.ad_connector import DirectoryServiceSnapshot
from wscard.errors import ProfileError
from wscard.login import directory as D
from wscard.pki import get_pki
from wscard.profile import load_profile, login_user_name
from wscard.sections.pki import PkiSection


@pytest.fixture(scope="module")
def pki():
    return get_pki(PkiSection())


def _registration(entry, state="Registered", cid="c-1"):
    return {"CertificateId": cid, "CommonName": entry.cert.subject.rfc4514_string().split("CN=")[1].split(",")[0],
            "ExpiryDateTime": entry.cert.not_valid_after_utc.replace(tzinfo=timezone.utc), "State": state,
            "Type": "ClientCertAuth"}


def _snapshot(*regs):
    return DirectoryServiceSnapshot("d-1234567890", "us-gov-west-1", {"Type": "ADConnector"}, certificates=list(regs))


def test_proof_of_possession_verifies_with_the_certificate_key(pki):
    user = pki.get("user")
    rule, facts = D.proof_of_possession(user.cert, lambda ch: _sign_rsa(user.key, ch))
    assert rule.passed and facts["verified"] and len(bytes.fromhex(facts["challenge"])) == D.CHALLENGE_BYTES
    other = pki.get("ocsp")
    rule, facts = D.proof_of_possession(user.cert, lambda ch: _sign_rsa(other.key, ch))
    assert not rule.passed and rule.requirement == "UC-6" and not facts["verified"]


def test_proof_of_possession_reports_a_card_that_cannot_sign(pki):
    def refuse(_):
        raise PermissionError("the card is not unlocked")

    rule, facts = D.proof_of_possession(pki.get("user").cert, refuse)
    assert not rule.passed and "could not sign" in rule.detail and "PermissionError" in facts["error"]


def test_ecdsa_signatures_verify_as_der_and_as_raw_r_s():
    key = ec.generate_private_key(ec.SECP256R1())
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    import datetime

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    der = key.sign(b"challenge", ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert D.verify_signature(cert, b"challenge", der)
    assert D.verify_signature(cert, b"challenge", raw)
    assert not D.verify_signature(cert, b"other", raw)


def test_only_registered_ca_certificates_count_for_the_chain(pki):
    root, issuing = pki.get("root"), pki.get("intermediate")
    used, described = D.registered_ca_certificates(_snapshot(_registration(root), _registration(issuing, cid="c-2")),
                                                   pki.ca_chain)
    assert {e.name for e in used} == {"root", "intermediate"}
    used, described = D.registered_ca_certificates(
        _snapshot(_registration(root), _registration(issuing, state="RegisterFailed", cid="c-2")), pki.ca_chain)
    assert [e.name for e in used] == ["root"]
    assert any(d["State"] == "RegisterFailed" and not d["used_for_the_chain"] for d in described)


def test_the_chain_rule_names_the_ca_that_is_not_registered(pki):
    from datetime import datetime

    root = pki.get("root")
    rule = D._chain_rule(pki.get("user").cert, [root], pki.ca_chain, datetime.now(timezone.utc))
    assert not rule.passed and rule.requirement == "CA-5" and "WSCard Test Issuing CA" in rule.detail
    rule = D._chain_rule(pki.get("user").cert, pki.ca_chain, pki.ca_chain, datetime.now(timezone.utc))
    assert rule.passed


def test_login_section_defaults_and_user_fallbacks(tmp_path):
    p = load_profile()
    assert p.login.registration_code == "" and login_user_name(p) == "testuser"
    assert p.login.session_hours_needed == 8.0
    f = tmp_path / "p.toml"
    f.write_text('extends = "embedded"\n[client]\nuser = ""\n[pki]\nupn = "jdoe@corp.example.com"\n')
    assert login_user_name(load_profile(f)) == "jdoe"
    f.write_text('extends = "embedded"\n[login]\nuser = "alice"\nregistration_code = "SLiad+ABCDEF"\n')
    q = load_profile(f)
    assert (login_user_name(q), q.login.registration_code) == ("alice", "SLiad+ABCDEF")


@pytest.mark.parametrize("body, key", [
    ('registration_code = " SLiad+ABC"', "[login].registration_code"),
    ("session_hours_needed = 0", "[login].session_hours_needed"),
])
def test_login_section_refuses_bad_values(tmp_path, body, key):
    f = tmp_path / "p.toml"
    f.write_text(f'extends = "embedded"\n[login]\n{body}\n')
    with pytest.raises(ProfileError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_profile(f)


def _sign_rsa(key, message):
    from cryptography.hazmat.primitives.asymmetric import padding

    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def test_the_login_context_is_built_from_the_profile(pki, tmp_path):
    """One constructor: [aws] Region, [profile] baseline and authentication, [pki] UPN,
    [login] what the user types, the PKI's CA files; the responder asked for only when
    the OCSP process first runs."""
    import dataclasses

    from wscard.login.context import LoginContext

    f = tmp_path / "p.toml"
    f.write_text('extends = "embedded"\n[login]\nuser = "alice"\nregistration_code = "SLiad+ABCDEF"\n'
                 '[pki]\nupn = "alice@corp.example.com"\n')
    p = load_profile(f)
    asked = []
    ctx = LoginContext.from_profile(p, pki, lambda: asked.append(1))
    assert (ctx.region, ctx.baseline, ctx.authentication) == (p.aws.region, p.profile.baseline,
                                                               tuple(p.profile.authentication))
    assert (ctx.expected_upn, ctx.registration_code, ctx.user) == ("alice@corp.example.com", "SLiad+ABCDEF", "alice")
    assert ctx.ca_entries == tuple(pki.ca_chain) and ctx.moment is None and not asked
    env = ctx.pki_environment([])
    assert asked == [1] and env.responder is None and env.directory_registrations == []
    model = LoginContext.from_profile(p, pki, baseline="admin-guide", authentication=("in-session",))
    assert (model.baseline, model.authentication) == ("admin-guide", ("in-session",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.baseline = "seed"  # type: ignore[misc]
