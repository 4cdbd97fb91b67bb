@guest
Feature: A Linux WorkSpace image set up for smart cards
  The administration guide's steps for Linux WorkSpaces (S-ADMIN): enable_smartcard
  imports the root CA (PEM) into the image's NSS database and installs pam_pkcs11, so
  that users with administrative rights can use the card for sudo and sudo -i (S-CLIENT);
  an optional pam_succeed_if service list in /etc/pam.d/system-auth limits which services
  may use the card; the lock screen is disabled, since a card cannot unlock it. Images built
  on SSSD (RHEL and Rocky 8 and 9, authselect's sssd profile with smart cards) use pam_sss
  with certificate authentication instead of pam_pkcs11: either is a smart card module.

  Background:
    Given the Linux WorkSpace image under test

  @SESSION-5 @compliance
  Scenario: sudo and sudo -i accept the smart card
    Then the PAM stacks of sudo and sudo -i reach a smart card module without a service list excluding them

  @SESSION-6 @compliance
  Scenario: The image's NSS database holds the root CA the directory trusts
    Then the image's NSS database holds the root CA registered on the directory, trusted as a CA

  @SESSION-7 @compliance
  Scenario: The Linux lock screen is disabled
    Then the MATE screen saver does not lock the screen
