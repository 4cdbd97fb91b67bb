@guest @hw @card
Feature: What Chrome and Firefox see of the card
  Chrome and Firefox reach the card through the NSS database where OpenSC is registered.
  Listing the certificates of every token of such a database (certutil -L -h all) shows
  what the browsers see. Needs a reader with a card (a real one, or the card layer's
  emulated card); skipped with the reason otherwise.

  @SESSION-3 @SESSION-4 @compliance
  Scenario: The card's certificates are visible through an NSS database where OpenSC is registered
    Given a card reader with a card
    And a throwaway home whose NSS database Chrome has just created
    When the user runs the user guide's modutil command in that home
    And the certificates of every token are listed with certutil -L -h all
    Then the card's certificates are among them
