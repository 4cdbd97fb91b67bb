@model @card
Feature: Pre-session sign-in with a smart card, through a model of the documented client
  A MODEL of the WorkSpaces Windows client, not the real client: it follows the steps of
  the WorkSpaces user guide ("Use a Smart Card to Log In to Your WorkSpace") against this
  environment's directory, WorkSpaces, card and PKI. The registration code is looked up
  with DescribeWorkspaceDirectories; "Insert your smart card" appears only when that
  directory has smart card authentication enabled and the client is eligible (the
  CLIENT, REGION and WSP checks decide); the card's certificates are listed through
  PKCS#11; the PIN unlocks the card through the harness's PIN guard; the directory's
  side is a model of AD Connector's documented validation (proof of possession over a
  fresh challenge, chain to the registered CA certificates, UPN, EKUs, OCSP); the second
  PIN prompt on "Starting WorkSpace" reuses the unlocked card (no second VERIFY). The
  flow runs once per run, and once more in a reopened client; every step is attached.

  Background:
    Given the model of the WorkSpaces client on this environment

  @LOGIN-1 @compliance
  Scenario: After the registration code, "Insert your smart card" is offered
    When the user opens the client and enters the registration code
    Then "Insert your smart card" appears: the directory has smart card authentication enabled and the client is eligible

  @LOGIN-2 @compliance
  Scenario: The user picks the certificate, enters the PIN twice, and the WorkSpace starts
    When the user signs in with the smart card
    Then the certificate is chosen, the PIN unlocks the card, the directory accepts the certificate, and the WorkSpace starts after the second PIN prompt

  @LOGIN-3 @compliance
  Scenario: A failed sign-in can be retried after reopening the client, and never leaves the card locked
    When the user signs in with the smart card
    And the user closes and reopens the client and tries again
    Then the card is not locked, a wrong PIN cost at most one try, and no PIN was sent again after a wrong one
