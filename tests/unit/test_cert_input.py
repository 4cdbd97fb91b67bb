"""Certificate input: one loader for every form (as tolerant as openssl), checks that
tell "cannot be read" from "AWS would refuse it" (as strict as AWS), no parse error ever
escaping a check, registrations that never vanish, one signature verifier.

Real inputs where there are some: the DoD and GSA ICAM certificates of
``tests/data/realworld/`` (sources and licences in their READMEs), and openssl's own
output for the forms other tools write (``-print_certs``, ``pkcs12``, ``-text``,
``-trustout``)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7
from cryptography.x509.oid import NameOID

from wscard.checks import CheckResult, Status
from wscard.errors import EnvironmentProblem, ProfileError
from wscard.pki import certs as C
from wscard.pki import checks as K
from wscard.pki import get_pki, throwaway_cas
from wscard.pki.environment import PkiEnvironment, ca_file_result
from wscard.profile import load_profile
from wscard.sections.pki import PkiSection

DATA = Path(__file__).resolve().parents[1] / "data" / "realworld"
DOD = DATA / "dod-root-ca-4-explicit-null"
PRINT_CERTS = DATA / "pem-text-before-armour" / "dod-root-ca-3-print_certs.pem"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
OPENSSL = shutil.which("openssl")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return get_pki(PkiSection(), now=NOW, cache_dir=tmp_path_factory.mktemp("pki-cache"))


def _openssl(*args: str, data: bytes = b"") -> bytes:
    return subprocess.run([OPENSSL, *args], input=data, capture_output=True, check=True, timeout=30).stdout


def _files_profile(tmp_path, ca_files, user_files, **aws):
    base = load_profile().replace("ad", mode="none")
    prof = base.replace("pki", mode="files", ca_bundle=[str(p) for p in ca_files],
                        user_certificates=[str(p) for p in user_files], upn="")
    return prof.replace("aws", **aws) if aws else prof


# --- 8. every form loads -----------------------------------------------------------------

def test_every_certificate_form_loads(pki, tmp_path):
    root, issuing = pki.get("root"), pki.get("intermediate")
    pair = issuing.pem + root.pem
    forms: dict[str, tuple[bytes, list[str], str]] = {
        "PEM, one block": (root.pem, [root.subject], "pem"),
        "PEM, several blocks": (pair, [issuing.subject, root.subject], "pem"),
        "PEM with CRLF line ends": (pair.replace(b"\n", b"\r\n"), [issuing.subject, root.subject], "pem"),
        "PEM labelled X509 CERTIFICATE (RFC 7468 section 5.3)": (
            root.pem.replace(b"BEGIN CERTIFICATE", b"BEGIN X509 CERTIFICATE")
            .replace(b"END CERTIFICATE", b"END X509 CERTIFICATE"), [root.subject], "pem"),
        "openssl pkcs7 -print_certs (subject=/issuer= before the armour)": (
            PRINT_CERTS.read_bytes(), ["CN=DoD Root CA 3,OU=PKI,OU=DoD,O=U.S. Government,C=US"], "pem"),
        "DER": (root.der, [root.subject], "der"),
        "PKCS#7 bundle, DER (.p7b)": (pkcs7.serialize_certificates([issuing.cert, root.cert], Encoding.DER),
                                      [issuing.subject, root.subject], "pkcs7-der"),
        "PKCS#7 bundle, PEM": (pkcs7.serialize_certificates([issuing.cert, root.cert], Encoding.PEM),
                               [issuing.subject, root.subject], "pkcs7-pem"),
        "ECDSA with explicit NULL parameters (DoD Root CA 4: asn1crypto)": (
            (DOD / "DoD_Root_CA_4.pem").read_bytes(), ["CN=DoD Root CA 4,OU=PKI,OU=DoD,O=U.S. Government,C=US"],
            "pem"),
    }
    if OPENSSL:
        (tmp_path / "pair.pem").write_bytes(pair)
        p12 = _openssl("pkcs12", "-export", "-nokeys", "-in", str(tmp_path / "pair.pem"), "-passout", "pass:x")
        forms["openssl pkcs12 export (Bag Attributes)"] = (
            _openssl("pkcs12", "-nokeys", "-passin", "pass:x", data=p12), [issuing.subject, root.subject], "pem")
        forms["openssl x509 -text (a dump before the armour)"] = (
            _openssl("x509", "-text", data=root.pem), [root.subject], "pem")
        forms["openssl TRUSTED CERTIFICATE (-trustout)"] = (
            _openssl("x509", "-trustout", "-addtrust", "clientAuth", data=root.pem), [root.subject], "pem")
        forms["openssl crl2pkcs7 -nocrl (.p7b, DER)"] = (
            _openssl("crl2pkcs7", "-nocrl", "-certfile", str(tmp_path / "pair.pem"), "-outform", "DER"),
            [issuing.subject, root.subject], "pkcs7-der")
    for what, (data, subjects, encoding) in forms.items():
        found = C.read_certificates(data, what)
        got = [C.subject(c.view) for c in found.certificates]
        # a PKCS#7 bundle holds a SET OF certificates: DER sorts them
        assert (sorted(got) == sorted(subjects)) if encoding.startswith("pkcs7") else got == subjects, what
        assert {c.encoding for c in found.certificates} == {encoding}, what
        assert found.problems() == [], (what, found.problems())
    assert "Bag Attributes" in "\n".join(C.read_certificates(forms["openssl pkcs12 export (Bag Attributes)"][0])
                                         .explanatory_text) if OPENSSL else True
    dod4 = C.read_certificates((DOD / "DoD_Root_CA_4.pem").read_bytes()).certificates[0]
    assert dod4.cert is None and "RFC 5758 section 3.2" in dod4.parse_problem
    with pytest.raises(C.CertificateFormatError, match="RFC 5758"):
        C.load_certificate((DOD / "DoD_Root_CA_4.pem").read_bytes(), "DoD_Root_CA_4.pem")


def test_files_mode_reads_every_form_and_ca3_judges_it_as_aws_would(pki, tmp_path):
    root, issuing = pki.get("root"), pki.get("intermediate")
    (tmp_path / "text.pem").write_bytes(b"subject=CN = x\nissuer=CN = y\n" + issuing.pem)
    (tmp_path / "root.der").write_bytes(root.der)
    (tmp_path / "chain.p7b").write_bytes(pkcs7.serialize_certificates([issuing.cert, root.cert], Encoding.DER))
    # as `openssl pkcs12 -nodes` writes it: the key beside the certificate, Bag Attributes before it
    (tmp_path / "user.pem").write_bytes(b"Bag Attributes\n    friendlyName: user\n" + pki.get("user").pem
                                        + b"Key Attributes: <No Attributes>\n-----BEGIN PRIVATE KEY-----\nMIIB"
                                          b"\n-----END PRIVATE KEY-----\n")
    loaded = get_pki(PkiSection(mode="files", ca_bundle=[str(tmp_path / f) for f in ("text.pem", "root.der",
                                                                                     "chain.p7b")],
                                user_certificates=[str(tmp_path / "user.pem")]))
    assert loaded.get("root").subject == root.subject and loaded.get("intermediate").subject == issuing.subject
    assert loaded.get("user").subject == pki.get("user").subject
    r = ca_file_result(loaded, "CA-3")
    msg = r.message()
    assert r.status is Status.FAILED
    assert "text.pem" not in msg  # PEM with text around the block: what AWS takes
    assert "root.der" in msg and "is not in PEM format (it is DER): AWS would refuse it" in msg
    assert "chain.p7b" in msg and "PKCS#7" in msg and "openssl pkcs7 -inform DER -print_certs" in msg
    assert "cannot be read" not in msg
    assert ca_file_result(loaded, "CA-5").status is Status.PASSED
    env = PkiEnvironment(load_profile(), loaded)
    assert env.user_results("UC-2").status is Status.PASSED  # the key block beside it is no reason to stop


def test_junk_outside_the_blocks_and_other_blocks_are_reported(pki, tmp_path):
    root = pki.get("root").pem
    body = b"".join(root.splitlines(keepends=True)[1:3])
    bundle = (b"# CA bundle of corp.example.com\n" + root + b"this is not a certificate\n" + body
              + b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"
              + b"-----BEGIN CERTIFICATE-----\nMIIB\n")
    found = C.read_certificates(bundle, "bundle.pem")
    assert len(found.certificates) == 1
    assert found.explanatory_text == ["# CA bundle of corp.example.com"]
    n = 1 + len(root.splitlines())  # the comment, then the certificate
    assert [j.split(":")[0] for j in found.junk] == [f"line {n + 1}", f"line {n + 2}", f"line {n + 3}",
                                                     f"line {n + 8}"]
    assert "this is not a certificate" in found.junk[0] and "'MIIB'" in found.junk[3]
    assert found.other_blocks == [f"a PRIVATE KEY block at line {n + 4} (not a certificate; left out)"]
    assert found.unreadable == [f"line {n + 7}: a CERTIFICATE BEGIN without its END (a cut or damaged block)"]
    (tmp_path / "bundle.pem").write_bytes(bundle)
    (tmp_path / "user.pem").write_bytes(pki.get("user").pem)
    files = get_pki(PkiSection(mode="files", ca_bundle=[str(tmp_path / "bundle.pem")],
                               user_certificates=[str(tmp_path / "user.pem")]))
    r = ca_file_result(files, "CA-3")
    assert r.status is Status.FAILED  # the cut block cannot be read
    assert all("bundle.pem" in f.subject for f in r.findings)
    assert {f.severity for f in r.findings if "neither a certificate nor explanatory text" in f.problem} \
        == {Status.WARNING}
    assert any("PRIVATE KEY" in f.problem and f.severity is Status.WARNING for f in r.findings)
    assert any("cannot be read" in f.problem and f.severity is Status.FAILED for f in r.findings)


def test_a_cut_block_before_a_good_one_loses_only_itself(pki):
    root, issuing = pki.get("root").pem, pki.get("intermediate").pem
    cut = issuing[: len(issuing) // 2]
    found = C.read_certificates(cut + root, "bundle.pem")
    assert [C.subject(c.view) for c in found.certificates] == [pki.get("root").subject]
    assert found.unreadable == ["line 1: a CERTIFICATE BEGIN without its END (a cut or damaged block)"]
    assert found.junk  # the cut block's base64 lines, outside any block


# --- 2. no check lets a parse error escape ------------------------------------------------

def _empty_pkcs7() -> bytes:
    from asn1crypto import cms

    return cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
        "version": "v1", "digest_algorithms": [], "encap_content_info": {"content_type": "data"},
        "certificates": [], "signer_infos": []})}).dump()


def _unparseable_forms(pki) -> dict[str, object]:
    root = pki.get("root").pem
    dod4 = (DOD / "DoD_Root_CA_4.pem").read_bytes()
    return {
        "empty": b"",
        "garbage": b"this is not a certificate at all\n",
        "truncated PEM": root[:200],
        "PEM block of bad base64": b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        "PEM of a DER that is not a certificate": b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n",
        "base64 without armour": b"".join(root.splitlines()[1:-1]),
        "DER cut short": pki.get("root").der[:100],
        "junk around a certificate": b"junk\n" + root + b"more junk\n",
        "PKCS#7 without certificates": _empty_pkcs7(),
        "DER that is not a certificate": b"0\x03\x02\x01\x01",
        "DoD Root CA 4 (cryptography refuses)": dod4,
        "DoD Root CA 4, loaded": C.read_certificates(dod4, "DoD_Root_CA_4.pem").certificates[0],
    }


def test_no_check_lets_a_parse_error_escape(pki):
    good = pki.get("user")
    cas = pki.ca_chain
    checks = {
        "CA-3": lambda x: K.check_ca_format([x]),
        "CA-3 with the good chain": lambda x: K.check_ca_format([*cas, x]),
        "CA-4": lambda x: K.check_ca_expiry([x], now=NOW),
        "CA-5 (as a CA)": lambda x: K.check_ca_chain([good], [*cas, x], now=NOW),
        "CA-5 (as a user)": lambda x: K.check_ca_chain([x], cas, now=NOW),
        "CA-7": lambda x: K.check_ca_signatures([x]),
        "UC-1": lambda x: K.check_upn(x, "testuser@corp.example.com"),
        "UC-2": K.check_client_auth_eku,
        "UC-3": K.check_smart_card_logon_eku,
        "UC-4": lambda x: K.check_chain_and_validity(x, cas, now=NOW),
        "UC-4 (as a CA)": lambda x: K.check_chain_and_validity(good, [*cas, x], now=NOW),
        "UC-1..4": lambda x: K.check_user_certificate(x, expected_upn="", cas=cas, now=NOW),
        "KCD-4": lambda x: K.check_kdc_eku([("dc1", x)]),
        "UC-8": K.check_key_algorithm,
        "evidence": lambda x: K.ca_entries_summary([x], NOW),
        "AWS's rules": lambda x: K.aws_refusal_reasons(x if isinstance(x, bytes) else x.pem),
    }
    for form, data in _unparseable_forms(pki).items():
        for name, check in checks.items():
            try:
                out = check(data)
            except EnvironmentProblem as exc:
                assert "Environment problem" in str(exc)
                continue
            except Exception as exc:  # noqa: BLE001 - what this test is about
                pytest.fail(f"{name} raised {type(exc).__name__} on {form}: {exc}")
            results = out if isinstance(out, list) else [out]
            assert all(isinstance(r, (CheckResult, dict, str)) for r in results), (name, form)
    # the unreadable forms are CA-3 findings that say "cannot be read", not AWS's rules
    for form in ("garbage", "truncated PEM", "empty", "DER cut short"):
        r = K.check_ca_format([_unparseable_forms(pki)[form]])
        assert r.status is Status.FAILED and "cannot be read" in r.message(), form


# --- 1. as strict as AWS ---------------------------------------------------------------

def _large_ca() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wscard CA too large to register")])
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(f"host-{i:04d}.a-rather-long-domain-name.example.com") for i in range(160)]),
                critical=False)
            .sign(key, hashes.SHA256()))


def test_a_ca_over_the_8192_character_limit_blames_the_file_not_the_service():
    from wscard.aws.env import AwsEnvironment
    from wscard.aws import procedure as proc

    cert = _large_ca()
    pem = C.to_pem(cert)
    assert len(pem) > K.CERTIFICATE_DATA_MAX_LENGTH
    r = K.check_ca_format([pem])
    assert r.status is Status.FAILED
    assert "AWS would refuse it" in r.message() and "at most 8192 characters" in r.message()
    assert "cannot be read" not in r.message()
    with AwsEnvironment("embedded", "us-gov-west-1") as env:
        sandbox = proc.open_sandbox(env, procedure_region="us-gov-west-1")
        out = sandbox.register(pem.decode())
        assert not out.ok
        result = proc.expect_ok(out)
        assert "8192" in result.message() and "certificate file is at fault, not the service" in result.message()
        assert "fix the simulation" not in result.message()
        refused = proc.expect_refused(out, "InvalidCertificateException")
        assert "The input is at fault, not the service" in refused.message()


# --- 3. a CA bundle with a certificate outside the chain --------------------------------------

def test_ca_bundle_with_a_user_certificate_after_the_root(pki, tmp_path):
    from wscard.aws.world import certificate_pem

    user = pki.get("user")
    (tmp_path / "bundle.pem").write_bytes(pki.get("intermediate").pem + pki.get("root").pem + user.pem)
    (tmp_path / "user.pem").write_bytes(user.pem)
    profile = _files_profile(tmp_path, [tmp_path / "bundle.pem"], [tmp_path / "user.pem"])
    files = get_pki(profile.pki)
    assert files.get("root").subject == pki.get("root").subject  # no KeyError "no certificate 'root'"
    assert [e.subject for e in files.ca_chain] == [pki.get("intermediate").subject, pki.get("root").subject]
    assert certificate_pem(profile, "pki:root") == pki.get("root").pem
    env = PkiEnvironment(profile, files)
    assert env.user_results("UC-1").status is Status.PASSED
    r = env.ca_result("CA-3")
    assert r.status is Status.FAILED and "is not a CA certificate" in r.message() and "CN=Test User" in r.message()
    assert "bundle.pem (certificate 3 of 3)" in r.message()
    assert env.ca_result("CA-5").status is Status.PASSED


def test_an_unknown_pki_source_is_a_profile_error_naming_it(pki, tmp_path):
    from wscard.aws.world import certificate_pem

    (tmp_path / "other.pem").write_bytes(pki.get("other-root").pem + pki.get("root").pem)
    (tmp_path / "user.pem").write_bytes(pki.get("dc").pem)  # its issuer is not in the bundle
    profile = _files_profile(tmp_path, [tmp_path / "other.pem"], [tmp_path / "user.pem"])
    with pytest.raises(ProfileError, match=r"pki:root.*no certificate 'root'.*Fix"):
        certificate_pem(profile, "pki:root")


# --- 4. nothing the profile asks for disappears ----------------------------------------------

def _seed(profile):
    from wscard.aws.env import AwsEnvironment
    from wscard.aws.world import certificate_pem, seed

    with AwsEnvironment("embedded", profile.aws.region) as env:
        return seed(env, profile.aws, lambda source: certificate_pem(profile, source))


def test_a_registration_the_simulation_cannot_make_stops_the_set_up_naming_it(tmp_path):
    from wscard.sections.aws import RegisteredCertificate

    for f in ("DoD_Root_CA_3.pem", "DoD_Root_CA_4.pem", "DOD_ID_CA-63.pem"):
        shutil.copy(DOD / f, tmp_path / f)
    profile = _files_profile(tmp_path, [tmp_path / "DoD_Root_CA_3.pem", tmp_path / "DoD_Root_CA_4.pem"],
                             [tmp_path / "DOD_ID_CA-63.pem"],
                             certificates=[RegisteredCertificate(source=str(tmp_path / "DoD_Root_CA_3.pem")),
                                           RegisteredCertificate(source=str(tmp_path / "DoD_Root_CA_4.pem"))])
    with pytest.raises(EnvironmentProblem) as exc:
        _seed(profile)
    msg = str(exc.value)
    assert "DoD_Root_CA_4.pem" in msg and "cryptography" in msg and "RFC 5758" in msg and "Fix:" in msg
    # the certificate-side checks judge it, with the others, and none raises
    files = get_pki(profile.pki)
    assert [c.label for c in files.unparsed("ca")] == [str(tmp_path / "DoD_Root_CA_4.pem")]
    r3 = ca_file_result(files, "CA-3")
    assert r3.status is Status.WARNING and "DoD_Root_CA_4.pem" in r3.warnings()[0].subject
    r4 = ca_file_result(files, "CA-4", now=NOW)
    assert r4.status is Status.PASSED and "CN=DoD Root CA 4,OU=PKI,OU=DoD,O=U.S. Government,C=US" in \
        r4.evidence["days_to_expiry"]
    r7 = ca_file_result(files, "CA-7")
    assert r7.status is Status.PASSED and r7.evidence["signature_algorithms"][
        "CN=DoD Root CA 4,OU=PKI,OU=DoD,O=U.S. Government,C=US"] == "sha256_ecdsa"
    assert ca_file_result(files, "CA-5", users=[files.get("user").cert], now=NOW).status is Status.PASSED


def test_a_registration_the_service_refuses_stops_the_set_up_naming_it(pki, tmp_path):
    from wscard.sections.aws import RegisteredCertificate

    (tmp_path / "user.pem").write_bytes(pki.get("user").pem)
    profile = load_profile().replace("aws", certificates=[RegisteredCertificate(source="pki:root"),
                                                          RegisteredCertificate(source=str(tmp_path / "user.pem"))])
    with pytest.raises(EnvironmentProblem, match=r"user\.pem.*InvalidCertificateException.*is not a CA "
                                                 r"certificate.*Fix:"):
        _seed(profile)


# --- 5. CA-6 in files mode ------------------------------------------------------------------

def test_files_mode_has_throwaway_cas_for_the_limit_procedure(tmp_path):
    case = DATA / "files-mode-ca6"
    profile = load_profile(case / "profile.toml")
    assert get_pki(profile.pki).mode == "files"
    extra = throwaway_cas(profile.pki, 3)
    assert len({e.subject for e in extra}) == 3 and all(C.is_ca(e.cert) for e in extra)
    from wscard.aws import ad_connector as adc
    from wscard.aws.env import AwsEnvironment
    from wscard.aws.world import certificate_pem, seed

    with AwsEnvironment("embedded", profile.aws.region) as env:
        world = seed(env, profile.aws, lambda source: certificate_pem(profile, source))
        snap = adc.read_directory(env.client("ds", world.region), world.directory_id, world.region)
    r = adc.check_certificate_count(snap, len(get_pki(profile.pki).ca_chain))
    assert r.status is Status.PASSED and r.evidence["registered"] == 2


# --- 6. one signature verifier ------------------------------------------------------------

def _old_piv_verify(cert, message, signature):
    """hardware/piv.py before: any 64- or 96-byte signature not starting with 0x30 was split in half."""
    pub = cert.public_key()
    if len(signature) in (64, 96) and signature[0] != 0x30:
        n = len(signature) // 2
        signature = utils.encode_dss_signature(int.from_bytes(signature[:n], "big"),
                                               int.from_bytes(signature[n:], "big"))
    try:
        pub.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False


def _old_directory_verify(cert, message, signature):
    """wscard/login/directory.py before: raw when twice the curve size and not starting with 0x30."""
    pub = cert.public_key()
    size = (pub.curve.key_size + 7) // 8
    if len(signature) == 2 * size and signature[0] != 0x30:
        signature = utils.encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                               int.from_bytes(signature[size:], "big"))
    try:
        pub.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False


def _self_signed(key) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "signer")])
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))


def _raw(der_sig: bytes, size: int) -> bytes:
    r, s = utils.decode_dss_signature(der_sig)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def test_signature_verification_lives_once_and_the_copies_were_wrong():
    import hardware.piv as piv
    from wscard.login import directory

    assert piv.verify_signature is C.verify_signature and directory.verify_signature is C.verify_signature
    # Both copies read a raw r||s whose r starts with 0x30 as DER and refused a good
    # signature (1 signature in 256): the card checks and the login model called a good
    # card's key a mismatch.
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _self_signed(key)
    for i in range(5000):
        msg = f"challenge {i}".encode()
        raw = _raw(key.sign(msg, ec.ECDSA(hashes.SHA256())), 32)
        if raw[0] == 0x30:
            break
    else:  # pragma: no cover - 5000 tries at 1/256 each
        pytest.fail("no raw signature starting with 0x30")
    assert C.verify_signature(cert, msg, raw)
    assert not _old_piv_verify(cert, msg, raw) and not _old_directory_verify(cert, msg, raw)
    assert not C.verify_signature(cert, b"another message", raw)
    # The card's copy split any 64/96-byte signature in half and knew no other size: a raw
    # P-521 signature (132 bytes, PKCS#11 CKM_ECDSA) never verified there; the login
    # model's copy (curve-sized) was right.
    key = ec.generate_private_key(ec.SECP521R1())
    cert = _self_signed(key)
    raw = _raw(key.sign(b"m", ec.ECDSA(hashes.SHA256())), 66)
    if raw[0] == 0x30:  # pragma: no cover - the case above
        raw = _raw(key.sign(b"m", ec.ECDSA(hashes.SHA256())), 66)
    assert C.verify_signature(cert, b"m", raw) and _old_directory_verify(cert, b"m", raw)
    assert not _old_piv_verify(cert, b"m", raw)
    # DER, and bytes that are no signature at all, never raise
    assert C.verify_signature(cert, b"m", key.sign(b"m", ec.ECDSA(hashes.SHA256())))
    assert not C.verify_signature(cert, b"m", b"") and not C.verify_signature(cert, b"m", b"\x30\x01")


def test_dataclass_replace_of_loaded_certificates_keeps_the_view():
    loaded = C.read_certificates((DOD / "DoD_Root_CA_4.pem").read_bytes(), "x").certificates[0]
    assert C.subject(dataclasses.replace(loaded).view).startswith("CN=DoD Root CA 4")


def test_ca6_limit_procedure_is_not_evaluated_when_no_throwaway_ca_can_be_made(monkeypatch):
    import wscard.pki as pki_module
    from wscard.aws import procedure as proc

    profile = load_profile(DATA / "files-mode-ca6" / "profile.toml")
    cas, made = proc.throwaway_cas_for_limit(profile, 2)
    assert len(cas) == 2 and made.status is Status.PASSED

    def cannot(profile, n):
        raise EnvironmentProblem("the test PKI cannot be generated here")

    monkeypatch.setattr(pki_module, "throwaway_cas", cannot)
    cas, made = proc.throwaway_cas_for_limit(profile, 2)
    assert cas == [] and made.status is Status.SKIPPED and "cannot be generated" in made.skipped_because


def test_the_card_edges_reach_the_one_loader_without_posix_only_modules():
    """hardware/ now imports wscard.pki.certs (the loader and the verifier): importing
    it must not pull in what Windows lacks (wscard.pki once imported fcntl at start-up)."""
    import os
    import sys

    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name in ('fcntl', 'pwd', 'grp', 'termios', 'resource'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "for m in ('fcntl', 'pwd', 'grp', 'termios', 'resource'):\n"
        "    sys.modules.pop(m, None)\n"
        "import hardware.piv, hardware.cac, hardware.pkcs11, wscard.pki, wscard.pki.checks\n"
        "print('ok')\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
