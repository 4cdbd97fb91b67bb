"""Step glue for features/ad_connector: each step calls one library function."""

from __future__ import annotations

from pytest_bdd import given, parsers, scenarios, then, when

from wscard.aws import ad_connector as adc
from wscard.aws import procedure as proc
from wscard.pki.environment import ca_file_result

scenarios("ad_connector")


# --- compliance (read-only) ----------------------------------------------------------

# "the directory under test" is a shared step (steps/conftest.py).

@then("the directory is an AD Connector")
def _is_ad_connector(directory, evidence):
    evidence.check(adc.check_directory_type(directory.snapshot))


@then("the directory's Region is one where AD Connector offers smart card authentication")
def _region(directory, evidence):
    evidence.check(adc.check_region(directory.snapshot))


@then("the issuing CA is registered as ClientCertAuth with the OCSP URL the profile expects")
def _issuing_ca_ocsp(directory, ca_chain, profile, evidence):
    evidence.check(adc.check_issuing_ca_ocsp(directory.snapshot, ca_chain, profile.aws.ocsp_url))


@then("every CA certificate registration shows the state Registered")
def _states(directory, profile, evidence):
    evidence.check(adc.check_registration_states(directory.snapshot, directory.ds,
                                                 profile.aws.registration_timeout_seconds))


@then("every CA certificate of the users' chain is a CA certificate in PEM format")
def _pem(pki, evidence):
    evidence.check(ca_file_result(pki, "CA-3"))


@then("no registered CA certificate expires within 90 days")
def _expiry_margin(directory, evidence):
    evidence.check(adc.check_expiry_margin(directory.snapshot))


@then("every CA certificate from the issuing CA up to the root is registered and Registered")
def _chain_registered(directory, ca_chain, evidence):
    for entry in ca_chain:
        evidence.attach_pem(f"CA certificate {entry.name}", entry.pem)
    evidence.check(adc.check_chain_registered(directory.snapshot, ca_chain))


@then("the directory holds no more than 100 CA certificates, with room for a renewed chain")
def _count(directory, ca_chain, evidence):
    evidence.check(adc.check_certificate_count(directory.snapshot, len(ca_chain)))


@then("no CA certificate of the users' chain is signed with RSASSA-PSS")
def _pss(pki, evidence):
    evidence.check(ca_file_result(pki, "CA-7"))


@then("describe-certificate shows each registered CA certificate's details with its expiry")
@then("no registered CA certificate expires within the profile's warning period")
def _details(directory, profile, evidence):
    evidence.check(adc.check_details_and_expiry_warning(directory.snapshot, profile.aws.ca_expiry_warning_days))


@then("describe-client-authentication-settings shows smart card authentication Enabled")
def _enabled(directory, evidence):
    evidence.check(adc.check_smart_card_enabled(directory.snapshot))


@then("the enabled client authentication type suits the profile's use of smart cards")
def _pre_session(directory, profile, evidence):
    evidence.check(adc.check_pre_session_type(directory.snapshot, profile.profile.authentication))


# --- procedure (changes state) ---------------------------------------------------------

# open_scratch, aws_api_calls, "the request succeeds" and "the request is refused with
# {code}" are shared with the WorkSpaces procedures (steps/conftest.py).

@given("a scratch AD Connector directory", target_fixture="sandbox")
def _sandbox(open_scratch):
    return open_scratch(proc.open_sandbox)


@given(parsers.parse("a scratch AD Connector directory in {region}"), target_fixture="sandbox")
def _sandbox_in(open_scratch, region):
    return open_scratch(proc.open_sandbox, region=region)


@given(parsers.re(r"a scratch (?P<dir_type>MicrosoftAD|SimpleAD) directory"), target_fixture="sandbox")
def _sandbox_of_type(open_scratch, dir_type):
    return open_scratch(proc.open_sandbox, dir_type=dir_type)


@given(parsers.re(r"(?P<operation>registration|deregistration)s in the simulated service take "
                  r"(?P<seconds>[0-9.]+) seconds"), converters={"seconds": float})
def _delay(sandbox, operation, seconds):
    sandbox.simulate_delay(operation, seconds)


@given("the root CA certificate is registered")
def _root_registered(sandbox, ca_chain, evidence, aws_api_calls):
    evidence.check(proc.expect_ok(sandbox.register(ca_chain[-1].pem.decode())))


@given(parsers.parse("{count:d} CA certificates are registered"))
def _n_registered(sandbox, count, evidence, profile):
    cas, made = proc.throwaway_cas_for_limit(profile, count)
    evidence.check(made)
    for entry in cas:
        evidence.check(proc.expect_ok(sandbox.register(entry.pem.decode())))


@given("smart card authentication is enabled")
def _enabled_given(sandbox, evidence):
    evidence.check(proc.expect_ok(sandbox.enable("SmartCard")))


@when(parsers.parse('I register the root CA certificate as ClientCertAuth with the OCSP URL "{url}"'))
def _register_with_ocsp(sandbox, ca_chain, url, aws_api_calls):
    sandbox.register(ca_chain[-1].pem.decode(), ocsp_url=url)


@when("I register the root CA certificate")
@when("I register the root CA certificate again")
def _register_root(sandbox, ca_chain, aws_api_calls):
    sandbox.register(ca_chain[-1].pem.decode())


@when(parsers.parse("I register {data} as a CA certificate"))
def _register_invalid(sandbox, ca_chain, data, aws_api_calls):
    inputs = proc.invalid_inputs(ca_chain[-1].pem.decode(), proc.pem_text(proc.make_end_entity("wscard end entity")))
    sandbox.register(inputs[data])


@when(parsers.parse("I register a CA certificate that expires in {days:d} days"))
def _register_expiring(sandbox, days, aws_api_calls):
    sandbox.register(proc.pem_text(proc.make_ca(f"wscard expiring in {days} days", days)))


@when("I register a CA certificate signed with RSASSA-PSS")
def _register_pss(sandbox, aws_api_calls):
    sandbox.register(proc.pem_text(proc.make_ca("wscard RSASSA-PSS CA", 3650, pss=True)))


@when("I register one more CA certificate")
def _register_one_more(sandbox, aws_api_calls):
    sandbox.register(proc.pem_text(proc.make_ca("wscard one CA certificate too many", 3650)))


@when("I describe the certificate")
def _describe(sandbox, aws_api_calls):
    sandbox.describe_certificate()


@when("I deregister the certificate")
def _deregister(sandbox, aws_api_calls):
    sandbox.deregister()


@when("I enable smart card authentication")
def _enable(sandbox, aws_api_calls):
    sandbox.enable("SmartCard")


@when("I disable smart card authentication")
def _disable(sandbox, aws_api_calls):
    sandbox.disable("SmartCard")


@then("the registration returns a certificate ID")
def _returns_id(sandbox, evidence):
    evidence.check(proc.expect_certificate_id(sandbox.last))


@then(parsers.parse('describe-certificate shows the OCSP URL "{url}"'))
def _shows_ocsp(sandbox, url, evidence):
    evidence.check(proc.expect_certificate_field(sandbox.describe_certificate(),
                                                 ("ClientCertAuthSettings", "OCSPUrl"), url))


@then(parsers.parse("the certificate shows Registering, then Registered within {seconds:d} seconds"))
def _registering_then_registered(sandbox, seconds, evidence):
    evidence.check(proc.expect_registration_progress(sandbox, seconds))


@then("it shows the certificate ID, common name, type, state, registration date and expiry date of the root CA certificate")
def _details_shown(sandbox, ca_chain, evidence):
    evidence.check(proc.expect_certificate_details(sandbox.last, ca_chain[-1].cert))


@then("the certificate is still listed")
def _still_listed(sandbox, evidence):
    evidence.check(proc.expect_listed(sandbox, True))


@then("the certificate is no longer listed")
def _not_listed(sandbox, profile, evidence):
    evidence.check(proc.expect_listed(sandbox, False, timeout=profile.aws.registration_timeout_seconds))


@then(parsers.parse("the certificate shows Deregistering, then Deregistered within {seconds:d} seconds"))
def _deregistering_then_deregistered(sandbox, seconds, evidence):
    evidence.check(proc.expect_deregistration_progress(sandbox, seconds))


@then("the answer is HTTP 200 with an empty body")
def _empty_200(sandbox, evidence):
    evidence.check(proc.expect_empty_200(sandbox.last))


@then(parsers.parse("the client authentication settings show SmartCard {status}"))
def _settings_show(sandbox, status, evidence):
    evidence.check(proc.expect_client_auth(sandbox, "SmartCard", status))


@then(parsers.parse("the outcome is {outcome}"))
def _outcome(sandbox, outcome, evidence):
    evidence.check(proc.expect_outcome(sandbox.last, outcome))
