"""KCD-5, KCD-6, KCD-7 and UC-7 on data built by hand (no directory): each check passes a
compliant input, fails each way the requirement can break, passes its traps, and turns
unreadable inputs into a skip (not evaluated), never an exception."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wscard.ad import checks, mapping
from wscard.ad.kerberos import DelegationProof, TicketRequest, classify, parse_klist
from wscard.ad.model import (
    TRUSTED_TO_AUTH_FOR_DELEGATION,
    Account,
    DomainSnapshot,
    DomainController,
    NtAuthStore,
    enctype_names,
)
from wscard.checks import Status
from wscard.sid import (
    OID_SID_EXTENSION,
    SidError,
    check_sid,
    extension_value,
    read_sid_extension,
    sid_extension,
    sid_from_bytes,
    sid_to_bytes,
    simulated_sid,
)

DOMAIN = "corp.example.com"
BASE = "DC=corp,DC=example,DC=com"
USER_SID = simulated_sid(1601)
OTHER_SID = simulated_sid(1600)
AES = 0x18
RC4 = 0x4


def text(result):
    return "\n".join(f.render() for f in result.findings)


def acct(sam="svc-adconnector", upn="", display="", enc=AES, **kw):
    return Account(f"CN={sam},CN=Users,{BASE}", sam, upn or f"{sam}@{DOMAIN}",
                   0x200 | TRUSTED_TO_AUTH_FOR_DELEGATION, ["adconnector/x"], ["ldap/dc1.corp.example.com"],
                   display_name=display, supported_encryption_types=enc, **kw)


def dc(name="dc1", enc=0x1C):
    return DomainController(f"CN={name.upper()},OU=Domain Controllers,{BASE}", f"{name}.{DOMAIN}",
                            f"{name.upper()}$", 532480, [f"ldap/{name}.{DOMAIN}"], supported_encryption_types=enc)


def snap(account=None, dcs=None, ntauth=None):
    return DomainSnapshot(DOMAIN, account or acct(), dcs if dcs is not None else [dc()], ntauth=ntauth)


# --- certificates -------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(cn, key=None, issuer=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    ikey, iname = (issuer if issuer else (key, _name(cn)))
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(iname).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - dt.timedelta(days=10))
            .not_valid_after(NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ikey, hashes.SHA256()))
    return cert, key


ROOT, ROOT_KEY = make_ca("Root CA")
ISSUING, ISSUING_KEY = make_ca("Issuing CA", issuer=(ROOT_KEY, ROOT.subject))
OTHER, OTHER_KEY = make_ca("Other CA")


def user_cert(sid=None, serial=0x2B0000000011AC0000000012, issuer=(ISSUING, ISSUING_KEY), email=None, raw_ext=None):
    key = ec.generate_private_key(ec.SECP256R1())
    ca, ca_key = issuer
    san = [x509.OtherName(x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x19testuser@corp.example.com")]
    if email:
        san.append(x509.RFC822Name(email))
    b = (x509.CertificateBuilder().subject_name(_name("Test User")).issuer_name(ca.subject)
         .public_key(key.public_key()).serial_number(serial).not_valid_before(NOW - dt.timedelta(days=1))
         .not_valid_after(NOW + dt.timedelta(days=365))
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
         .add_extension(x509.SubjectAlternativeName(san), critical=False))
    if sid:
        b = b.add_extension(sid_extension(sid), critical=False)
    if raw_ext is not None:
        b = b.add_extension(x509.UnrecognizedExtension(OID_SID_EXTENSION, raw_ext), critical=False)
    return b.sign(ca_key, hashes.SHA256())


def user(alt=(), sid=USER_SID):
    return Account(f"CN=testuser,CN=Users,{BASE}", "testuser", f"testuser@{DOMAIN}", 0x200,
                   object_sid=sid, alt_security_identities=list(alt))


# --- SIDs ---------------------------------------------------------------------------------

def test_sid_round_trips_between_string_and_binary():
    assert sid_from_bytes(sid_to_bytes(USER_SID)) == USER_SID
    # S-1-5-32-544 (BUILTIN\\Administrators), MS-DTYP 2.4.2.4
    assert sid_to_bytes("S-1-5-32-544").hex() == "01020000000000052000000020020000"


@pytest.mark.parametrize("bad", ["", "S-1", "X-1-5-21", "S-1-5-21-abc", b"\x02\x01" + b"\x00" * 10])
def test_bad_sids_raise_sid_error_not_something_else(bad):
    with pytest.raises(SidError):
        sid_from_bytes(bad) if isinstance(bad, bytes) else check_sid(bad)


def test_sid_extension_has_the_form_of_kb5014754():
    # SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] { OCTET STRING "S-1-5-..." } } }
    v = extension_value(USER_SID)
    assert v.startswith(bytes.fromhex("30") ) and bytes.fromhex("060a2b060104018237190201") in v
    assert USER_SID.encode() in v
    ext = read_sid_extension(user_cert(USER_SID))
    assert ext.present and ext.sids == [USER_SID] and not ext.error


def test_malformed_sid_extension_is_reported_not_raised():
    ext = read_sid_extension(user_cert(raw_ext=b"\x30\x03\x02\x01\x05"))
    assert ext.present and ext.error and not ext.sids


# --- KCD-5 --------------------------------------------------------------------------------

def test_kcd5_passes_the_sam_account_name():
    a = acct()
    r = checks.check_service_account_name("svc-adconnector", [(a, "sAMAccountName")], a)
    assert r.status is Status.PASSED


def test_kcd5_trap_20_characters_in_another_case_passes():
    a = acct("svc-adconnector-work", upn="svc-adconnector-workspaces@corp.example.com")
    r = checks.check_service_account_name("SVC-ADConnector-WORK", [(a, "sAMAccountName")], a)
    assert r.status is Status.PASSED and r.evidence["service_account"]["length"] == 20


def test_kcd5_fails_the_long_logon_name_and_names_the_sam_account_name():
    a = acct("svc-adconnector-work", upn="svc-adconnector-workspaces@corp.example.com")
    r = checks.check_service_account_name("svc-adconnector-workspaces", [(a, "userPrincipalName prefix")], a)
    assert r.status is Status.FAILED
    assert "userPrincipalName prefix" in text(r) and "'svc-adconnector-work'" in text(r) and "26 characters" in text(r)


def test_kcd5_fails_a_upn_with_the_fix():
    a = acct()
    r = checks.check_service_account_name("svc-adconnector@corp.example.com", [(a, "userPrincipalName")], a)
    assert r.status is Status.FAILED and "userPrincipalName (name@suffix)" in text(r)
    assert "'svc-adconnector'" in text(r) and "Service account credentials" in text(r)


def test_kcd5_fails_a_display_name():
    a = acct(display="AD Connector Service")
    r = checks.check_service_account_name("AD Connector Service", [(a, "displayName")], a)
    assert r.status is Status.FAILED and "displayName" in text(r)


def test_kcd5_fails_a_sam_account_name_over_20_characters():
    a = acct("svc-adconnector-workspaces")
    r = checks.check_service_account_name("svc-adconnector-workspaces", [(a, "sAMAccountName")], a)
    assert r.status is Status.FAILED and "26 characters" in text(r)


def test_kcd5_fails_a_name_no_account_has():
    r = checks.check_service_account_name("nobody", [], acct())
    assert r.status is Status.FAILED and "no account" in text(r)


def test_kcd5_warns_when_ad_connector_uses_another_account_than_the_one_judged():
    used, judged = acct("svc-other"), acct()
    r = checks.check_service_account_name("svc-other", [(used, "sAMAccountName")], judged)
    assert r.status is Status.WARNING and "[ad].service_account" in text(r)


def test_kcd5_unreadable_aws_side_is_not_evaluated():
    r = checks.check_service_account_name(None, [], unreadable="the AD Connector could not be read: timeout")
    assert r.status is Status.SKIPPED and "timeout" in r.skipped_because


# --- KCD-6 --------------------------------------------------------------------------------

def test_default_when_unset_is_rc4_and_des_per_kb5021131():
    assert enctype_names(None) == ["DES_CBC_CRC", "DES_CBC_MD5", "RC4_HMAC_MD5"]


def test_kcd6_passes_aes_account_with_default_dcs():
    assert checks.check_encryption_types(snap()).status is Status.PASSED


def test_kcd6_trap_aes_only_account_and_aes_only_dcs_passes():
    assert checks.check_encryption_types(snap(acct(enc=AES), [dc(enc=AES)])).status is Status.PASSED


def test_kcd6_fails_rc4_account_with_aes_dcs():
    r = checks.check_encryption_types(snap(acct(enc=RC4), [dc(enc=AES)]))
    assert r.status is Status.FAILED and "share no Kerberos encryption type" in text(r)
    assert "-KerberosEncryptionType AES128,AES256" in text(r)


def test_kcd6_fails_unset_account_with_aes_dcs_and_says_which_default():
    r = checks.check_encryption_types(snap(acct(enc=None), [dc(enc=AES)]))
    assert r.status is Status.FAILED and "not set: the domain's default 0x27" in text(r)
    assert "KB5021131" in r.evidence["default_when_unset"]


def test_kcd6_fails_only_the_dc_that_shares_nothing():
    r = checks.check_encryption_types(snap(acct(enc=AES), [dc("dc1", 0x1C), dc("dc2", RC4)]))
    assert r.status is Status.FAILED and "dc2.corp.example.com" in text(r) and "dc1.corp" not in text(r)


def test_kcd6_warns_when_only_rc4_is_shared():
    r = checks.check_encryption_types(snap(acct(enc=None), [dc(enc=0x1C)]))
    assert r.status is Status.WARNING and "only RC4" in text(r)


def test_kcd6_without_domain_controllers_is_not_evaluated():
    assert checks.check_encryption_types(snap(dcs=[])).status is Status.SKIPPED


def _proof(self_outcome="granted", proxy_outcome="granted", tkt="AES256_CTS_HMAC_SHA1_96", err=""):
    p = DelegationProof("svc-adconnector", "testuser", "CORP.EXAMPLE.COM", listed_service="ldap/dc1.corp.example.com")
    p.self_request = TicketRequest("svc-adconnector@CORP.EXAMPLE.COM", "S4U2Self", self_outcome, err,
                                   tkt if self_outcome == "granted" else "")
    if self_outcome == "granted":
        p.requests = [TicketRequest("ldap/dc1.corp.example.com", "S4U2Proxy", proxy_outcome, err,
                                    tkt if proxy_outcome == "granted" else "")]
    return p


def test_kcd6_at_the_kdc_passes_with_aes_tickets():
    r = checks.check_encryption_at_kdc(snap(), _proof())
    assert r.status is Status.PASSED


def test_kcd6_at_the_kdc_fails_on_etype_refusal_and_kcd2_defers_to_it():
    err = "KDC has no support for encryption type while getting credentials for svc-adconnector@CORP.EXAMPLE.COM"
    assert classify(err) == "etype"
    p = _proof("etype", err=err)
    r = checks.check_encryption_at_kdc(snap(acct(enc=RC4), [dc(enc=AES)]), p)
    assert r.status is Status.FAILED and "KDC has no support for encryption type" in text(r)
    k2 = checks.check_delegation_granted(snap(acct(enc=RC4), [dc(enc=AES)]), p)
    assert k2.status is Status.SKIPPED and "KCD-6" in k2.skipped_because


def test_kcd6_at_the_kdc_warns_when_the_ticket_type_is_not_listed_for_the_dc():
    r = checks.check_encryption_at_kdc(snap(acct(enc=0x1C), [dc(enc=AES)]), _proof(tkt="RC4_HMAC_MD5"))
    assert r.status is Status.WARNING and "RC4_HMAC_MD5" in text(r)


def test_kcd6_at_the_kdc_without_proof_is_not_evaluated():
    p = DelegationProof("svc", "u", "R")
    p.skipped_because = "no user to act for"
    assert checks.check_encryption_at_kdc(snap(), p).status is Status.SKIPPED
    assert checks.check_encryption_at_kdc(snap(), None).status is Status.SKIPPED


def test_klist_enctypes_are_read_per_ticket():
    out = ("Ticket cache: FILE:/x\nDefault principal: svc@R\n\nValid starting     Expires            Service principal\n"
           "11/30/26 05:18:38  11/30/26 15:18:38  svc@R\n\tfor client u@R, renew until 12/01/26 05:18:38\n"
           "\tEtype (skey, tkt): DEPRECATED:arcfour-hmac, DEPRECATED:arcfour-hmac \n"
           "11/30/26 05:18:38  11/30/26 15:18:38  ldap/dc1@R\n\tfor client u@R, renew until 12/01/26 05:18:38\n"
           "\tEtype (skey, tkt): aes256-cts-hmac-sha1-96, aes128-cts-hmac-sha1-96 \nsomething unexpected\n")
    got = parse_klist(out)
    assert got[("svc@r", "u@r")] == ("RC4_HMAC_MD5", "RC4_HMAC_MD5")
    assert got[("ldap/dc1@r", "u@r")] == ("AES256_CTS_HMAC_SHA1_96", "AES128_CTS_HMAC_SHA1_96")
    assert parse_klist("garbage\n\x00") == {}


# --- KCD-7 --------------------------------------------------------------------------------

DN = f"CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,{BASE}"


def der(c):
    from cryptography.hazmat.primitives.serialization import Encoding

    return c.public_bytes(Encoding.DER)


def test_kcd7_passes_when_the_issuing_ca_is_published():
    r = checks.check_ntauth(NtAuthStore(DN, True, [der(ISSUING)]), [("user", user_cert())])
    assert r.status is Status.PASSED


def test_kcd7_trap_an_rsa_ca_that_signs_with_pss_is_recognised():
    """An RSA issuing CA that signs the logon certificates with RSASSA-PSS is published:
    KCD-7 passes. (The NTAuth lookup once verified RSA signatures as PKCS#1 v1.5 only and
    failed this with "not in the forest's NTAuth store": a false alarm.)"""
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = make_ca("PSS Issuing CA", key=ca_key, issuer=(ROOT_KEY, ROOT.subject))[0]
    user_key = ec.generate_private_key(ec.SECP256R1())
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    user = (x509.CertificateBuilder().subject_name(_name("Test User")).issuer_name(ca.subject)
            .public_key(user_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=365))
            .sign(ca_key, hashes.SHA256(), rsa_padding=pss))
    assert checks.check_ntauth(NtAuthStore(DN, True, [der(ca)]), [("user", user)]).status is Status.PASSED
    other = checks.check_ntauth(NtAuthStore(DN, True, [der(ISSUING)]), [("user", user)])
    assert other.status is Status.FAILED  # the fault: another CA of the same chain does not count


def test_kcd7_trap_issuing_ca_among_others_and_unreadable_values_passes():
    store = NtAuthStore(DN, True, [der(OTHER), b"\x30\x03garbage", der(ROOT), der(ISSUING)])
    r = checks.check_ntauth(store, [("user", user_cert())])
    assert r.status is Status.PASSED and r.evidence["NTAuthCertificates"]["unreadable_values"] == 1


def test_kcd7_fails_without_ntauth_object():
    r = checks.check_ntauth(NtAuthStore(DN, exists=False), [("user", user_cert())])
    assert r.status is Status.FAILED and "does not exist" in text(r) and "certutil -dspublish" in text(r)


def test_kcd7_fails_when_only_the_root_is_published():
    r = checks.check_ntauth(NtAuthStore(DN, True, [der(ROOT)]), [("user", user_cert())])
    assert r.status is Status.FAILED and "Root CA" in text(r) and "does not count" in text(r)


def test_kcd7_fails_a_same_named_ca_with_another_key():
    impostor, _ = make_ca("Issuing CA", issuer=(ROOT_KEY, ROOT.subject))
    r = checks.check_ntauth(NtAuthStore(DN, True, [der(impostor)]), [("user", user_cert())])
    assert r.status is Status.FAILED and "whose key did not sign" in text(r)


def test_kcd7_unreadable_store_or_no_certificate_is_not_evaluated():
    assert checks.check_ntauth(NtAuthStore(DN, error="timeout"), [("u", user_cert())]).status is Status.SKIPPED
    assert checks.check_ntauth(None, [("u", user_cert())]).status is Status.SKIPPED
    assert checks.check_ntauth(NtAuthStore(DN, True, [der(ISSUING)]), []).status is Status.SKIPPED


# --- UC-7 ---------------------------------------------------------------------------------

def test_uc7_passes_with_the_accounts_sid_in_the_extension():
    r = mapping.check_strong_mapping(user_cert(USER_SID), "user", user())
    assert r.status is Status.PASSED and USER_SID in r.evidence["strong_mapping"]


def test_uc7_fails_upn_only_with_the_fix_for_each_way():
    c = user_cert()
    r = mapping.check_strong_mapping(c, "user", user())
    assert r.status is Status.FAILED and "only the UPN maps it" in text(r)
    vals = mapping.mapping_values(c)
    for k in mapping.STRONG:
        assert vals[k] in text(r)
    assert "SID extension" in text(r) and USER_SID in text(r)


def test_uc7_fails_another_accounts_sid_even_with_a_strong_mapping():
    c = user_cert(OTHER_SID)
    r = mapping.check_strong_mapping(c, "user", user([mapping.mapping_values(c)["X509SKI"]]))
    assert r.status is Status.FAILED and OTHER_SID in text(r) and "another account" in text(r)


@pytest.mark.parametrize("kind", mapping.STRONG)
def test_uc7_trap_each_strong_mapping_without_sid_extension_passes(kind):
    c = user_cert()
    r = mapping.check_strong_mapping(c, "user", user([mapping.mapping_values(c)[kind]]))
    assert r.status is Status.PASSED and kind in r.evidence["strong_mapping"]


def test_issuer_serial_form_is_microsofts_example():
    # KB5014754: a certificate of serial 2b0000000011ac0000000012 issued by
    # CN=CONTOSO-DC-CA,DC=contoso,DC=com maps as ...<SR>1200000000AC11000000002B
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "com"),
                      x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "contoso"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "CONTOSO-DC-CA")])
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(NOW).not_valid_after(NOW + dt.timedelta(days=9))
          .sign(ca_key, hashes.SHA256()))
    c = user_cert(issuer=(ca, ca_key))
    assert mapping.mapping_values(c)["X509IssuerSerialNumber"] == \
        "X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>1200000000AC11000000002B"


def test_uc7_fails_the_serial_in_certificate_order_and_says_so():
    c = user_cert()
    forward = f"X509:<I>{mapping.x500_order(c.issuer)}<SR>{mapping.serial_forward(c)}"
    r = mapping.check_strong_mapping(c, "user", user([forward]))
    assert r.status is Status.FAILED and "reversed byte order" in text(r)


def test_uc7_fails_weak_mappings_only():
    c = user_cert(email="testuser@corp.example.com")
    vals = mapping.mapping_values(c)
    r = mapping.check_strong_mapping(c, "user", user([vals["X509IssuerSubject"], vals["X509RFC822"]]))
    assert r.status is Status.FAILED and "weak mappings only" in text(r)


def test_uc7_fails_a_strong_mapping_of_another_certificate():
    old = user_cert(serial=12345)
    r = mapping.check_strong_mapping(user_cert(), "user", user([mapping.mapping_values(old)["X509SKI"]]))
    assert r.status is Status.FAILED and "other certificates" in text(r)


def test_uc7_warns_a_public_key_hash_for_sha1_pukey():
    c = user_cert()
    r = mapping.check_strong_mapping(c, "user", user([f"X509:<SHA1-PUKEY>{mapping.public_key_sha1(c)}"]))
    assert r.status is Status.WARNING and "thumbprint" in text(r)


def test_uc7_malformed_extension_fails_naming_it():
    r = mapping.check_strong_mapping(user_cert(raw_ext=b"\x04\x02ab"), "user", user())
    assert r.status is Status.FAILED and "malformed" in text(r)


def test_uc7_without_account_or_unreadable_sid_is_not_evaluated():
    assert mapping.check_strong_mapping(user_cert(USER_SID), "user", None, "no account").status is Status.SKIPPED
    r = mapping.check_strong_mapping(user_cert(USER_SID), "user", user(sid=""))
    assert r.status is Status.SKIPPED and "objectSid" in r.skipped_because


@pytest.mark.parametrize("value", ["Kerberos:user@REALM", "X509:", "X509:<I>", "X509:<XX>y", "x509:<ski>zz", ""])
def test_unknown_or_broken_mappings_never_raise(value):
    m = mapping.parse_mapping(value)
    assert mapping.matches(m, user_cert()) in ("other", "match")
    r = mapping.check_strong_mapping(user_cert(), "user", user([value]))
    assert r.status is Status.FAILED


def _cert_with_broken_ski():
    key = ec.generate_private_key(ec.SECP256R1())
    return (x509.CertificateBuilder().subject_name(_name("Broken")).issuer_name(ISSUING.subject)
            .public_key(key.public_key()).serial_number(7).not_valid_before(NOW)
            .not_valid_after(NOW + dt.timedelta(days=1))
            .add_extension(x509.UnrecognizedExtension(x509.oid.ExtensionOID.SUBJECT_KEY_IDENTIFIER, b"\x05\x00"),
                           critical=False)
            .sign(ISSUING_KEY, hashes.SHA256()))


def test_certificates_cryptography_cannot_parse_become_findings_not_exceptions():
    c = _cert_with_broken_ski()
    with pytest.raises(ValueError):
        c.extensions  # noqa: B018 - cryptography refuses the extension
    r = mapping.check_strong_mapping(c, "broken", user())
    assert r.status is Status.FAILED and "cannot be read" in text(r)
    store = NtAuthStore(DN, True, [der(c), der(ISSUING)])
    assert checks.check_ntauth(store, [("user", user_cert())]).status is Status.PASSED


def test_kcd5_fails_a_down_level_name_and_names_the_account_it_points_to():
    a = acct("svc-adconnector")
    r = checks.check_service_account_name("CORP\\svc-adconnector", [(a, "sAMAccountName")], acct("other"))
    assert r.status is Status.FAILED and "down-level logon name" in text(r) and "'svc-adconnector'" in text(r)


def test_issuer_names_with_escaped_commas_keep_their_rdns():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme, Inc."),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Acme CA")])
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(NOW).not_valid_after(NOW + dt.timedelta(days=9))
          .sign(ca_key, hashes.SHA256()))
    c = user_cert(issuer=(ca, ca_key))
    value = mapping.mapping_values(c)["X509IssuerSerialNumber"]
    assert value.startswith("X509:<I>O=Acme\\, Inc.,CN=Acme CA<SR>")
    assert mapping.check_strong_mapping(c, "user", user([value])).status is Status.PASSED


def test_ntauth_reads_a_ca_only_a_tolerant_parser_reads():
    """DoD Root CA 4 (explicit NULL ECDSA parameters: cryptography refuses it, asn1crypto and
    openssl read it) in the NTAuth store is read and named, never "holds no certificate"."""
    from pathlib import Path

    from wscard.pki.certs import read_certificates

    pem = (Path(__file__).resolve().parents[1] / "data" / "realworld" / "dod-root-ca-4-explicit-null"
           / "DoD_Root_CA_4.pem").read_bytes()
    dod = read_certificates(pem).certificates[0]
    assert dod.cert is None  # only the tolerant parser reads it
    r = checks.check_ntauth(NtAuthStore(DN, True, [dod.der]), [("user", user_cert())])
    assert r.status is Status.FAILED and "DoD Root CA 4" in text(r) and "holds no certificate" not in text(r)
    both = checks.check_ntauth(NtAuthStore(DN, True, [dod.der, der(ISSUING)]), [("user", user_cert())])
    assert both.status is Status.PASSED
