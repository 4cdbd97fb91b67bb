"""Card access for the harness: PC/SC, the PIV and CAC card edges, PKCS#11, SoftHSM and
virtual cards. This package never imports pytest.

Layout (see docs/card.md):

* :mod:`hardware.apdu` - command/response APDUs, status words, BER-TLV and simple-TLV;
* :mod:`hardware.transport` - the transport seam (APDU in, data + SW out), the traced and
  guarded card connection, the APDU trace with PIN bytes masked;
* :mod:`hardware.pcsc` - the PC/SC transport through pyscard (Linux pcsc-lite, Windows
  WinSCard, macOS);
* :mod:`hardware.piv`, :mod:`hardware.cac`, :mod:`hardware.identify` - the PIV card edge
  (NIST SP 800-73-4), CAC identification and "what card is this";
* :mod:`hardware.pin` - where the PIN comes from, and the PIN guard;
* :mod:`hardware.pkcs11` - PKCS#11 through python-pkcs11;
* :mod:`hardware.backends` - one interface over ``softhsm``, ``virtual-piv``,
  ``virtual-cac``, ``virtual-other`` and ``pcsc``;
* :mod:`hardware.checks`, :mod:`hardware.scenarios` - CARD-1..4, UC-5 and UC-6 as
  ``CheckResult`` functions: the only modules here that judge requirements (the rest is
  card protocol and card environment; docs/ARCHITECTURE.md, "What each package may import").

Linux-only parts (:mod:`hardware.pcscd`, :mod:`hardware.softhsm`,
:mod:`hardware.virtual`) are imported only by the backends that need them, never at
start-up, so the package imports on Windows lab machines.
"""
