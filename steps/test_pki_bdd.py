"""Step glue for features/pki: user certificates, CA certificates, OCSP."""

from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from wscard.pki.environment import expect_model_branch, expect_model_result

scenarios("pki")


def _attach_trace(evidence, trace) -> None:
    evidence.attach_json(f"Revocation checking process: {trace.certificate}", trace.as_evidence())
    ex = trace.exchange
    if ex is not None and ex.request:
        evidence.attach_json(f"OCSP request to {ex.url}", ex.request)
    if ex is not None and ex.response:
        evidence.attach_json(f"OCSP response from {ex.url}", ex.response)


# --- certificates ---------------------------------------------------------------------

# "the user certificates of the environment" is a shared step (steps/conftest.py).

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


@then("revocation checking starts with the OCSP URL in the certificate's AIA extension")
def _ocsp1(pki_env, traces, evidence):
    evidence.check(pki_env.revocation_result(traces, "OCSP-1"))


@then("the OCSP URL given at root CA registration is used only when the AIA URL cannot be used")
def _ocsp2(pki_env, traces, evidence):
    evidence.check(pki_env.revocation_result(traces, "OCSP-2"))


@then("the responder named in the AIA extension answers when its name resolves")
def _ocsp3(pki_env, traces, evidence):
    evidence.check(pki_env.revocation_result(traces, "OCSP-3"))


@then("the OCSP URL given at root CA registration answers when it is needed")
def _ocsp4(pki_env, traces, evidence):
    evidence.check(pki_env.revocation_result(traces, "OCSP-4"))


@then("every OCSP URL in the certificates and the registrations is HTTP with a top-level domain of the IANA root zone")
def _ocsp5(pki_env, evidence):
    evidence.check(pki_env.check_ocsp_urls())


@then("the OCSP responder answers good for every user certificate")
def _ocsp6(pki_env, traces, evidence):
    evidence.check(pki_env.revocation_result(traces, "OCSP-6"))


@then("revocation checking is possible, as pre-session authentication requires")
def _ocsp7(pki_env, traces, evidence):
    evidence.check(pki_env.revocation_result(traces, "OCSP-7"))


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
def _model_branch(model_trace, branch, used, evidence):
    evidence.check(expect_model_branch(model_trace, branch, used))


@then(parsers.parse('the revocation result is "{result}"'))
def _model_result(model_trace, result, evidence):
    evidence.check(expect_model_result(model_trace, result))


@then(parsers.parse("the OCSP URLs {verdict} the HTTP and IANA root zone rules"))
def _model_urls(pki_model_env, model_cert, model_registered, verdict, evidence):
    evidence.check(pki_model_env.expect_model_url_rules(model_cert, model_registered, meet=verdict == "meet"))
