Feature: The service account and the domain controllers share a Kerberos encryption type
  The KDC encrypts the ticket AD Connector gets for a user (S4U2Self) with a key of the
  service account, and the ticket to a domain controller's ldap service (S4U2Proxy) with a
  key of the domain controller: both must support a type the KDC allows (AWS tutorial on
  smart card authentication with Microsoft PKI, troubleshooting: "encryption types"). The
  types are read from msDS-SupportedEncryptionTypes of the account and of each domain
  controller's computer object (where it is not set, the domain's default, 0x27 per
  Microsoft KB5021131: RC4 tickets); the KDC then shows which type it used (klist -e on
  the delegation proof's tickets). AES is recommended: sharing only RC4 is a warning.

  Background:
    Given the Active Directory domain behind the AD Connector

  @KCD-6 @ad @compliance
  Scenario: The service account and every domain controller support a common encryption type
    Given the AD Connector service account
    And the domain controllers of the domain
    Then the service account and every domain controller share a Kerberos encryption type
    When the service account asks the KDC for tickets to the listed ldap services on behalf of a user
    Then the KDC issues the delegation tickets with an encryption type both sides support
