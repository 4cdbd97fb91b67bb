@compliance
Feature: The AD Connector directory is ready for smart card sign-in
  Read-only checks of the directory named by the profile, against the AWS Directory
  Service admin guide ("Enable smart card authentication", steps 2 and 3, and its CA
  certificate prerequisites) and the WorkSpaces administration guide. They run on the
  simulated world and on a live account alike; nothing is changed.

  Background:
    Given the directory under test

  @AUTH-4
  Scenario: The directory is an AD Connector
    Then the directory is an AD Connector

  @REGION-3
  Scenario: AD Connector offers smart card authentication in the directory's Region
    Then the directory's Region is one where AD Connector offers smart card authentication

  @CA-1
  Scenario: The issuing CA is registered for client certificate authentication with its OCSP URL
    Then the issuing CA is registered as ClientCertAuth with the OCSP URL the profile expects

  @CA-2
  Scenario: Every CA certificate registration has reached Registered
    Then every CA certificate registration shows the state Registered

  @CA-3
  Scenario: The CA certificates to register are PEM-encoded CA certificates
    Then every CA certificate of the users' chain is a CA certificate in PEM format

  @CA-4
  Scenario: No registered CA certificate is within 90 days of expiry
    Then no registered CA certificate expires within 90 days

  @CA-5
  Scenario: Every CA certificate from the issuing CA up to the root is registered
    Then every CA certificate from the issuing CA up to the root is registered and Registered

  @CA-6
  Scenario: The directory stays within the limit of 100 CA certificates
    Then the directory holds no more than 100 CA certificates, with room for a renewed chain

  @CA-7
  Scenario: No CA certificate of the chain is signed with RSASSA-PSS
    Then no CA certificate of the users' chain is signed with RSASSA-PSS

  @CA-8
  Scenario: Registered CA certificates show their details and none is close to expiry
    Then describe-certificate shows each registered CA certificate's details with its expiry
    And no registered CA certificate expires within the profile's warning period

  @AUTH-3
  Scenario: Smart card authentication is enabled on the directory
    Then describe-client-authentication-settings shows smart card authentication Enabled

  @AUTH-5
  Scenario: Pre-session sign-in uses smart card only, not smart card or password
    Then the enabled client authentication type suits the profile's use of smart cards
