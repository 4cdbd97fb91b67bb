@card
Feature: The user unlocks the card with a PIN, and a wrong PIN does not lock it
  The user unlocks the card with a PIN; a wrong PIN fails without locking the card. The
  harness reads the retry counter before any PIN, never sends a PIN when one try or fewer
  is left, and after one wrong PIN makes no further attempt in the run. The PIN comes from
  $SMARTCARD_PIN or a prompt and never appears in a log, an attachment or a report.

  Background:
    Given the card environment of the profile

  @CARD-3 @compliance
  Scenario: The PIN unlocks the card, without risking its last try
    When the harness logs in to the card with the user's PIN
    Then the card accepts the PIN and no last try was risked

  @CARD-3 @compliance @hw
  Scenario: The card reports its PIN retry counter without consuming a try
    When the harness reads the PIN retry counter over the card edge twice
    Then the counter is unchanged and more than one try is left

  @CARD-3 @procedure @hw
  Scenario: A wrong PIN fails cleanly and costs exactly one try
    When the harness sends a deliberately wrong PIN to a scratch virtual card of the same type
    Then the wrong PIN is refused and costs exactly one try, without locking the card
