@pki @compliance
Feature: User certificates meet AD Connector's requirements
  The smart card logon certificates of the environment (the test user's certificate of
  the generated PKI, or the files named in [pki] user_certificates) against the AWS
  Directory Service "User certificate requirements" and the WorkSpaces administration
  guide. Read-only.

  Background:
    Given the user certificates of the environment

  @UC-1
  Scenario: The user certificate carries the AD user's UPN in its subjectAltName
    Then every user certificate carries the AD user's userPrincipalName in its subjectAltName

  @UC-2
  Scenario: The user certificate carries the Client Authentication EKU
    Then every user certificate carries the Client Authentication extended key usage

  @UC-3
  Scenario: The user certificate carries the Smart Card Logon EKU
    Then every user certificate carries the Smart Card Logon extended key usage

  @UC-4
  Scenario: The user certificate chains to the CA certificates and is within its validity period
    Then every user certificate chains to the CA certificates and is within its validity period

  @UC-8
  Scenario: The user certificate's key is RSA 2048 or more, or ECC P-256 or P-384
    Then every user certificate has an RSA key of 2048 bits or more, or an ECC key on P-256 or P-384
