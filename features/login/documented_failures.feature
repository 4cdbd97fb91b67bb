@model @card @procedure
Feature: Each documented sign-in failure, on a scratch model world of its own
  Model cases: the compliant model world (the embedded profile's test PKI and settings: a
  scratch AD Connector made through the simulated AWS API, a scratch SoftHSM card with its
  own PIN guard and a retry counter of 3, a WorkSpaces Windows client 5.22.1 on 64-bit
  Windows) with exactly one thing broken. Each row shows that the model client stops
  where the user guide says, with its message, whatever the environment under test is.
  They build scratch directories, so they run in the simulated world only.

  Scenario Outline: <case>: the sign-in stops with the documented message
    Given a scratch model world in which <case>
    When the user signs in with the model client in that world
    Then the sign-in stops at "<step>" with the documented message "<message>"
    And the card's PIN retry counter is <counter>

    @LOGIN-1
    Examples: "Insert your smart card" does not appear
      | case                                                      | step                   | message                                                  | counter   |
      | the registration code is wrong                            | Register               | verify that you've entered the correct registration code | unchanged |
      | smart card authentication is not enabled on the directory | Insert your smart card | contact your WorkSpaces administrator for help           | unchanged |
      | the Windows client is version 3.1.0                       | Insert your smart card | contact your WorkSpaces administrator for help           | unchanged |
      | the client runs on 32-bit Windows                         | Insert your smart card | contact your WorkSpaces administrator for help           | unchanged |
      | the user's WorkSpace streams with PCoIP                   | Insert your smart card | contact your WorkSpaces administrator for help           | unchanged |

    @LOGIN-2
    Examples: the sign-in fails after the certificate is chosen
      | case                                              | step                      | message                                                                | counter       |
      | the issuing CA is not registered on the directory | validates the certificate | close and reopen the WorkSpaces client application, and then try again | unchanged     |
      | the user certificate is revoked                   | validates the certificate | close and reopen the WorkSpaces client application, and then try again | unchanged     |
      | the user enters a wrong PIN                       | Smart Card dialog         | close and reopen the WorkSpaces client application, and then try again | one try lower |

    @LOGIN-2
    Examples: the Windows client registers, but the WorkSpace refuses the device type or its Windows logon cannot use the card
      | case                                                                        | step               | message                                                                | counter   |
      | the directory denies Windows devices                                        | Starting WorkSpace | close and reopen the WorkSpaces client application, and then try again | unchanged |
      | smart card redirection is off in the Windows WorkSpace                      | Starting WorkSpace | close and reopen the WorkSpaces client application, and then try again | unchanged |
      | the Certificate Propagation service is set to Manual in the Windows WorkSpace | Starting WorkSpace | close and reopen the WorkSpaces client application, and then try again | unchanged |

  @LOGIN-3
  Scenario: A sign-in that fails before the PIN costs no try, and the reopened client signs in
    Given a scratch model world in which the registration code is wrong
    When the user signs in with the model client in that world
    And the user closes and reopens the model client and enters the right registration code
    Then the failed sign-in cost no PIN try and the reopened client signs in

  @LOGIN-3
  Scenario: A wrong PIN costs exactly one try, leaves the card unlocked, and the harness stops
    Given a scratch model world in which the user enters a wrong PIN
    When the user signs in with the model client in that world
    And the user closes and reopens the model client and tries again
    Then the wrong PIN cost exactly one try, the card is not locked, and no second PIN was sent
