@guest
Feature: Smart cards inside Windows WorkSpaces
  Windows WorkSpaces get the card only when the WSP (DCV) Group Policy "Enable/disable
  smart card redirection" is enabled (off by default, S-ADMIN; pre-session sign-in needs it
  too, SESSION-9); Chrome then needs nothing more (S-CLIENT). The Certificate Propagation
  service (CertPropSvc) must start automatically and run (SESSION-10), and an ECC logon
  certificate needs the policy "Allow ECC certificates to be used for logon and
  authentication" (UC-8). Firefox needs a PKCS#11 module registered by the SecurityDevices policy
  (Software\Policies\Mozilla\Firefox\SecurityDevices). A card cannot unlock a locked
  WorkSpace: the WSP policy "Enable/disable disconnect session on screen lock" disconnects
  instead, and the user reconnects with the card. Read from the registry (winreg inside
  the WorkSpace, or a .reg export or JSON dump elsewhere); nothing is changed.

  Background:
    Given the Windows WorkSpace registry under test

  @SESSION-9 @compliance
  Scenario: Smart card redirection is turned on by the WSP (DCV) policy
    Then the WSP smart card redirection policy is enabled

  @SESSION-1 @compliance
  Scenario: Chrome on Windows needs no configuration once the card is redirected
    Then Chrome needs no configuration of its own once the card reaches the WorkSpace

  @SESSION-10 @compliance
  Scenario: The Certificate Propagation service starts automatically and is running
    Then the Certificate Propagation service is set to Automatic and is running where that can be read

  @UC-8 @compliance
  Scenario: ECC logon certificates are allowed at the Windows logon
    Given the users' logon certificates
    Then an ECC logon certificate is allowed by the policy "Allow ECC certificates to be used for logon and authentication"

  @SESSION-2 @compliance
  Scenario: Firefox on Windows loads a PKCS#11 module by policy
    Then the Firefox SecurityDevices policy names a PKCS#11 library that exists

  @SESSION-7 @compliance
  Scenario: Windows WorkSpaces disconnect when the screen locks
    Then the WSP disconnect-on-lock policy is enabled
