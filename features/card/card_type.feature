@card
Feature: The card is a CAC or PIV card
  CAC and PIV cards are supported; other card types might work but are untested, which is
  a warning, not a failure (WorkSpaces Client Smart Card Support). The harness tells them
  apart over the card edge: the PIV application (NIST SP 800-73-4), the CAC applets
  (Card Capabilities Container, Access Control Applet, PKI applets), or both (a dual
  CAC/PIV card).

  Background:
    Given the card environment of the profile

  @CARD-1 @compliance @hw
  Scenario: The card in the reader is a PIV or CAC card
    When the harness identifies the card in the reader
    Then the card is a PIV or CAC card
