@pki @compliance
Feature: The CA certificates to register meet AD Connector's requirements
  The certificate side of the CA requirements: the CA certificates the users'
  certificates chain to, as the files an administrator uploads (the generated PKI's CA
  files, or [pki] ca_bundle). What is actually registered on the directory is checked
  by the AD Connector features. Read-only.

  Background:
    Given the CA certificates the users' certificates chain to

  @CA-3
  Scenario: The CA certificate files are PEM-encoded CA certificates
    Then every CA certificate file is a CA certificate in PEM format

  @CA-4
  Scenario: No CA certificate is within 90 days of expiry
    Then every CA certificate is more than 90 days away from expiration

  @CA-5
  Scenario: The CA certificates form a complete chain from the issuing CA to the root
    Then every user certificate has a complete chain from its issuing CA to the root among them

  @CA-7
  Scenario: No CA certificate is signed with RSASSA-PSS
    Then no CA certificate is signed with RSASSA-PSS
