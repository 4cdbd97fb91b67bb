@card
Feature: One smart card at a time
  WorkSpaces supports only one smart card at a time, for pre-session and in-session
  authentication alike (WorkSpaces Client Smart Card Support). More than one card present
  is a failure, and so is none. Under the current baseline more than one card is a warning
  ("Simultaneous use of multiple cards may work, but is not supported"); the verdict under
  each baseline is in the evidence.

  Background:
    Given the card environment of the profile

  @CARD-2 @compliance
  Scenario: Exactly one token is present through the PKCS#11 module
    When the harness counts the tokens of the PKCS#11 module
    Then exactly one card is present

  @CARD-2 @compliance @hw
  Scenario: Exactly one card is in the PC/SC readers
    When the harness counts the cards in the PC/SC readers
    Then exactly one card is present
