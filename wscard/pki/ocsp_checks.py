"""OCSP-1..OCSP-7 as check results, from one :class:`~wscard.pki.ocsp.RevocationTrace`.

The process has one outcome per certificate; each requirement speaks for its own branch
so that a broken environment fails exactly one of them:

* OCSP-1 passes when the AIA URL is there (whatever happens next is judged by OCSP-2/3);
  a certificate without an AIA OCSP URL is a warning (revocation then depends on the
  registration URL alone).
* OCSP-2 passes when no fallback is needed; when the fallback is taken and the
  registration URL answers, it is a warning that says why the AIA URL was not used.
* OCSP-3 fails when the AIA URL resolves and its responder does not answer.
* OCSP-4 fails when the registration URL is needed and is unusable or missing (but an
  AIA URL existed: with no OCSP URL anywhere, that is OCSP-7).
* OCSP-5 fails for an OCSP URL (AIA or registration) that is not HTTP or whose DNS name
  is outside the IANA root zone; with the system resolver, a name that resolves only
  to private addresses is a warning (AD Connector reaches the responder from the internet).
* OCSP-6 fails for revoked, unknown, or an answer that does not verify.
* OCSP-7 fails (pre-session) or warns (in-session only) when no OCSP URL exists at all.
"""

from __future__ import annotations

from typing import Sequence

from ..checks import CheckResult
from .ocsp import RevocationResult, RevocationTrace, StepOutcome, url_rule_problem
from .resolver import Resolver, Unresolvable, is_public_address

def _result(rid: str, trace: RevocationTrace) -> CheckResult:
    r = CheckResult(rid)
    r.evidence["revocation_process"] = trace.as_evidence()
    return r


def _branch_result(rid: str, trace: RevocationTrace, problem: str, fix: str, *, warn: bool = False) -> CheckResult:
    """``rid``'s result: a failure (a warning with ``warn``) on ``trace.certificate``
    when the process took ``rid``'s branch, else passed."""
    r = _result(rid, trace)
    if trace.branch == rid:
        (r.warn if warn else r.fail)(trace.certificate, problem, fix)
    return r


def check_aia_first(trace: RevocationTrace) -> CheckResult:
    """OCSP-1 (S-PREREQ: the OCSP URL in the user certificate's AIA extension is used
    first): a warning when the certificate has none, else passed. Raises nothing."""
    r = _result("OCSP-1", trace)
    aia = trace.aia_step
    if aia is None or aia.outcome is StepOutcome.ABSENT:
        r.warn(trace.certificate, "has no OCSP responder URL in its Authority Information Access extension; "
                                  "revocation checking depends on the OCSP URL given at root CA registration alone.",
               "Issue user certificates whose AIA extension names the OCSP responder (http://...).")
    return r


def check_fallback(trace: RevocationTrace) -> CheckResult:
    """OCSP-2 (S-PREREQ: the registration URL is used when the AIA URL cannot be
    resolved or is absent): a warning when the fallback was taken and answered."""
    return _branch_result(
        "OCSP-2", trace,
        f"AD Connector falls back to the registration OCSP URL {trace.used_url}: {trace.because}.",
        "Put a resolvable HTTP OCSP URL in the AIA extension of the user certificates, or keep the "
        "registration URL working (it is the only one used).", warn=True)


def check_aia_responds(trace: RevocationTrace) -> CheckResult:
    """OCSP-3 (S-PREREQ: an AIA URL that resolves but does not answer fails
    authentication, with no fallback): a failure on that branch."""
    ex = trace.exchange
    detail = ex.error if ex is not None else "no answer"
    return _branch_result(
        "OCSP-3", trace,
        f"its AIA OCSP URL {trace.used_url} resolves but the responder does not answer ({detail}); "
        "authentication fails, with no fallback to the registration URL.",
        "Make the responder answer at that URL (from the internet), or issue certificates with a "
        "working AIA OCSP URL.")


def check_registration_responds(trace: RevocationTrace) -> CheckResult:
    """OCSP-4 (S-PREREQ: the registration URL, when needed, must resolve and answer):
    a failure on that branch."""
    return _branch_result(
        "OCSP-4", trace,
        f"the registration OCSP URL is needed and cannot be used: {trace.because}; authentication fails.",
        "Register the root CA with a working HTTP OCSP URL (ClientCertAuthSettings.OCSPUrl), or fix the "
        "AIA OCSP URL of the user certificates.")


def check_status(trace: RevocationTrace) -> CheckResult:
    """OCSP-6 (S-PREREQ; RFC 6960 4.2.2): the answer used must verify and say ``good``;
    revoked, unknown or an answer that does not verify fails. Skipped (never passed)
    when no answer arrived: the branch requirements judge that."""
    r = _result("OCSP-6", trace)
    ex = trace.exchange
    if ex is None or not ex.answered:
        return r.skip(f"no OCSP answer to judge ({trace.branch}: {trace.because})")
    r.evidence["ocsp_response"] = ex.response
    if ex.problems:
        r.fail(trace.certificate, f"the OCSP answer from {trace.used_url} cannot be trusted: {'; '.join(ex.problems)}.",
               "Sign OCSP responses with the issuing CA or a responder certificate it issued with the OCSP "
               "Signing EKU, for this certificate, with current thisUpdate/nextUpdate.")
    elif ex.cert_status is RevocationResult.REVOKED:
        when = ex.response.get("revocation_time") or "?"
        why = ex.response.get("revocation_reason") or "unspecified"
        r.fail(trace.certificate, f"is revoked (since {when}, reason {why}) according to {trace.used_url}; "
                                  "a revoked certificate fails authentication.",
               "Issue a new certificate to the user's card.")
    elif ex.cert_status is RevocationResult.UNKNOWN:
        r.fail(trace.certificate, f"is 'unknown' to the OCSP responder at {trace.used_url}; an unknown answer "
                                  "fails authentication.",
               "Point the responder at the issuing CA's database (or use the responder that serves this CA).")
    return r


def check_revocation_configured(trace: RevocationTrace, authentication: Sequence[str]) -> CheckResult:
    """OCSP-7 (S-PREREQ: OCSP is required for pre-session authentication, recommended
    for in-session): with no OCSP URL anywhere, a failure when ``authentication``
    ([profile].authentication, e.g. ``["pre-session", "in-session"]``) includes
    ``pre-session``, else a warning."""
    r = _result("OCSP-7", trace)
    r.evidence["authentication"] = list(authentication)
    if trace.branch != "OCSP-7":
        return r
    problem = ("has no OCSP URL in its AIA extension and no OCSP URL was given at root CA registration: "
               "no revocation checking is possible.")
    fix = "Register the root CA with an HTTP OCSP URL, or issue certificates with an AIA OCSP URL."
    if "pre-session" in authentication:
        r.fail(trace.certificate, problem + " OCSP is required for pre-session authentication.", fix)
    else:
        r.warn(trace.certificate, problem + " OCSP is recommended for in-session authentication.", fix)
    return r


def check_urls(urls: Sequence[tuple[str, str]], resolver: Resolver | None = None,
               *, check_reachability: bool = False) -> CheckResult:
    """OCSP-5 over ``(where, url)`` pairs (``where`` names the certificate or the
    registration the URL comes from)."""
    from urllib.parse import urlparse

    r = CheckResult("OCSP-5")
    r.evidence["urls"] = [{"where": w, "url": u} for w, u in urls]
    for where, url in urls:
        bad = url_rule_problem(url)
        if bad is not None:
            outcome, reason = bad
            fix = ("Use an http:// OCSP URL (AD Connector requires HTTP)." if outcome is StepOutcome.NOT_HTTP else
                   "Use a DNS name under a public top-level domain (IANA root zone), reachable from the internet.")
            r.fail(f"OCSP URL {url} ({where})", reason + ".", fix)
            continue
        if check_reachability and resolver is not None:
            u = urlparse(url)
            try:
                eps = resolver.resolve(u.hostname or "", u.port or 80)
            except Unresolvable:
                continue  # resolution is judged by the process (OCSP-2 / OCSP-4)
            if not any(is_public_address(ep.address) for ep in eps):
                r.warn(f"OCSP URL {url} ({where})",
                       f"resolves only to non-public addresses ({', '.join(ep.address for ep in eps)}); AD Connector "
                       "needs an internet-accessible responder.",
                       "Publish the responder on a public address (or check the name from outside the network).")
    if not urls:
        r.evidence["note"] = "no OCSP URL to check (see OCSP-7)"
    return r


def all_results(trace: RevocationTrace, authentication: Sequence[str]) -> dict[str, CheckResult]:
    """OCSP-1..OCSP-4, OCSP-6 and OCSP-7 judged from one trace, by requirement ID
    (OCSP-5 judges the URLs themselves: :func:`check_urls`)."""
    return {
        "OCSP-1": check_aia_first(trace),
        "OCSP-2": check_fallback(trace),
        "OCSP-3": check_aia_responds(trace),
        "OCSP-4": check_registration_responds(trace),
        "OCSP-6": check_status(trace),
        "OCSP-7": check_revocation_configured(trace, authentication),
    }
