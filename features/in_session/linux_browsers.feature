@guest
Feature: Smart cards in Chrome and Firefox on Linux WorkSpaces
  The user guide's Linux steps (S-CLIENT): Chrome uses the PKCS#11 modules of the user's
  NSS database (~/.pki/nssdb), where the user registers OpenSC with
  modutil -dbdir sql:.pki/nssdb/ -add "OpenSC" -libfile /lib64/opensc-pkcs11.so;
  Firefox loads OpenSC as a security device, by hand or by a SecurityDevices entry in
  policies.json (S-ADMIN). The harness reads the WorkSpace image from its root path
  (/ inside the WorkSpace) with modutil and certutil, and changes nothing.

  Background:
    Given the Linux WorkSpace image under test

  @SESSION-3 @compliance
  Scenario: OpenSC is registered in the user's NSS database
    Then the user's NSS database has the OpenSC module with a library that exists

  @SESSION-4 @compliance
  Scenario: Firefox loads OpenSC as a security device
    Then every Firefox installation loads OpenSC by policy or in the user's profiles, from a library that exists
