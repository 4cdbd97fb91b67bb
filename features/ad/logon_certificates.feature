Feature: The domain accepts the users' logon certificates for the Windows logon inside the WorkSpace
  The second PIN prompt ("Starting WorkSpace") is a Windows smart card logon inside the
  WorkSpace: a domain controller checks the certificate itself. Its issuing CA must be in
  the forest's NTAuth store (AWS tutorial, troubleshooting: NTAuth), and since Microsoft
  KB5014754 (Full Enforcement) the certificate must be strongly mapped to the user's
  account: its SID extension (1.3.6.1.4.1.311.25.2) holds the account's objectSid, or the
  account's altSecurityIdentities holds a strong mapping of it (X509IssuerSerialNumber,
  X509SKI, X509SHA1PublicKey). The certificates are the environment's (the test PKI's, the
  files of [pki], or the card's); the directory is read over LDAP. Read-only.

  Background:
    Given the Active Directory domain behind the AD Connector
    And the users' logon certificates

  @KCD-7 @ad @compliance
  Scenario: The CA that issues the logon certificates is in the forest's NTAuth store
    When the harness reads the forest's NTAuth store
    Then the CA that issues each logon certificate is in the NTAuth store

  @UC-7 @ad @compliance
  Scenario: Each logon certificate is strongly mapped to the user's account
    Then each logon certificate carries its account's objectSid in the SID extension, or the account's altSecurityIdentities maps it strongly
