@pki @ocsp
Feature: Revocation checking follows AD Connector's documented process
  AD Connector checks every user certificate with OCSP (AWS Directory Service,
  "Certificate revocation checking process"): the OCSP URL in the certificate's AIA
  extension first; the URL given at root CA registration only if the AIA URL cannot be
  resolved or is missing; an AIA URL that resolves but does not answer fails with no
  fallback; HTTP only; DNS names under a top-level domain of the IANA root zone.
  The harness follows the same steps against a real OCSP responder and says which URL
  it used and why.

  @compliance @OCSP-1
  Scenario: The user certificate names its OCSP responder in its AIA extension
    Given the user certificates of the environment
    When the harness checks their revocation status as AD Connector does
    Then revocation checking starts with the OCSP URL in the certificate's AIA extension

  @compliance @OCSP-2
  Scenario: The registration OCSP URL is used only when the AIA URL cannot be resolved or is absent
    Given the user certificates of the environment
    When the harness checks their revocation status as AD Connector does
    Then the OCSP URL given at root CA registration is used only when the AIA URL cannot be used

  @compliance @OCSP-3
  Scenario: An AIA OCSP URL that resolves is answered by its responder
    Given the user certificates of the environment
    When the harness checks their revocation status as AD Connector does
    Then the responder named in the AIA extension answers when its name resolves

  @compliance @OCSP-4
  Scenario: The registration OCSP URL answers whenever it is needed
    Given the user certificates of the environment
    When the harness checks their revocation status as AD Connector does
    Then the OCSP URL given at root CA registration answers when it is needed

  @compliance @OCSP-5
  Scenario: Every OCSP URL is HTTP with a DNS name under an IANA root zone TLD
    Given the user certificates of the environment
    Then every OCSP URL in the certificates and the registrations is HTTP with a top-level domain of the IANA root zone

  @compliance @OCSP-6
  Scenario: The user certificate is good according to its OCSP responder
    Given the user certificates of the environment
    When the harness checks their revocation status as AD Connector does
    Then the OCSP responder answers good for every user certificate

  @compliance @OCSP-7
  Scenario: Revocation checking is in place for the kinds of authentication in use
    Given the user certificates of the environment
    When the harness checks their revocation status as AD Connector does
    Then revocation checking is possible, as pre-session authentication requires

  # Each Examples block carries the requirement its rows demonstrate (pytest-bdd turns
  # Examples tags into marks of those rows, so each row counts for its own requirement).
  @compliance @model
  Scenario Outline: The documented process, branch by branch: <case>
    Given the test certificate "<certificate>" from the test PKI
    And the root CA registration's OCSP URL is "<registered>"
    When the harness checks its revocation status as AD Connector does
    Then the process ends in the <branch> branch using the <used> URL
    And the revocation result is "<result>"
    And the OCSP URLs <url_rules> the HTTP and IANA root zone rules

    @OCSP-1
    Examples: the AIA URL is used first
      | case                 | certificate | registered     | branch | used | result | url_rules |
      | AIA present and good | user-good   | test responder | OCSP-1 | aia  | good   | meet      |

    @OCSP-2
    Examples: the registration URL is used when the AIA URL cannot be resolved or is absent
      | case                                     | certificate           | registered     | branch | used         | result | url_rules |
      | AIA absent and registered URL good       | user-aia-absent       | test responder | OCSP-2 | registration | good   | meet      |
      | AIA unresolvable and registered URL good | user-aia-unresolvable | test responder | OCSP-2 | registration | good   | meet      |

    @OCSP-3
    Examples: an AIA URL that resolves but does not answer fails, with no fallback
      | case             | certificate     | registered     | branch | used | result | url_rules |
      | AIA unresponsive | user-aia-silent | test responder | OCSP-3 | aia  | failed | meet      |

    @OCSP-4
    Examples: the registration URL is needed and unusable
      | case                                    | certificate           | registered        | branch | used         | result | url_rules |
      | registered URL missing when needed      | user-aia-unresolvable | none              | OCSP-4 | no           | failed | meet      |
      | registered URL unresolvable when needed | user-aia-absent       | unresolvable name | OCSP-4 | registration | failed | meet      |
      | registered URL unresponsive when needed | user-aia-absent       | silent responder  | OCSP-4 | registration | failed | meet      |

    @OCSP-5
    Examples: OCSP URLs must be HTTP, with a DNS name under an IANA root zone TLD
      | case         | certificate       | registered     | branch | used         | result | url_rules   |
      | HTTPS URL    | user-aia-https    | test responder | OCSP-2 | registration | good   | do not meet |
      | non-IANA TLD | user-aia-non-iana | test responder | OCSP-2 | registration | good   | do not meet |

    @OCSP-6
    Examples: revoked and unknown answers fail
      | case    | certificate  | registered     | branch | used | result  | url_rules |
      | revoked | user-revoked | test responder | OCSP-1 | aia  | revoked | meet      |
      | unknown | user-unknown | test responder | OCSP-1 | aia  | unknown | meet      |

    @OCSP-7
    Examples: no OCSP URL anywhere: no revocation checking
      | case               | certificate     | registered | branch | used | result | url_rules |
      | no OCSP URL at all | user-aia-absent | none       | OCSP-7 | no   | failed | meet      |
