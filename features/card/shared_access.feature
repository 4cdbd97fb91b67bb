@card
Feature: The card keeps working for a second, shared connection
  After login the card keeps working on the local device as well as in the WorkSpace:
  a second connection to the card works while the first one is open.

  Background:
    Given the card environment of the profile

  @CARD-4 @compliance
  Scenario: A second PKCS#11 session works while the logged-in one is open
    When the harness opens a second session while the logged-in session is open
    Then both sessions keep working

  @CARD-4 @compliance @hw
  Scenario: A second shared PC/SC connection works while the first one is open
    When the harness opens two shared PC/SC connections to the card and signs through PKCS#11 meanwhile
    Then both sessions keep working
