"""Step glue for features/in_session: the WorkSpace images' in-session set-up."""

from __future__ import annotations

from pytest_bdd import given, scenarios, then, when

from wscard.guest import linux, windows
from wscard.guest.describe import describe_linux, describe_windows

from .glue import shown

scenarios("in_session")


# --- the guests -----------------------------------------------------------------------

@given("the Linux WorkSpace image under test", target_fixture="linux_guest")
def _linux_guest(guest_linux, evidence):
    return shown(evidence, "Linux WorkSpace image", describe_linux(guest_linux), guest_linux)


@given("the Windows WorkSpace registry under test", target_fixture="windows_guest")
def _windows_guest(guest_windows, evidence):
    return shown(evidence, "Windows WorkSpace registry", describe_windows(guest_windows), guest_windows)


# --- Linux ----------------------------------------------------------------------------

@then("the user's NSS database has the OpenSC module with a library that exists")
def _session3(linux_guest, evidence):
    evidence.check(linux.check_chrome_nssdb(linux_guest))


@then("every Firefox installation loads OpenSC by policy or in the user's profiles, from a library that exists")
def _session4(linux_guest, evidence):
    evidence.check(linux.check_firefox_linux(linux_guest))


@then("the PAM stacks of sudo and sudo -i reach a smart card module without a service list excluding them")
def _session5(linux_guest, evidence):
    evidence.check(linux.check_sudo_pam(linux_guest))


@then("the image's NSS database holds the root CA registered on the directory, trusted as a CA")
def _session6(linux_guest, guest_root_ca, evidence):
    evidence.check(linux.check_image_root_ca(linux_guest, guest_root_ca))


@then("the MATE screen saver does not lock the screen")
def _session7_linux(linux_guest, evidence):
    evidence.check(linux.check_lock_screen_linux(linux_guest))


# --- the user guide's Chrome step -----------------------------------------------------------

@given("a throwaway home whose NSS database Chrome has just created", target_fixture="procedure")
def _fresh_home(throwaway_home):
    return throwaway_home


@then("the Chrome check fails and names the modutil command to run")
def _before(procedure, evidence):
    evidence.check(procedure.check_failure_names_the_command())


@when("the user runs the user guide's modutil command in that home")
def _run_command(procedure, evidence):
    evidence.attach_text(procedure.command, procedure.run_documented_command())


@then("modutil answers that the OpenSC module was added to the database")
def _added(procedure, evidence):
    evidence.check(procedure.check_added_message())


@then("the Chrome check passes for that home")
def _after(procedure, evidence):
    evidence.check(procedure.check())


# --- the card, as the browsers see it ---------------------------------------------------------

@given("a card reader with a card")
def _card(card_reader, evidence):
    evidence.attach_text("PKCS#11 slots with a token (pkcs11-tool --list-token-slots)", card_reader.slots)


@when("the certificates of every token are listed with certutil -L -h all")
def _list_all(procedure, evidence):
    evidence.attach_text("certutil -L -h all", procedure.list_all_token_certs())


@then("the card's certificates are among them")
def _card_certs(procedure, evidence):
    result = procedure.card_certificates_result()
    evidence.attach_json("certificates on the card", result.evidence)
    evidence.check(result)


# --- Windows ----------------------------------------------------------------------------

# "the users' logon certificates" is a shared step (steps/conftest.py).

@then("the WSP smart card redirection policy is enabled")
def _session9(windows_guest, evidence):
    evidence.check(windows.check_smartcard_redirection(windows_guest))


@then("Chrome needs no configuration of its own once the card reaches the WorkSpace")
def _session1(windows_guest, evidence):
    evidence.check(windows.check_chrome_windows(windows_guest))


@then("the Certificate Propagation service is set to Automatic and is running where that can be read")
def _session10(windows_guest, evidence):
    evidence.check(windows.check_certificate_propagation(windows_guest))


@then('an ECC logon certificate is allowed by the policy "Allow ECC certificates to be used for logon and '
      'authentication"')
def _uc8_windows(windows_guest, users, evidence):
    evidence.check(windows.check_ecc_logon_policy(windows_guest, [u.cert for u in users]))


@then("the Firefox SecurityDevices policy names a PKCS#11 library that exists")
def _session2(windows_guest, evidence):
    evidence.check(windows.check_firefox_windows(windows_guest))


@then("the WSP disconnect-on-lock policy is enabled")
def _session7_windows(windows_guest, evidence):
    evidence.check(windows.check_lock_windows(windows_guest))
