@guest
Feature: Following the user guide's Chrome step on a fresh NSS database
  The user guide (S-CLIENT) tells the user to run, in a terminal of the Linux WorkSpace:
  cd; modutil -dbdir sql:.pki/nssdb/ -add "OpenSC" -libfile /lib64/opensc-pkcs11.so
  and to expect: Module "OpenSC" added to database.
  The harness follows it on a throwaway home of the machine it runs on (never the user's),
  with the OpenSC library of that machine, and shows that its own check tells the two
  states apart. Measured: the command needs the database Chrome creates on its first
  start (without it modutil answers SEC_ERROR_BAD_DATABASE).

  @SESSION-3 @procedure
  Scenario: Registering OpenSC as the user guide says
    Given a throwaway home whose NSS database Chrome has just created
    Then the Chrome check fails and names the modutil command to run
    When the user runs the user guide's modutil command in that home
    Then modutil answers that the OpenSC module was added to the database
    And the Chrome check passes for that home
