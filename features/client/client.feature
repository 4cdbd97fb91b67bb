@compliance
Feature: The WorkSpaces client application supports smart cards
  The client a user signs in with, as the profile's [client] section describes it or as
  detected on this machine (detect = true: Windows registry uninstall entries, the macOS
  application bundle, the Linux package database), against the WorkSpaces user guide
  (seed), the administration guide and the current documents (where the smart card page and
  the DCV protocol page give different minimums, the higher one, with both sources).
  Versions compare numerically (3.1.10 is later than 3.1.9). The verdict under each baseline
  is attached side by side.

  Background:
    Given the WorkSpaces client under test

  @CLIENT-1
  Scenario: The WorkSpaces Windows client is version 3.1.1 or later
    Then the Windows client is version 3.1.1 or later

  @CLIENT-2
  Scenario: The Windows client runs on 64-bit Windows
    Then the Windows client runs on a 64-bit version of Windows

  @CLIENT-3
  Scenario: The client application is one that supports smart cards under the baseline
    Then the client application supports smart cards under the selected baseline

  @CLIENT-4
  Scenario: Linux WorkSpaces on WSP are reached with the Windows client
    Given the WorkSpaces of the directory under test
    Then the client user's Linux WorkSpaces on WSP are reached with the Windows client

  @CLIENT-5
  Scenario: Users of a smart card directory are not sent to the web client
    Given the WorkSpaces of the directory under test
    Then a smart card directory that allows Web Access is reported with the clients that support smart cards
