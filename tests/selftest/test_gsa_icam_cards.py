"""GSA's ICAM test cards as an outside test suite for the card, user-certificate and
proof-of-possession checks.

GSA publishes the objects of its PIV and PIV-I test cards (``GSA/gsa-icam-card-builder``;
the subset kept, its source and licence: ``tests/data/gsa-icam/README.md``). Each card
below is loaded onto the virtual PIV card as GSA wrote it (``[card] card_folder``:
signed CHUID, security object, discovery object, CCC, certificates, and GSA's private keys
from its PKCS#12 files) and read through the real stack (pcscd, vsmartcard's vpcd,
OpenSC's PKCS#11 module); then the harness's own checks judge it:

* CARD-1 (card type), UC-5 (one logon certificate, in 9A) and UC-6 (proof of
  possession: the card signs a fresh challenge after VERIFY, through the PIN guard), over
  the PIV card edge, as the ``@hw`` card scenarios do;
* UC-1..UC-4 on the logon certificate that OpenSC's PKCS#11 module reports (the
  certificate the PKI scenarios take from a card);
* OCSP-6 against a responder serving GSA's own responder data (``responder/`` of GSA's
  repository: the OpenSSL CA databases and delegated OCSP signers of the three
  responders the cards' AIA extensions name), reached through a simulated resolver.

**UC-4 and the directory.** UC-4 asks whether the certificate chains to the CA
certificates registered on the directory. GSA's CAs are registered nowhere, so the module
creates an AD Connector directory in the simulated AWS (moto with the project's Directory
Service extension) and registers GSA's public CA certificates there with
RegisterCertificate, as an administrator would: the PIV Root CA, the PIV Signing CAs of
both generations, the PIV-I Root and Signing CAs, and the expired PIV Signing CA that card
10's certificates name. The directory refuses the expired one (CA-4: a CA certificate must
be more than 90 days from expiry), so the CA set UC-4 judges against is exactly what the
directory accepted and lists as ``Registered``.

**The table.** ``CARDS`` gives, for every card, the expected verdict of each requirement
and why: GSA's documented purpose of the card read against AWS's documented rules. Where
GSA's threat is outside AWS's rules (a substituted key pair under the same serial, a
missing discovery object, the global PIN as primary), the row is a trap: the harness must
not report what AD Connector does not check. ``None`` means the requirement is not judged
for that card, with the reason.

The whole table runs in well under a minute (``benchmarks/bench_gsa_icam.py`` prints the
figures). Linux with pcscd, vsmartcard-vpcd and opensc-pkcs11, as root (or with a pcscd
whose vpcd only loopback reaches): elsewhere the module is skipped, saying why.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "gsa-icam"
sys.path.insert(0, str(ROOT / "tests" / "hardware"))
from hwtest_helpers import stack_available  # noqa: E402

WHY = stack_available()
pytestmark = pytest.mark.skipif(bool(WHY), reason=f"GSA ICAM card table: {WHY}")

#: The table judges GSA's data at the time of the run; it holds until card 12's
#: certificates become valid (2030-03-21) and stops meaning anything when the golden
#: cards' certificates expire (2032-11-29). ``test_the_table_is_current`` says so.
TABLE_VALID_UNTIL = datetime(2030, 3, 21, tzinfo=timezone.utc)

#: The columns: requirement IDs; "UC-6 (PKCS#11)" is UC-6 through OpenSC's PKCS#11 module
#: (C_Login, then a signature), where OpenSC picks the PIN the discovery object names.
REQUIREMENTS = ("CARD-1", "UC-1", "UC-2", "UC-3", "UC-4", "UC-5", "UC-6", "UC-6 (PKCS#11)", "OCSP-6")

#: The responders GSA's cards name in their AIA extension, as GSA's
#: ``responder/install-responder.sh`` sets them up: host -> (issuing CA, database(s),
#: delegated signer).
RESPONDERS = {
    "ocsp.apl-test.cite.fpki-lab.gov": (
        "ICAM_Test_Card_PIV_Signing_CA_-_gold_gen1-2.crt", ("piv-gen1-2-index.txt", "legacy-index.txt"),
        "ICAM_Test_Card_PIV_OCSP_Valid_Signer_gen1-2.p12"),
    "ocspGen3.apl-test.cite.fpki-lab.gov": (
        "ICAM_Test_Card_PIV_Signing_CA_-_gold_gen3.crt", ("piv-gen3-index.txt",),
        "ICAM_Test_Card_PIV_OCSP_Valid_Signer_gen3.p12"),
    "ocsp-pivi.apl-test.cite.fpki-lab.gov": (
        "ICAM_Test_Card_PIV-I_Signing_CA_-_gold_gen3.crt", ("pivi-gen3-index.txt",),
        "ICAM_Test_Card_PIV-I_OCSP_Valid_Signer_gen3.p12"),
}


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Card:
    """One GSA card: its folder, GSA's description, the UPN of the AD user it would sign
    in as (the directory holds that account; empty when the certificate names no UPN),
    and requirement -> (expected verdict or None, reason)."""

    folder: str
    purpose: str
    upn: str
    expect: dict[str, tuple[str | None, str]] = field(default_factory=dict)


def _golden(gen: str, upn_reason: tuple[str | None, str], **override: tuple[str | None, str]) -> dict:
    """The verdicts of a card that AWS's rules accept in every respect but the UPN."""
    if gen == "gen1-2":
        chain = ("passed", "issued by ICAM Test Card Signing CA (gen1-2) under ICAM Test Card Root CA, both "
                           "registered on the directory; valid now")
        ocsp = ("passed", "GSA's gen1-2 responder database (piv-gen1-2-index.txt) lists the serial as V: good")
    elif gen == "gen3":
        chain = ("passed", "issued by ICAM Test Card Signing CA (gen3) under ICAM Test Card Root CA, both "
                           "registered on the directory; valid now")
        ocsp = ("passed", "GSA's gen3 responder database (piv-gen3-index.txt) lists the serial as V: good")
    else:
        chain = ("passed", "issued by ICAM Test Card PIV-I Signing CA under ICAM Test Card PIV-I Root CA, both "
                           "registered on the directory; valid now")
        ocsp = ("passed", "GSA's PIV-I responder database (pivi-gen3-index.txt) lists the serial as V: good")
    out = {
        "CARD-1": ("passed", "a PIV card: it answers SELECT of the PIV application (S-CLIENT: CAC and PIV cards "
                             "are supported)"),
        "UC-1": upn_reason,
        "UC-2": ("passed", "the PIV Authentication certificate lists Client Authentication (1.3.6.1.5.5.7.3.2)"),
        "UC-3": ("passed", "the PIV Authentication certificate lists Smart Card Logon (1.3.6.1.4.1.311.20.2.2)"),
        "UC-4": chain,
        "UC-5": ("passed", "only the PIV Authentication certificate (9A) carries Smart Card Logon (9C's "
                           "anyExtendedKeyUsage is not that EKU)"),
        "UC-6": ("passed", "GSA's 9A key (its PKCS#12 file) is the certificate's key: the signature over a fresh "
                           "challenge verifies"),
        "UC-6 (PKCS#11)": ("passed", "OpenSC logs in with the application PIN (discovery object 5F2F 40 00) and "
                                     "the signature verifies"),
        "OCSP-6": ocsp,
    }
    out.update(override)
    return out


NO_UPN_FASCN = ("failed", "the PIV Authentication certificate's SAN holds only a FASC-N otherName "
                          "(2.16.840.1.101.3.6.6), no userPrincipalName: AD Connector requires the UPN (S-PREREQ)")
NO_UPN_FASCN_UUID = ("failed", "the SAN holds a FASC-N otherName and a card UUID URI, no userPrincipalName: AD "
                               "Connector requires the UPN (S-PREREQ)")

CARDS = [
    Card("01_Golden_PIV", "Golden PIV", "", _golden("gen1-2", NO_UPN_FASCN)),
    Card("02_Golden_PIV-I", "Golden PIV-I", "", _golden(
        "gen1-2", ("failed", "the SAN holds only a card UUID URI (urn:uuid:...), no userPrincipalName: AD Connector "
                             "requires the UPN (S-PREREQ)"),
        **{"OCSP-6": ("passed", "GSA's gen1-2 responder database lists the serial as V: good (this PIV-I card's "
                                "certificates come from the PIV Signing CA gen1-2)")})),
    Card("03_SKID_Mismatch", "Substituted keypair in PKI-AUTH certificate", "", _golden(
        "gen1-2", NO_UPN_FASCN,
        **{"UC-4": ("passed", "trap: a key pair substituted under the golden card's serial, in a certificate the "
                              "Signing CA did sign (its subjectKeyIdentifier is not the SHA-1 of the key, which "
                              "RFC 5280 allows); AWS's rules see a validly issued certificate"),
           "UC-6": ("passed", "trap: the card holds the substituted certificate's own key, so proof of possession "
                              "holds; detecting the substitution needs the previously registered key (card 41), "
                              "which AD Connector does not compare"),
           "UC-6 (PKCS#11)": ("passed", "trap: as UC-6, through OpenSC")})),
    Card("05_Tampered_Certificates", "Tampered PIV and Card Authentication Certificates", "", _golden(
        "gen1-2", NO_UPN_FASCN,
        **{"UC-4": ("failed", "the PIV Authentication certificate was altered after signing: the Signing CA's "
                              "signature does not verify, so it chains to no registered CA"),
           "UC-6": ("passed", "the card's key is the (tampered) certificate's key: possession holds, the "
                              "tampering is UC-4's finding"),
           "UC-6 (PKCS#11)": ("passed", "as UC-6, through OpenSC"),
           "OCSP-6": (None, "no CA's signature verifies on the tampered certificate, so no issuer for an OCSP "
                            "request can be established; AD Connector rejects the chain (UC-4) before revocation "
                            "checking")})),
    Card("10_Expired_Cert_Signer", "Expired certificate signer", "", _golden(
        "gen1-2", NO_UPN_FASCN,
        **{"UC-4": ("failed", "issued by 'ICAM Test Card Signing CA - Expired' (valid January 2013 only): the "
                              "directory refused to register it (CA-4), so the certificate chains to no "
                              "registered CA"),
           "OCSP-6": ("skipped", "none of GSA's responders serves the expired Signing CA (install-responder.sh "
                                 "gives each a gold Signing CA): asked about its certificate, the responder answers "
                                 "'unauthorized' (RFC 6960 2.3), with no certificate status for OCSP-6 to judge. "
                                 "(GSA's `openssl ocsp` would answer 'unknown' there, which fails OCSP-6; the "
                                 "harness calls an 'unauthorized' answer 'does not answer', OCSP-3: reported)")})),
    Card("12_Certs_not_yet_valid", "Authentication certificates valid in future", "", _golden(
        "gen1-2", NO_UPN_FASCN,
        **{"UC-4": ("failed", "the PIV Authentication certificate is not valid before 2030-03-21: a certificate "
                              "outside its validity period fails"),
           "OCSP-6": ("passed", "GSA's gen1-2 database lists the serial (the golden card's, reused) as V: good; "
                                "the validity dates are UC-4's finding")})),
    Card("13_Certs_are_expired", "Expired authentication certificates", "", _golden(
        "gen1-2", NO_UPN_FASCN,
        **{"UC-4": ("failed", "the PIV Authentication certificate expired on 2014-03-25"),
           "OCSP-6": ("passed", "GSA's gen1-2 database lists the serial (the golden card's, reused) as V: good; "
                                "the expiry is UC-4's finding")})),
    Card("23_Public_Private_Key_mismatch", "Private and Public Key mismatch", "", _golden(
        "gen1-2", NO_UPN_FASCN,
        **{"UC-6": ("failed", "the card's 9A key is another RSA key than the certificate's (GSA built the PKCS#12 "
                              "with a patched openssl): the signature over the challenge does not verify"),
           "UC-6 (PKCS#11)": ("failed", "as UC-6: OpenSC's signature does not verify with the certificate")})),
    Card("24_Revoked_Certificates", "Revoked authentication certificates", "", _golden(
        "gen1-2", NO_UPN_FASCN,
        **{"UC-4": ("failed", "its authorityKeyIdentifier names the issuing CA certificate by issuer and serial "
                              "(DCB40E3E525B3CE2), a Signing CA certificate GSA no longer publishes (the gen1-2 "
                              "one registered is DCB40E3E525B3CE3): path validation that honours the AKID "
                              "(pyhanko-certvalidator, and `openssl verify`, error 20) finds no registered issuer"),
           "OCSP-6": ("passed", "GSA's published responder data does not revoke this card: piv-gen1-2-index.txt "
                                "lists serial D18FC8F76557A6D2 as V and the Signing CA's CRL lists no revoked "
                                "certificate, so a responder serving it answers good. The card's purpose "
                                "(revoked) lives only in GSA's live responder; OCSP-6's failure on a revoked "
                                "answer is shown by the fault profiles")})),
    Card("25_Disco_Object_Not_Present", "Discovery object is not present", "", _golden(
        "gen3", NO_UPN_FASCN_UUID,
        **{"CARD-1": ("passed", "trap: a PIV card without a discovery object (GSA writes it with zero length; "
                                "GET DATA 7E answers 6A82) is still a PIV card; OpenSC and the harness use the "
                                "application PIN"),
           "UC-6 (PKCS#11)": ("passed", "trap: without a discovery object OpenSC uses the application PIN (80), "
                                        "which the card has")})),
    Card("28_Disco_Object_Present_Global_PIN_Primary", "Discovery object: Global PIN primary (5F2F = 60 20)", "",
         _golden("gen3", NO_UPN_FASCN_UUID,
                 **{"UC-6": ("passed", "trap: the card has the application PIN as well (60: both PINs), which the "
                                       "harness verifies before signing; the PIN policy is not among AWS's rules"),
                    "UC-6 (PKCS#11)": ("passed", "trap: OpenSC reads the discovery object and logs in with the "
                                                 "global PIN (VERIFY P2=00), which the card has")})),
    Card("39_Golden_FIPS_201-2_Fed_PIV-I", "Valid: Federally-issued PIV-I (FIPS 201-2)", "0257000039@gsa.gov",
         _golden("pivi", ("passed", "the SAN carries the userPrincipalName 0257000039@gsa.gov, the AD user's"),
                 **{"UC-6 (PKCS#11)": ("passed", "the discovery object (5F2F 60 10) names both PINs, the "
                                                 "application PIN primary: OpenSC logs in with it and the signature "
                                                 "verifies")})),
    Card("46_Golden_FIPS_201-2_PIV", "Valid: card UUIDs in the SubjectAltName after the FASC-N",
         "0257000046@gsa.gov",
         _golden("gen3", ("passed", "the SAN carries the userPrincipalName 0257000046@gsa.gov (between the FASC-N and "
                                    "the card UUID), the AD user's"))),
    Card("47_Golden_FIPS_201-2_PIV_SAN_Order", "Valid: card UUIDs in the SubjectAltName before the FASC-N", "",
         _golden("gen3", ("failed", "the SAN holds a card UUID URI and then a FASC-N otherName, no "
                                    "userPrincipalName: AD Connector requires the UPN (S-PREREQ)"))),
    Card("53_FIPS_201-2_Large_Card_Auth_Cert", "Valid: larger than recommended Card Authentication Certificate",
         "", _golden("gen3", NO_UPN_FASCN_UUID,
                     **{"UC-5": ("passed", "the 2171-byte Card Authentication certificate (9E) is read whole over "
                                           "the card edge (GET RESPONSE chaining); only 9A carries Smart Card "
                                           "Logon")})),
]


# --------------------------------------------------------------------------- helpers
def _certificate(path: Path):
    """A CA certificate file as GSA wrote it (PEM after 'Bag Attributes' lines)."""
    from wscard.pki import certs as C

    first = C.load_certificates(path.read_bytes(), str(path))[0]  # the one loader: text around the PEM block
    return first.cert, first.pem


@dataclass
class Directory:
    """The simulated AD Connector directory with GSA's CA certificates registered."""

    directory_id: str
    registered: list[Any]  # cryptography certificates listed as Registered
    refused: dict[str, str]  # file name -> error code and message


@pytest.fixture(scope="module")
def directory() -> Directory:
    """GSA's CA certificates registered on a simulated AD Connector (moto + the project's
    Directory Service extension), as RegisterCertificate accepts them."""
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from wscard.aws import moto_ext

    moto_ext.install()
    region = "us-east-1"
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")
                   ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
        ds = boto3.client("ds", region_name=region)
        did = ds.connect_directory(
            Name="gsa-icam.example.com", Password="Passw0rd!", Size="Small",
            ConnectSettings={"VpcId": vpc, "SubnetIds": subnets, "CustomerDnsIps": ["10.0.1.10"],
                             "CustomerUserName": "Admin"})["DirectoryId"]
        by_id: dict[str, Any] = {}
        refused: dict[str, str] = {}
        for path in sorted((DATA / "ca").glob("*.crt")):
            cert, pem = _certificate(path)
            try:
                cid = ds.register_certificate(DirectoryId=did, CertificateData=pem.decode(),
                                              Type="ClientCertAuth")["CertificateId"]
            except ClientError as exc:
                err = exc.response["Error"]
                refused[path.name] = f"{err['Code']}: {err['Message']}"
                continue
            by_id[cid] = cert
        listed = ds.list_certificates(DirectoryId=did)["CertificatesInfo"]
        registered = [by_id[c["CertificateId"]] for c in listed if c["State"] == "Registered"]
        yield Directory(did, registered, refused)


@pytest.fixture(scope="module")
def responder(tmp_path_factory):
    """One responder process serving GSA's three responders' data (issuer, database,
    delegated signer each); it tells the issuers apart by the request's issuer hashes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from wscard.pki.resolver import Endpoint, MapResolver
    from wscard.pki.responder import ResponderProcess, index_from_openssl_database

    work = tmp_path_factory.mktemp("gsa-ocsp")
    issuers = []
    for host, (ca, databases, signer) in RESPONDERS.items():
        cert, _pem = _certificate(DATA / "ca" / ca)
        key, signer_cert, _ = pkcs12.load_key_and_certificates((DATA / "responder" / signer).read_bytes(), b"")
        stem = host.split(".")[0]
        (work / f"{stem}-issuer.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (work / f"{stem}-signer.pem").write_bytes(signer_cert.public_bytes(serialization.Encoding.PEM))
        (work / f"{stem}-signer.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        (work / f"{stem}-signer.key").chmod(0o600)
        index: dict[str, Any] = {}
        for db in databases:
            index.update(index_from_openssl_database((DATA / "responder" / db).read_text()))
        issuers.append({"issuer": str(work / f"{stem}-issuer.pem"), "signer_cert": str(work / f"{stem}-signer.pem"),
                        "signer_key": str(work / f"{stem}-signer.key"), "index": index})
    proc = ResponderProcess({"issuers": issuers, "host": "127.0.0.1", "log": str(work / "exchanges.jsonl")}, work)
    proc.start()
    try:
        resolver = MapResolver({host: Endpoint(proc.host, proc.port) for host in RESPONDERS})
        yield resolver
    finally:
        proc.stop()


def _known_cas() -> list[Any]:
    return [_certificate(p)[0] for p in sorted((DATA / "ca").glob("*.crt"))]


def _issuer(cert, cas):
    """The CA among GSA's that issued ``cert`` (name and signature), or None."""
    for ca in cas:
        if ca.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(ca)
            return ca
        except Exception:
            continue
    return None


def _verdict(fn: Callable[[], Any]) -> tuple[str, str]:
    """(status, message) of one check; an environment problem is a verdict of its own."""
    from wscard.errors import EnvironmentProblem

    try:
        result = fn()
    except EnvironmentProblem as exc:
        return "environment problem", str(exc)
    if result.skipped_because:
        return result.status.value, result.skipped_because
    return result.status.value, result.message()


def judge(card: Card, directory: Directory, resolver) -> dict[str, tuple[str, str]]:
    """Load ``card`` onto the virtual PIV card and run the checks of the table on it."""
    from hardware import scenarios
    from hardware.backends import make_backend
    from hardware.session import CardSession
    from wscard.checks import CheckResult
    from wscard.pki import checks as K
    from wscard.pki import ocsp as O
    from wscard.pki import ocsp_checks as OC
    from wscard.profile import PathValue
    from wscard.sections.card import CardSection

    section = CardSection(backend="virtual-piv", card_folder=PathValue(str(DATA / "cards" / card.folder)),
                          demonstrate_wrong_pin=False)
    session = CardSession(make_backend(section))
    out: dict[str, tuple[str, str]] = {}
    session.start()
    try:
        out["CARD-1"] = _verdict(lambda: scenarios.card_type(session))
        out["UC-5"] = _verdict(lambda: scenarios.logon_certificates_card_edge(session))
        out["UC-6"] = _verdict(lambda: scenarios.possession_card_edge(session))
        out["UC-6 (PKCS#11)"] = _verdict(lambda: scenarios.possession_pkcs11(session))
        found = session.logon_certificate()  # what the PKI scenarios take from a card (OpenSC's PKCS#11)
    finally:
        session.stop()
    if found is None:
        for rid in ("UC-1", "UC-2", "UC-3", "UC-4", "OCSP-6"):
            out[rid] = ("environment problem", "OpenSC shows no certificate on the card")
        return out
    user = found[0].cert
    out["UC-1"] = _verdict(lambda: K.check_upn(user, card.upn))
    out["UC-2"] = _verdict(lambda: K.check_client_auth_eku(user))
    out["UC-3"] = _verdict(lambda: K.check_smart_card_logon_eku(user))
    out["UC-4"] = _verdict(lambda: K.check_chain_and_validity(user, directory.registered))
    issuer = _issuer(user, _known_cas())
    if issuer is None:
        out["OCSP-6"] = (None, "no GSA CA's signature verifies on the certificate: an OCSP request names the "
                               "issuer's name and key, so none can be built")
    else:
        def ocsp() -> CheckResult:
            trace = O.check_revocation(O.OcspContext(resolver, timeout=5.0), user, issuer, "",
                                       registered_where="the GSA CA's registration")
            return OC.check_status(trace)

        out["OCSP-6"] = _verdict(ocsp)
    return out


# --------------------------------------------------------------------------- tests
def test_the_table_is_current():
    now = datetime.now(timezone.utc)
    assert now < TABLE_VALID_UNTIL, (
        f"GSA card 12's certificates became valid on {TABLE_VALID_UNTIL.date()}: its UC-4 row (and, from "
        "2032-11-29, every golden row) no longer holds; re-judge the table in tests/selftest/test_gsa_icam_cards.py")


def test_every_card_row_is_complete():
    for card in CARDS:
        assert set(card.expect) == set(REQUIREMENTS), f"{card.folder}: the row must judge {REQUIREMENTS}"
        assert (DATA / "cards" / card.folder).is_dir(), f"{card.folder}: no such card in {DATA / 'cards'}"
        for rid, (verdict, reason) in card.expect.items():
            assert verdict in (None, "passed", "failed", "warning", "skipped"), (card.folder, rid)
            assert reason, f"{card.folder} {rid}: give the reason"


def test_the_directory_registers_gsa_cas_as_aws_would(directory):
    names = sorted(p.name for p in (DATA / "ca").glob("*.crt"))
    assert list(directory.refused) == ["ICAM_Test_Card_PIV_Signing_CA_-_expired_gen1-2.crt"], directory.refused
    assert "InvalidCertificateException" in directory.refused["ICAM_Test_Card_PIV_Signing_CA_-_expired_gen1-2.crt"]
    assert len(directory.registered) == len(names) - 1


@pytest.mark.parametrize("card", CARDS, ids=[c.folder for c in CARDS])
def test_gsa_card(card: Card, directory, responder):
    got = judge(card, directory, responder)
    wrong = []
    for rid in REQUIREMENTS:
        want, why = card.expect[rid]
        status, message = got[rid]
        if status != want:
            wrong.append(f"{rid}: expected {want} ({why}); the harness says {status}: {message}")
    assert not wrong, f"card {card.folder} ({card.purpose}):\n  " + "\n  ".join(wrong)


def test_the_pin_guard_never_spends_the_last_try_of_a_global_pin():
    """Card 28 with its global PIN at one try left (the application PIN at three) and a
    wrong PIN given to the harness: the harness must refuse to log in, not lock the PIN."""
    from hardware import scenarios
    from hardware.backends import make_backend
    from hardware.session import CardSession
    from wscard.profile import PathValue
    from wscard.sections.card import CardSection

    section = CardSection(backend="virtual-piv", wrong_pin=True, demonstrate_wrong_pin=False,
                          card_folder=PathValue(str(DATA / "cards" / "28_Disco_Object_Present_Global_PIN_Primary")))
    session = CardSession(make_backend(section))
    session.start()
    try:
        card = session.backend.cards[0]
        assert card.global_pin is not None
        card.global_pin.tries_left = 1
        result = scenarios.pin_login(session)
        left = int(card.global_pin.tries_left)  # an int: a failure message must not show the PinState
        assert left == 1, (
            f"the harness sent a wrong PIN to a global PIN with one try left and locked it ({result.message()})")
    finally:
        session.stop()
