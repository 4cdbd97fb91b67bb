Feature: Kerberos constrained delegation for the AD Connector service account
  Step 1 of "Enable smart card authentication" (AWS Directory Service admin guide): the
  AD Connector service account gets a service principal name, is trusted for delegation
  to the ldap service of every domain controller with any authentication protocol, and
  the domain controllers carry certificates with the KDC Authentication EKU (WorkSpaces
  administration guide). Read-only: the directory is read over LDAP (TLS), and the KDC is
  asked for tickets on behalf of a test user, which proves the delegation works.

  Background:
    Given the Active Directory domain behind the AD Connector

  @KCD-1 @ad @compliance
  Scenario: setspn -s: the service account has a service principal name that no other account holds
    Given the AD Connector service account
    Then the service account has a service principal name that no other account in the forest holds

  @KCD-2 @ad @compliance
  Scenario: Delegation tab: trust this user for delegation to specified services only, using any authentication protocol
    Given the AD Connector service account
    Then the account is trusted for delegation to specified services only, with any authentication protocol
    When the service account asks the KDC for tickets to the listed ldap services on behalf of a user
    Then the KDC issues a ticket to the domain controller's ldap service through protocol transition
    And the KDC refuses to delegate to a service that is not listed

  @KCD-3 @ad @compliance
  Scenario: Add the domain controller and choose the ldap service type
    Given the AD Connector service account
    Then the delegation targets include the ldap service of a domain controller

  @KCD-3 @ad @compliance
  Scenario: Repeat the delegation for every domain controller of the domain
    Given the AD Connector service account
    And the domain controllers of the domain
    Then the ldap service of every domain controller is a delegation target
    When the service account asks the KDC for tickets to the listed ldap services on behalf of a user
    Then the KDC issues a ticket to the ldap service of every domain controller

  @KCD-4 @ad @compliance
  Scenario: Domain controllers carry certificates with the KDC Authentication EKU
    Given the domain controllers of the domain
    When the harness reads the certificate each domain controller presents on LDAPS
    Then every domain controller's certificate has the KDC Authentication EKU
