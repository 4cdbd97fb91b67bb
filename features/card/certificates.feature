@card
Feature: One logon certificate, in the PIV Authentication slot
  Only one certificate on the card can match the user for smart card logon: several
  certificates with the Smart Card Logon EKU cause failures, and the logon certificate is
  best held in the first slot, PIV Authentication (key reference 9A). On a CAC the first
  PKI applet (the ID certificate) counts as that slot.

  Background:
    Given the card environment of the profile

  @UC-5 @compliance
  Scenario: The token holds one logon certificate, in slot 9A
    When the harness lists the certificates of the card's PKCS#11 token
    Then exactly one certificate has the Smart Card Logon EKU, and it is in slot 9A

  @UC-5 @compliance @hw
  Scenario: Read over the card edge, the card holds one logon certificate, in slot 9A
    When the harness reads the certificates over the card edge
    Then exactly one certificate has the Smart Card Logon EKU, and it is in slot 9A
