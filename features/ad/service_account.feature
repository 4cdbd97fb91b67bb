Feature: AD Connector signs in with the service account's sAMAccountName
  AD Connector is given the service account's user name when it is created (or when its
  credentials are updated); the current AWS documents ask for the account's
  sAMAccountName, which holds at most 20 characters. A userPrincipalName, a longer user
  logon name whose pre-Windows 2000 name was cut to 20 characters, or a display name is
  not it. The name is read from AWS (DescribeDirectories ConnectSettings.CustomerUserName)
  and looked up in the domain over LDAP. Read-only.

  Background:
    Given the Active Directory domain behind the AD Connector

  @KCD-5 @ad @compliance
  Scenario: The service account user name given to AD Connector is its sAMAccountName
    Given the user name AD Connector signs in with (DescribeDirectories ConnectSettings.CustomerUserName)
    Then it is the sAMAccountName of an account of the domain, at most 20 characters long
