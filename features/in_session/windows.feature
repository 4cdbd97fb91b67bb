@guest
Feature: Smart cards inside Windows WorkSpaces
  Windows WorkSpaces get the card only when the WSP Group Policy "Enable/disable smart
  card redirection" is enabled (off by default, S-ADMIN); Chrome then needs nothing more
  (S-CLIENT). Firefox needs a PKCS#11 module registered by the SecurityDevices policy
  (Software\Policies\Mozilla\Firefox\SecurityDevices). A card cannot unlock a locked
  WorkSpace: the WSP policy "Enable/disable disconnect session on screen lock" disconnects
  instead, and the user reconnects with the card. Read from the registry (winreg inside
  the WorkSpace, or a .reg export or JSON dump elsewhere); nothing is changed.

  Background:
    Given the Windows WorkSpace registry under test

  @SESSION-1 @compliance
  Scenario: Chrome on Windows needs no configuration once the card is redirected
    Then the WSP smart card redirection policy is enabled

  @SESSION-2 @compliance
  Scenario: Firefox on Windows loads a PKCS#11 module by policy
    Then the Firefox SecurityDevices policy names a PKCS#11 library that exists

  @SESSION-7 @compliance
  Scenario: Windows WorkSpaces disconnect when the screen locks
    Then the WSP disconnect-on-lock policy is enabled
