@card
Feature: The private key on the card matches its certificate
  Proof of possession: the card signs a fresh random challenge with the key of the logon
  certificate, and the signature verifies with the certificate's public key.

  Background:
    Given the card environment of the profile

  @UC-6 @compliance
  Scenario: The card signs a fresh challenge through PKCS#11 with the logon certificate's key
    When the card signs a fresh random challenge through PKCS#11
    Then the signature verifies with the logon certificate's public key

  @UC-6 @compliance @hw
  Scenario: The card signs a fresh challenge over its card edge with the logon certificate's key
    When the card signs a fresh random challenge over its card edge
    Then the signature verifies with the logon certificate's public key
