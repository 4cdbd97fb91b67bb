"""Step glue for features/pki: user certificates, CA certificates, OCSP."""

from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from wscard.checks import Status, merge
from wscard.pki import ocsp_checks
from .harness_plugin import expect_that

scenarios("pki")


def _attach_trace(evidence, trace) -> None:
    evidence.attach_json(f"Revocation checking process: {trace.certificate}", trace.as_evidence())
    ex = trace.exchange
    if ex is not None and ex.request:
        evidence.attach_json(f"OCSP request to {ex.url}", ex.request)
    if ex is not None and ex.response:
        evidence.attach_json(f"OCSP response from {ex.url}", ex.response)


# --- certificates ---------------------------------------------------------------------

@given("the user certificates of the environment", target_fixture="users")
def _users(pki_env, evidence):
    for u in pki_env.users:
        evidence.attach_pem(f"user certificate {u.name}", u.pem)
    return pki_env.users


@given("the CA certificates the users' certificates chain to", target_fixture="cas")
def _cas(pki_env, evidence):
    evidence.attach_json("CA certificates", pki_env.ca_summary())
    return pki_env.cas


@then("every user certificate carries the AD user's userPrincipalName in its subjectAltName")
def _uc1(pki_env, evidence):
    evidence.check(pki_env.user_results("UC-1"))


@then("every user certificate carries the Client Authentication extended key usage")
def _uc2(pki_env, evidence):
    evidence.check(pki_env.user_results("UC-2"))


@then("every user certificate carries the Smart Card Logon extended key usage")
def _uc3(pki_env, evidence):
    evidence.check(pki_env.user_results("UC-3"))


@then("every user certificate chains to the CA certificates and is within its validity period")
def _uc4(pki_env, evidence):
    evidence.check(pki_env.user_results("UC-4"))


@then("every user certificate has an RSA key of 2048 bits or more, or an ECC key on P-256 or P-384")
def _uc8(pki_env, evidence):
    evidence.check(pki_env.user_results("UC-8"))


@then("every CA certificate file is a CA certificate in PEM format")
def _ca3(pki_env, evidence):
    evidence.check(pki_env.ca_result("CA-3"))


@then("every CA certificate is more than 90 days away from expiration")
def _ca4(pki_env, evidence):
    evidence.check(pki_env.ca_result("CA-4"))


@then("every user certificate has a complete chain from its issuing CA to the root among them")
def _ca5(pki_env, evidence):
    evidence.check(pki_env.ca_result("CA-5"))


@then("no CA certificate is signed with RSASSA-PSS")
def _ca7(pki_env, evidence):
    evidence.check(pki_env.ca_result("CA-7"))


# --- OCSP: the environment's certificates ------------------------------------------------

@when("the harness checks their revocation status as AD Connector does", target_fixture="traces")
def _trace_users(pki_env, users, evidence):
    traces = [pki_env.trace(u) for u in users]
    for t in traces:
        _attach_trace(evidence, t)
    return traces


def _check_users(evidence, pki_env, traces, rid: str) -> None:
    auth = pki_env.profile.profile.authentication
    results = [ocsp_checks.all_results(t, auth)[rid] for t in traces]
    evidence.check(results[0] if len(results) == 1 else merge(rid, results[0].title, results))


@then("revocation checking starts with the OCSP URL in the certificate's AIA extension")
def _ocsp1(pki_env, traces, evidence):
    _check_users(evidence, pki_env, traces, "OCSP-1")


@then("the OCSP URL given at root CA registration is used only when the AIA URL cannot be used")
def _ocsp2(pki_env, traces, evidence):
    _check_users(evidence, pki_env, traces, "OCSP-2")


@then("the responder named in the AIA extension answers when its name resolves")
def _ocsp3(pki_env, traces, evidence):
    _check_users(evidence, pki_env, traces, "OCSP-3")


@then("the OCSP URL given at root CA registration answers when it is needed")
def _ocsp4(pki_env, traces, evidence):
    _check_users(evidence, pki_env, traces, "OCSP-4")


@then("every OCSP URL in the certificates and the registrations is HTTP with a top-level domain of the IANA root zone")
def _ocsp5(pki_env, evidence):
    evidence.check(pki_env.check_ocsp_urls())


@then("the OCSP responder answers good for every user certificate")
def _ocsp6(pki_env, traces, evidence):
    _check_users(evidence, pki_env, traces, "OCSP-6")


@then("revocation checking is possible, as pre-session authentication requires")
def _ocsp7(pki_env, traces, evidence):
    _check_users(evidence, pki_env, traces, "OCSP-7")


# --- OCSP: the documented process, branch by branch (model rows) ------------------------

@given(parsers.parse('the test certificate "{name}" from the test PKI'), target_fixture="model_cert")
def _model_cert(pki_model_env, name, evidence):
    entry = pki_model_env.pki.get(name)
    evidence.attach_pem(f"certificate {name}", entry.pem)
    return name


@given(parsers.parse('the root CA registration\'s OCSP URL is "{registered}"'),
       target_fixture="model_registered")
def _model_registered(registered):
    return registered


@when("the harness checks its revocation status as AD Connector does", target_fixture="model_trace")
def _model_check(pki_model_env, model_cert, model_registered, evidence):
    trace = pki_model_env.model_trace(model_cert, model_registered)
    _attach_trace(evidence, trace)
    return trace


@then(parsers.parse("the process ends in the {branch} branch using the {used} URL"))
def _model_branch(model_trace, branch, used):
    from wscard.pki.ocsp import describe_outcome

    want_source = "" if used == "no" else used
    expect_that((model_trace.branch, model_trace.used_source) == (branch, want_source),
                f"the revocation check ends in the {model_trace.branch} branch using the "
                f"{model_trace.used_source or 'no'} URL, not as documented: {describe_outcome(model_trace)}")


@then(parsers.parse('the revocation result is "{result}"'))
def _model_result(model_trace, result):
    from wscard.pki.ocsp import describe_outcome

    expect_that(model_trace.result == result,
                f"the revocation result is {model_trace.result!r}, not {result!r}: {describe_outcome(model_trace)}")


@then(parsers.parse("the OCSP URLs {verdict} the HTTP and IANA root zone rules"))
def _model_urls(pki_model_env, model_cert, model_registered, verdict, evidence):
    from wscard.pki.environment import MODEL_REGISTRATION_URLS
    from wscard.pki import certs

    cert = pki_model_env.pki.get(model_cert).cert
    urls = [("AIA", u) for u in certs.aia(cert).ocsp]
    reg = MODEL_REGISTRATION_URLS.get(model_registered, model_registered)
    if reg:
        urls.append(("registration", reg))
    result = ocsp_checks.check_urls(urls)
    evidence.attach_json("OCSP-5 URL rules", {"urls": urls, "findings": [f.render() for f in result.findings]})
    expect_that((result.status is Status.PASSED) == (verdict == "meet"),
                f"the OCSP URLs were expected to {verdict} the rules: {[f.render() for f in result.findings]}")
