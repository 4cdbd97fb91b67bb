"""wscard: compliance checks for smart-card (CAC/PIV) sign-in to Amazon WorkSpaces
through an AWS Directory Service AD Connector.

This package holds the non-hardware domain (AWS, PKI, profiles, client and guest
probes). It never imports pytest: the pytest-bdd glue lives in ``steps/``.
"""

__version__ = "0.1.0"
