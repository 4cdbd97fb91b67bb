@compliance
Feature: The directory's WorkSpaces can be used with smart cards
  Read-only checks of the WorkSpaces of the directory named by the profile, against the
  WorkSpaces user guide ("WorkSpaces Client Smart Card Support", the seed), the
  WorkSpaces administration guide ("Use smart cards for authentication") and the current
  documents (WSP renamed DCV: a WorkSpace whose Protocols shows DCV streams with WSP). A
  WorkSpaces Pools directory, or one using certificate-based authentication, is out of
  scope: reported as not evaluated, never as a pass. The directory's
  registration and WorkSpaces are read once (DescribeWorkspaceDirectories,
  DescribeWorkspaces in pages of 25) and shared by these scenarios; nothing is changed.
  Where the baselines disagree, the verdict under each is attached side by side.

  Background:
    Given the WorkSpaces of the directory under test

  @WSP-1
  Scenario: Every WorkSpace of the directory streams with WSP
    Then every WorkSpace of the directory uses the WSP protocol, not PCoIP

  @WSP-2
  Scenario: The WorkSpaces run Windows or Linux, Linux on WSP only where documented
    Then every WorkSpace runs Windows or Linux, and Linux WorkSpaces on WSP are in a Region the baseline documents

  @WSP-3
  Scenario: The directory is registered with WorkSpaces and allows the users' devices
    Then the directory is registered with WorkSpaces and allows the device types the users connect from
