@procedure
Feature: Registering CA certificates and enabling smart card authentication
  The documented procedure (AWS Directory Service admin guide, "Enable smart card
  authentication" steps 2 and 3, "Manage smart card authentication settings", and the
  API reference), each documented answer and error as its own scenario. These change
  state: they run on a scratch directory of the simulated world, or on live AWS only in
  the sandbox directory named with --allow-aws-changes (left as it was found).

  @CA-1
  Scenario: Registering a CA certificate returns a certificate ID and stores the OCSP URL
    Given a scratch AD Connector directory
    When I register the root CA certificate as ClientCertAuth with the OCSP URL "http://ocsp.pki.example.com/"
    Then the registration returns a certificate ID
    And describe-certificate shows the OCSP URL "http://ocsp.pki.example.com/"

  @CA-1
  Scenario: Registering the same CA certificate twice is refused
    Given a scratch AD Connector directory
    And the root CA certificate is registered
    When I register the root CA certificate again
    Then the request is refused with CertificateAlreadyExistsException

  @CA-2
  Scenario: A registration shows Registering, then Registered within a bounded wait
    Given a scratch AD Connector directory
    And registrations in the simulated service take 0.3 seconds
    When I register the root CA certificate
    Then the certificate shows Registering, then Registered within 30 seconds

  @CA-3
  Scenario Outline: Only CA certificates in PEM format are accepted
    Given a scratch AD Connector directory
    When I register <data> as a CA certificate
    Then the request is refused with InvalidCertificateException

    Examples:
      | data                            |
      | the CA certificate in DER form  |
      | garbage text                    |
      | a truncated PEM certificate     |
      | an end-entity certificate       |

  @CA-4
  Scenario: A CA certificate 90 days or less from expiry is refused
    Given a scratch AD Connector directory
    When I register a CA certificate that expires in 60 days
    Then the request is refused with InvalidCertificateException

  @CA-4
  Scenario: A CA certificate more than 90 days from expiry is accepted
    Given a scratch AD Connector directory
    When I register a CA certificate that expires in 120 days
    Then the registration returns a certificate ID

  @CA-6 @slow
  Scenario: At most 100 CA certificates can be registered
    Given a scratch AD Connector directory
    And 100 CA certificates are registered
    When I register one more CA certificate
    Then the request is refused with CertificateLimitExceededException

  @CA-7
  Scenario: A CA certificate signed with RSASSA-PSS is refused
    Given a scratch AD Connector directory
    When I register a CA certificate signed with RSASSA-PSS
    Then the request is refused with InvalidCertificateException

  @CA-8
  Scenario: describe-certificate shows a registered certificate's details, expiry included
    Given a scratch AD Connector directory
    And the root CA certificate is registered
    When I describe the certificate
    Then it shows the certificate ID, common name, type, state, registration date and expiry date of the root CA certificate

  @CA-9
  Scenario: The only certificate cannot be deregistered while smart card authentication is enabled
    Given a scratch AD Connector directory
    And the root CA certificate is registered
    And smart card authentication is enabled
    When I deregister the certificate
    Then the request is refused with CertificateInUseException
    And the certificate is still listed

  @CA-9
  Scenario: After disabling smart card authentication the only certificate can be deregistered
    Given a scratch AD Connector directory
    And the root CA certificate is registered
    And smart card authentication is enabled
    When I disable smart card authentication
    And I deregister the certificate
    Then the request succeeds
    And the certificate is no longer listed

  @CA-9
  Scenario: A deregistration shows Deregistering, then Deregistered within a bounded wait
    Given a scratch AD Connector directory
    And deregistrations in the simulated service take 0.3 seconds
    And the root CA certificate is registered
    When I deregister the certificate
    Then the request succeeds
    And the certificate shows Deregistering, then Deregistered within 30 seconds
    And the certificate is no longer listed

  @AUTH-1
  Scenario: Enabling smart card authentication answers HTTP 200 with an empty body
    Given a scratch AD Connector directory
    And the root CA certificate is registered
    When I enable smart card authentication
    Then the answer is HTTP 200 with an empty body

  @AUTH-2
  Scenario: Enabling is refused while no valid certificate is registered
    Given a scratch AD Connector directory
    When I enable smart card authentication
    Then the request is refused with NoAvailableCertificateException

  @AUTH-3
  Scenario: The settings show SmartCard Enabled, enabling twice is refused, disabling turns it off
    Given a scratch AD Connector directory
    And the root CA certificate is registered
    When I enable smart card authentication
    Then the client authentication settings show SmartCard Enabled
    When I enable smart card authentication
    Then the request is refused with InvalidClientAuthStatusException
    When I disable smart card authentication
    Then the client authentication settings show SmartCard Disabled

  @AUTH-4
  Scenario Outline: Directories other than AD Connector do not support smart card authentication
    Given a scratch <type> directory
    When I register the root CA certificate
    Then the request is refused with UnsupportedOperationException

    Examples:
      | type        |
      | MicrosoftAD |
      | SimpleAD    |

  @REGION-3
  Scenario Outline: Smart card authentication can be enabled only in the documented Regions
    Given a scratch AD Connector directory in <region>
    And the root CA certificate is registered
    When I enable smart card authentication
    Then the outcome is <outcome>

    Examples:
      | region         | outcome                            |
      | us-gov-west-1  | success                            |
      | us-east-1      | success                            |
      | eu-central-1   | refused with AccessDeniedException |
