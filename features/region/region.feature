@compliance
Feature: Smart card authentication is available in the directory's Region
  Pre-session authentication (sign-in with the card) is documented in one Region by the
  seed documents, in six by the administration guide of 2021 and in seven by the current
  user guide (with AWS GovCloud (US-East)); in-session authentication in every Region where
  WSP (now called DCV) is supported. Pre-session rules apply only when the profile uses
  smart cards for pre-session authentication ([profile].authentication). AD Connector's
  own Region list (REGION-3) is checked with the directory (features/ad_connector); it
  is shown here for reference. The verdict under each baseline is attached side by side.

  @REGION-1
  Scenario: Pre-session smart card authentication is available in the directory's Region
    Then pre-session smart card authentication is available in the directory's Region
    And the Regions of every baseline are attached

  @REGION-2
  Scenario: In-session smart card authentication is available in the directory's Region
    Then in-session smart card authentication is available in the directory's Region
    And the Regions of every baseline are attached
