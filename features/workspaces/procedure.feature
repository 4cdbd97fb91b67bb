@procedure
Feature: Switching WorkSpaces to WSP and allowing device types
  The documented operations an administrator uses to put things right (WorkSpaces API
  reference: ModifyWorkspaceProperties, ModifyWorkspaceAccessProperties), each documented
  answer and error as its own scenario. These change state: they run on a scratch
  directory and WorkSpace of the simulated world, or on live AWS only in the sandbox
  directory named with --allow-aws-changes (device access put back as it was found; no
  WorkSpace is created on real AWS, so the protocol scenarios are skipped there).

  A value that breaks a constraint of the API model (an enum value in the wrong case) is
  refused, but the documents do not say with which code: AWS's service framework answers
  ValidationException, the operation's modeled error is InvalidParameterValuesException.
  Either passes; the evidence (observed_code) names the one that came.

  @WSP-1
  Scenario: A WorkSpace created with PCoIP is switched to WSP
    Given a scratch WorkSpaces directory with a PCoIP WorkSpace
    When I change the WorkSpace's protocol to WSP
    Then the request succeeds
    And DescribeWorkspaces shows the WorkSpace on WSP

  @WSP-1
  Scenario: A WorkSpace created with WSP cannot be switched to PCoIP
    Given a scratch WorkSpaces directory with a WSP WorkSpace
    When I change the WorkSpace's protocol to PCOIP
    Then the request is refused with UnsupportedWorkspaceConfigurationException
    And DescribeWorkspaces shows the WorkSpace on WSP

  @WSP-1
  Scenario Outline: The protocol can be changed only on an available WorkSpace
    Given a scratch WorkSpaces directory with a PCoIP WorkSpace that is <state>
    When I change the WorkSpace's protocol to WSP
    Then the request is refused with <error>

    Examples:
      | state    | error                         |
      | STOPPED  | InvalidResourceStateException |
      | UPDATING | OperationInProgressException  |

  @WSP-1
  Scenario Outline: The protocol names are case sensitive
    Given a scratch WorkSpaces directory with a PCoIP WorkSpace
    When I change the WorkSpace's protocol to <protocol>
    Then the request is refused with ValidationException or InvalidParameterValuesException

    Examples:
      | protocol |
      | wsp      |
      | DCV      |

  @WSP-3
  Scenario: Windows devices are allowed on a directory
    Given a scratch WorkSpaces directory
    When I allow windows devices
    Then the request succeeds
    And the directory shows DeviceTypeWindows ALLOW

  @WSP-3
  Scenario: Device access takes ALLOW or DENY only
    Given a scratch WorkSpaces directory
    When I set windows devices to "allow"
    Then the request is refused with ValidationException or InvalidParameterValuesException

  @WSP-3
  Scenario: A directory not registered with WorkSpaces has no device access to change
    Given a scratch directory that is not registered with WorkSpaces
    When I allow windows devices
    Then the request is refused with ResourceNotFoundException
