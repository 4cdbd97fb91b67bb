@SESSION-8 @compliance
Feature: The session is limited by the Kerberos maximum service ticket lifetime
  A pre-session (smart card) WorkSpaces session is limited by the Kerberos maximum
  service ticket lifetime, 10 hours by default (WorkSpaces administration guide). The
  figure is reported, not judged: with a domain, the harness asks its KDC for a
  ticket-granting ticket and a service ticket as the AD Connector service account
  (MIT kinit and kvno, private configuration) and reads the lifetimes granted; without
  one, the documented default is reported. A lifetime shorter than a working day
  ([login].session_hours_needed) is a warning; so is a domain whose lifetimes cannot be
  read.

  @ad
  Scenario: The domain's KDC grants service tickets for the session's length
    Given the Active Directory domain behind the AD Connector, as the AD area reads it
    When the harness asks the domain's KDC for a service ticket and reads its lifetime
    Then the maximum service ticket lifetime is reported, with a warning if it is shorter than a working day

  Scenario: Without a domain, the documented session limit is reported
    When the profile has no domain the harness can read
    Then the documented maximum service ticket lifetime is reported
