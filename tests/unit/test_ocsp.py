"""OCSP: the responder process, the resolver seam, the client, the documented process
branch by branch, the IANA TLD data, and agreement with `openssl verify` / `openssl ocsp`."""

from __future__ import annotations

import base64
import dataclasses
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp as x_ocsp

from wscard.checks import Status
from wscard.pki import certs as C
from wscard.pki import checks as K
from wscard.pki import get_pki
from wscard.pki import ocsp as O
from wscard.pki import ocsp_checks as OC
from wscard.pki import tlds
from wscard.pki.resolver import Endpoint, MapResolver, SystemResolver, Unresolvable, simulated_resolver
from wscard.pki.responder import Responder, ResponderProcess, config_for
from wscard.sections.pki import PkiSection

URL = "http://ocsp.pki.example.com/"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    # real "now": the responder stamps answers with the current time
    return get_pki(PkiSection(), cache_dir=tmp_path_factory.mktemp("pki-cache"))


@pytest.fixture(scope="module")
def responder(pki, tmp_path_factory):
    proc = ResponderProcess.for_pki(pki, tmp_path_factory.mktemp("responder"))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def resolver(responder):
    return simulated_resolver({"ocsp.pki.example.com": "responder", "ocsp-silent.pki.example.com": "silent"},
                              Endpoint("127.0.0.1", responder.port), Endpoint("127.0.0.1", responder.silent_port))


def issuer(pki):
    return pki.get("intermediate").cert


# --- resolver -------------------------------------------------------------------------

def test_map_resolver_never_asks_dns():
    r = MapResolver({"ocsp.example.com": ("127.0.0.1", 8080)})
    assert r.resolve("OCSP.example.com.", 80) == [Endpoint("127.0.0.1", 8080)]
    assert r.resolve("127.0.0.2", 81) == [Endpoint("127.0.0.2", 81)]
    with pytest.raises(Unresolvable, match="localhost"):
        r.resolve("localhost", 80)  # not in the table: unresolvable even if the machine knows it


def test_system_resolver_bounds_its_wait():
    assert SystemResolver(1).resolve("127.0.0.1", 80) == [Endpoint("127.0.0.1", 80)]
    with pytest.raises(Unresolvable):
        SystemResolver(2).resolve("name-that-does-not-exist.invalid", 80)


# --- responder ------------------------------------------------------------------------

def test_responder_listens_on_loopback_only(responder):
    out = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout if shutil.which("ss") else ""
    for line in out.splitlines():
        if f":{responder.port} " in line or f":{responder.silent_port} " in line:
            assert "127.0.0.1:" in line, line
    assert responder.running


def test_responder_answers_good_revoked_unknown(pki, resolver):
    for name, status in (("user-good", "good"), ("user-revoked", "revoked"), ("user-unknown", "unknown")):
        ex = O.query(O.OcspContext(resolver, timeout=2), URL, pki.get(name).cert, issuer(pki))
        assert ex.answered and ex.cert_status == status and not ex.problems, ex.as_evidence()
        assert ex.response["responder_certificate"] == "CN=WSCard Test OCSP Responder,O=WSCard Test PKI"
        assert ex.response["nonce"] == ex.request["nonce"]
    ex = O.query(O.OcspContext(resolver), URL, pki.get("user-revoked").cert, issuer(pki))
    assert ex.response["revocation_reason"] == "key_compromise" and ex.response["revocation_time"]


def test_responder_http_get_and_malformed(pki, responder):
    req = O.build_request(pki.get("user-good").cert, issuer(pki)).public_bytes(serialization.Encoding.DER)
    b64 = base64.b64encode(req).decode()
    with urllib.request.urlopen(f"http://127.0.0.1:{responder.port}/{urllib.request.quote(b64, safe='')}",
                                timeout=2) as r:
        resp = x_ocsp.load_der_ocsp_response(r.read())
    assert resp.certificate_status is x_ocsp.OCSPCertStatus.GOOD
    post = urllib.request.Request(f"http://127.0.0.1:{responder.port}/", data=b"junk",
                                  headers={"Content-Type": "application/ocsp-request"})
    with urllib.request.urlopen(post, timeout=2) as r:
        assert x_ocsp.load_der_ocsp_response(r.read()).response_status is x_ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_responder_refuses_unknown_issuers(pki, resolver):
    other = pki.get("other-root").cert
    ex = O.query(O.OcspContext(resolver), URL, pki.get("user-good").cert, other)
    assert ex.error_kind is O.ExchangeError.UNSUCCESSFUL and "unauthorized" in ex.error


def test_responder_answers_for_the_intermediate_with_the_roots_key(pki, resolver):
    ex = O.query(O.OcspContext(resolver), URL, pki.get("intermediate").cert, pki.get("root").cert)
    assert ex.cert_status == "good" and not ex.problems


def test_response_verification_catches_a_bad_signature(pki, tmp_path):
    from datetime import datetime, timedelta, timezone

    der = Responder(config_for(pki, tmp_path)).answer(
        O.build_request(pki.get("user-good").cert, issuer(pki)).public_bytes(serialization.Encoding.DER))
    now = datetime.now(timezone.utc)
    ctx = O.OcspContext(MapResolver(), moment=now, time_tolerance=timedelta(minutes=5).total_seconds())
    good = x_ocsp.load_der_ocsp_response(der)
    assert O.verify_response(ctx, good, pki.get("user-good").cert, issuer(pki), None) == []
    # flip the last byte of the signature
    i = der.index(good.signature) + len(good.signature) - 1
    bad = x_ocsp.load_der_ocsp_response(der[:i] + bytes([der[i] ^ 0xFF]) + der[i + 1:])
    problems = O.verify_response(ctx, bad, pki.get("user-good").cert, issuer(pki), None)
    assert any("does not verify" in p for p in problems)
    # a response for another certificate, or a stale one
    problems = O.verify_response(ctx, good, pki.get("user-revoked").cert, issuer(pki), None)
    assert any("is for serial" in p for p in problems)
    later = dataclasses.replace(ctx, moment=now + timedelta(days=3))
    problems = O.verify_response(later, good, pki.get("user-good").cert, issuer(pki), None)
    assert any("stale" in p for p in problems)


def test_timeouts_are_bounded(pki, resolver, responder):
    start = time.perf_counter()
    ex = O.query(O.OcspContext(resolver, timeout=0.3),
                 "http://ocsp-silent.pki.example.com/", pki.get("user-good").cert, issuer(pki))
    elapsed = time.perf_counter() - start
    assert ex.error_kind is O.ExchangeError.TIMEOUT and elapsed < 2
    # a closed port: refused at once
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ex = O.query(O.OcspContext(resolver, timeout=1),
                 f"http://127.0.0.1:{port}/", pki.get("user-good").cert, issuer(pki))
    assert ex.error_kind is O.ExchangeError.REFUSED
    ex = O.query(O.OcspContext(resolver), "https://ocsp.pki.example.com/", pki.get("user-good").cert, issuer(pki))
    assert ex.error_kind is O.ExchangeError.NOT_HTTP


def test_the_silent_port_waits_its_own_shorter_time_and_the_responder_keeps_the_timeout(pki, responder):
    """[pki] silent_wait_seconds bounds the wait at the silent port only: the query's
    timeout (5 s here) still applies to the real responder, and the trace says how long
    it waited."""
    r = simulated_resolver({"ocsp.pki.example.com": "responder", "ocsp-silent.pki.example.com": "silent"},
                           Endpoint("127.0.0.1", responder.port),
                           Endpoint("127.0.0.1", responder.silent_port, 0.2))
    start = time.perf_counter()
    ex = O.query(O.OcspContext(r, timeout=5),
                 "http://ocsp-silent.pki.example.com/", pki.get("user-good").cert, issuer(pki))
    elapsed = time.perf_counter() - start
    assert ex.error_kind is O.ExchangeError.TIMEOUT and "no answer within 0.2 s" in ex.error and elapsed < 2
    ex = O.query(O.OcspContext(r, timeout=5), URL, pki.get("user-good").cert, issuer(pki))
    assert ex.error_kind is None and ex.http_status == 200, ex.error


def test_the_pki_environment_gives_the_silent_port_the_profile_wait(pki, responder):
    from wscard.pki.environment import PkiEnvironment
    from wscard.profile import load_profile

    profile = load_profile(None)
    assert profile.pki.silent_wait_seconds == 0.1  # the embedded world waits briefly there
    env = PkiEnvironment(profile, pki, responder)
    responder_ep, silent_ep = env._endpoints()
    assert silent_ep.wait == 0.1 and silent_ep.port == responder.silent_port
    live = profile.replace("pki", silent_wait_seconds=0.0)
    assert PkiEnvironment(live, pki, responder)._endpoints()[1].wait is None  # 0: ocsp_timeout_seconds applies


def test_the_ocsp_context_is_built_from_the_pki_section(responder):
    """One constructor: the [pki] section's resolver, timeout and clock tolerance."""
    from wscard.profile import load_profile

    sec = dataclasses.replace(load_profile(None).pki, ocsp_timeout_seconds=2.5, ocsp_clock_skew_seconds=60.0)
    ctx = O.OcspContext.from_section(sec, responder)
    assert (ctx.timeout, ctx.time_tolerance, ctx.moment, ctx.use_nonce) == (2.5, 60.0, None, True)
    silent = ctx.resolver.resolve("ocsp-silent.pki.example.com", 80)
    assert silent[0].port == responder.silent_port and silent[0].wait == sec.silent_wait_seconds == 0.1
    with pytest.raises(Unresolvable):
        ctx.resolver.resolve("ocsp.not-listed.pki.example.com", 80)
    # no responder running: its names do not resolve (they never reach the machine's DNS)
    with pytest.raises(Unresolvable):
        O.OcspContext.from_section(sec).resolver.resolve("ocsp.pki.example.com", 80)
    live = O.OcspContext.from_section(dataclasses.replace(sec, resolver="system", dns_timeout_seconds=1.5))
    assert isinstance(live.resolver, SystemResolver) and live.resolver.timeout == 1.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.timeout = 1.0  # type: ignore[misc]
    pinned = ctx.pinned()
    assert pinned.moment is not None and pinned.pinned() is pinned and ctx.moment is None


# --- the documented process -------------------------------------------------------------

@pytest.mark.parametrize(
    "name, registered, branch, source, result",
    [
        ("user-good", URL, "OCSP-1", "aia", "good"),
        ("user-aia-absent", URL, "OCSP-2", "registration", "good"),
        ("user-aia-unresolvable", URL, "OCSP-2", "registration", "good"),
        ("user-aia-silent", URL, "OCSP-3", "aia", "failed"),
        ("user-aia-unresolvable", "", "OCSP-4", "", "failed"),
        ("user-aia-absent", "http://ocsp-silent.pki.example.com/", "OCSP-4", "registration", "failed"),
        ("user-aia-absent", "http://nowhere.pki.example.com/", "OCSP-4", "registration", "failed"),
        ("user-aia-absent", "", "OCSP-7", "", "failed"),
        ("user-aia-https", URL, "OCSP-2", "registration", "good"),
        ("user-aia-non-iana", URL, "OCSP-2", "registration", "good"),
        ("user-revoked", URL, "OCSP-1", "aia", "revoked"),
        ("user-unknown", URL, "OCSP-1", "aia", "unknown"),
        # the AIA URL does not answer: no fallback even though the registration URL would
        ("user-aia-silent", "http://ocsp.pki.example.com/", "OCSP-3", "aia", "failed"),
    ],
)
def test_process_branches(pki, resolver, name, registered, branch, source, result):
    tr = O.check_revocation(O.OcspContext(resolver, timeout=0.3), pki.get(name).cert, issuer(pki), registered)
    assert (tr.branch, tr.used_source, tr.result) == (branch, source, result), O.describe_outcome(tr)
    assert tr.because
    # exactly one of OCSP-1..4/7 fails (OCSP-6 judges the answer), whatever the branch
    results = OC.all_results(tr, ["pre-session", "in-session"])
    failing = sorted(r for r, res in results.items() if res.status is Status.FAILED)
    expected_fail = {"OCSP-3": ["OCSP-3"], "OCSP-4": ["OCSP-4"], "OCSP-7": ["OCSP-7"]}.get(branch, [])
    if result in ("revoked", "unknown"):
        expected_fail = ["OCSP-6"]
    assert failing == expected_fail, {r: [f.render() for f in v.findings] for r, v in results.items()}
    assert (results["OCSP-6"].status is Status.SKIPPED) == (result == "failed")


def test_ocsp7_only_warns_in_session(pki, resolver):
    tr = O.check_revocation(O.OcspContext(resolver), pki.get("user-aia-absent").cert, issuer(pki), "")
    assert OC.check_revocation_configured(tr, ["pre-session"]).status is Status.FAILED
    r = OC.check_revocation_configured(tr, ["in-session"])
    assert r.status is Status.WARNING and "recommended for in-session" in r.warnings()[0].problem


def test_fallback_and_missing_aia_are_warnings(pki, resolver):
    tr = O.check_revocation(O.OcspContext(resolver), pki.get("user-aia-unresolvable").cert, issuer(pki), URL)
    w = OC.check_fallback(tr)
    assert w.status is Status.WARNING and "cannot be resolved" in w.warnings()[0].problem
    assert OC.check_aia_first(tr).status is Status.PASSED
    tr = O.check_revocation(O.OcspContext(resolver), pki.get("user-aia-absent").cert, issuer(pki), URL)
    assert OC.check_aia_first(tr).status is Status.WARNING


def test_ocsp5_url_rules():
    r = OC.check_urls([("AIA", "http://ocsp.pki.example.com/"), ("AIA", "http://192.0.2.10/"),
                       ("reg", "http://ocsp.example.gov:8080/ocsp")])
    assert r.status is Status.PASSED
    r = OC.check_urls([("AIA of X", "https://ocsp.pki.example.com/"), ("reg", "http://ocsp.pki.corp/"),
                       ("reg2", "http://ocsp/")])
    msgs = [f.render() for f in r.failures()]
    assert len(msgs) == 3 and "requires an HTTP" in msgs[0] and "IANA root zone" in msgs[1]
    assert "AIA of X" in msgs[0]


def test_ocsp5_warns_for_private_addresses_with_the_system_resolver():
    r = OC.check_urls([("AIA", "http://ocsp.pki.example.com/")],
                      MapResolver({"ocsp.pki.example.com": ("10.1.2.3", 80)}), check_reachability=True)
    assert r.status is Status.WARNING and "non-public" in r.warnings()[0].problem


def test_iana_tld_data():
    assert tlds.data_version() >= "2026093003"
    assert {"com", "gov", "mil", "org", "xn--p1ai"} <= tlds.iana_tlds()
    assert tlds.in_root_zone("ocsp.pki.example.com") and tlds.in_root_zone("ocsp.example.РФ")
    for host in ("ocsp.corp", "ocsp.local", "ocsp.internal", "ocsp.example", "ocsp.lan", "ocsp"):
        assert not tlds.in_root_zone(host), host
    assert tlds.is_ip_literal("192.0.2.1") and tlds.is_ip_literal("[2001:db8::1]")


# --- openssl agrees -----------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verify_and_ocsp_agree_with_the_harness(pki, responder, resolver, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_bytes(pki.get("root").pem)
    untrusted = tmp_path / "intermediate.pem"
    untrusted.write_bytes(pki.get("intermediate").pem)
    for name, want in (("user-good", "good"), ("user-revoked", "revoked"), ("user-unknown", "unknown")):
        cert = tmp_path / f"{name}.pem"
        cert.write_bytes(pki.get(name).pem)
        v = subprocess.run(["openssl", "verify", "-CAfile", str(bundle), "-untrusted", str(untrusted), str(cert)],
                           capture_output=True, text=True)
        assert v.returncode == 0 and f"{cert}: OK" in v.stdout
        assert K.build_chain(pki.get(name), pki.ca_chain).complete
        o = subprocess.run(["openssl", "ocsp", "-issuer", str(untrusted), "-cert", str(cert), "-url", responder.url,
                            "-CAfile", str(bundle), "-timeout", "5"], capture_output=True, text=True, timeout=30)
        assert "Response verify OK" in o.stdout + o.stderr, o.stdout + o.stderr
        assert f"{cert}: {want}" in o.stdout, o.stdout
        ex = O.query(O.OcspContext(resolver), URL, pki.get(name).cert, issuer(pki))
        assert ex.cert_status == want and not ex.problems


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verify_agrees_on_broken_chains(tmp_path):
    pki = get_pki(PkiSection(user_validity="expired", intermediates=2), cache_dir=tmp_path / "c")
    root = tmp_path / "root.pem"
    root.write_bytes(pki.get("root").pem)
    inter = tmp_path / "inter.pem"
    inter.write_bytes(pki.get("intermediate").pem)  # intermediate-2 missing
    user = tmp_path / "user.pem"
    user.write_bytes(pki.get("user").pem)
    v = subprocess.run(["openssl", "verify", "-CAfile", str(root), "-untrusted", str(inter), str(user)],
                       capture_output=True, text=True)
    assert v.returncode != 0 and "unable to get local issuer certificate" in v.stdout + v.stderr
    assert not K.build_chain(pki.get("user"), [pki.get("root"), pki.get("intermediate")],
                             now=C.not_before(pki.get("user").cert) + (C.not_after(pki.get("user").cert)
                                                                      - C.not_before(pki.get("user").cert)) / 2).complete
    inter.write_bytes(pki.get("intermediate").pem + pki.get("intermediate-2").pem)
    v = subprocess.run(["openssl", "verify", "-CAfile", str(root), "-untrusted", str(inter), str(user)],
                       capture_output=True, text=True)
    assert v.returncode != 0 and "certificate has expired" in v.stdout + v.stderr
    assert K.check_chain_and_validity(pki.get("user"), pki.ca_chain).status is Status.FAILED


# --- the model rows' judges (issue 18: the pki steps no longer compare for themselves) --------

def test_model_row_judges_fail_when_the_trace_differs_from_the_row():
    from wscard.pki.environment import expect_model_branch, expect_model_result

    trace = O.RevocationTrace("user-aia-absent", branch="OCSP-2", result="good", used_source="registration")
    assert expect_model_branch(trace, "OCSP-2", "registration").status == Status.PASSED
    assert expect_model_result(trace, "good").status == Status.PASSED
    wrong = expect_model_branch(trace, "OCSP-1", "aia")
    assert wrong.status == Status.FAILED and "OCSP-2 branch using the registration URL" in wrong.findings[0].problem
    assert expect_model_result(trace, "revoked").status == Status.FAILED
    silent = O.RevocationTrace("user-aia-unresolvable", branch="OCSP-4", result="failed", used_source="")
    assert expect_model_branch(silent, "OCSP-4", "no").status == Status.PASSED
    assert expect_model_branch(silent, "OCSP-4", "registration").status == Status.FAILED
