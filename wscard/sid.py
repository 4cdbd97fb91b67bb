"""Windows security identifiers (SIDs): the string and binary forms, and the SID
extension of certificates that strong certificate mapping relies on.

* ``S-1-5-21-1004336348-1177238915-682003330-1601``: the string form (MS-DTYP 2.4.2.1);
* the binary form of ``objectSid`` over LDAP (MS-DTYP 2.4.2.2: revision, sub-authority
  count, 48-bit big-endian identifier authority, little-endian 32-bit sub-authorities);
* the SID extension ``szOID_NTDS_CA_SECURITY_EXT`` (1.3.6.1.4.1.311.25.2) that a
  Microsoft enterprise CA writes into certificates since the May 2022 updates
  (Microsoft KB5014754): a SEQUENCE of one otherName whose type is
  ``szOID_NTDS_OBJECTSID`` (1.3.6.1.4.1.311.25.2.1) and whose value is an OCTET STRING
  holding the SID in its string form.

Also the fixed SIDs of the simulated domain: the test PKI writes the test user's into
its certificate and the simulated Samba domain gives the user exactly that objectSid,
so neither has to wait for the other (the PKI and the domain are cached separately).

Pure functions, no I/O.
"""

from __future__ import annotations

import re
import struct

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

#: szOID_NTDS_CA_SECURITY_EXT (KB5014754).
OID_SID_EXTENSION = ObjectIdentifier("1.3.6.1.4.1.311.25.2")
#: szOID_NTDS_OBJECTSID, the otherName type inside the extension.
OID_NTDS_OBJECTSID = ObjectIdentifier("1.3.6.1.4.1.311.25.2.1")

#: The domain SID of the simulated domain (fixed, so that the test PKI, built before and
#: apart from the domain, can name the test user's objectSid). Any domain SID would do;
#: this is the example domain SID of Microsoft's documentation of well-known SIDs.
SIMULATED_DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"
#: Relative IDs the simulated domain gives its accounts (above the RIDs Samba's
#: provisioning hands out, 1000-1199, so they never collide).
SERVICE_ACCOUNT_RID = 1600
TEST_USER_RID = 1601

_SID = re.compile(r"S-1-(\d+)(?:-(\d+))+", re.IGNORECASE)


class SidError(ValueError):
    """Not a SID (the message says what was expected)."""


def simulated_sid(rid: int) -> str:
    """The objectSid of the simulated domain's account with relative ID ``rid``."""
    return f"{SIMULATED_DOMAIN_SID}-{rid}"


def check_sid(text: str) -> str:
    """``text`` as a canonical SID string (upper-case ``S``); raises :class:`SidError`."""
    t = (text or "").strip()
    if not _SID.fullmatch(t):
        raise SidError(f"{text!r} is not a SID (expected S-1-<authority>-<sub-authority>..., e.g. "
                       f"{simulated_sid(TEST_USER_RID)})")
    parts = t.split("-")
    if len(parts) - 3 > 15:
        raise SidError(f"{text!r} has more than 15 sub-authorities")
    return "S-" + "-".join(parts[1:])


def sid_from_bytes(data: bytes) -> str:
    """The string form of a binary SID (LDAP ``objectSid``); raises :class:`SidError`."""
    if len(data) < 8 or data[0] != 1:
        raise SidError(f"not a binary SID ({len(data)} bytes, revision {data[0] if data else '-'})")
    count = data[1]
    if len(data) != 8 + 4 * count:
        raise SidError(f"binary SID of {len(data)} bytes announces {count} sub-authorities")
    authority = int.from_bytes(data[2:8], "big")
    subs = struct.unpack(f"<{count}I", data[8:]) if count else ()
    return "S-1-" + "-".join(str(x) for x in (authority, *subs))


def sid_to_bytes(sid: str) -> bytes:
    """The binary form of a SID string; raises :class:`SidError`."""
    parts = check_sid(sid).split("-")
    authority = int(parts[2])
    subs = [int(p) for p in parts[3:]]
    if authority >= 1 << 48 or any(s >= 1 << 32 for s in subs):
        raise SidError(f"{sid!r}: a value is out of range")
    return bytes([1, len(subs)]) + authority.to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def domain_of(sid: str) -> str:
    """The domain part of an account SID (all but the last sub-authority)."""
    return check_sid(sid).rsplit("-", 1)[0]


# --- the certificate extension ----------------------------------------------------------

def extension_value(sid: str) -> bytes:
    """The DER value of the SID extension holding ``sid`` (KB5014754)."""
    from asn1crypto import core

    text = check_sid(sid).encode("ascii")
    names = x509.SubjectAlternativeName([x509.OtherName(OID_NTDS_OBJECTSID, core.OctetString(text).dump())])
    return names.public_bytes()


def sid_extension(sid: str) -> x509.UnrecognizedExtension:
    """The SID extension, for ``CertificateBuilder.add_extension(..., critical=False)``."""
    return x509.UnrecognizedExtension(OID_SID_EXTENSION, extension_value(sid))


class SidExtension:
    """The SID extension of a certificate as read: ``present``, the SIDs found, and the
    reason it could not be read (``error``) when it is malformed."""

    def __init__(self, present: bool, sids: list[str] | None = None, error: str = ""):
        self.present = present
        self.sids = sids or []
        self.error = error

    def __repr__(self) -> str:
        return f"SidExtension(present={self.present}, sids={self.sids}, error={self.error!r})"


def read_sid_extension(cert: x509.Certificate) -> SidExtension:
    """The SID extension of ``cert``. Never raises: a malformed extension is reported in
    ``error`` (and a certificate whose extensions cannot be parsed at all, too)."""
    try:
        ext = cert.extensions.get_extension_for_oid(OID_SID_EXTENSION)
    except x509.ExtensionNotFound:
        return SidExtension(False)
    except Exception as exc:  # cryptography refuses the certificate's extensions
        return SidExtension(False, error=f"the certificate's extensions cannot be read: {exc}")
    value = ext.value
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    try:
        from asn1crypto import core, x509 as ax

        names = ax.GeneralNames.load(raw)
        found = []
        for gn in names:
            if gn.name != "other_name":
                continue
            other = gn.chosen
            if other["type_id"].dotted != OID_NTDS_OBJECTSID.dotted_string:
                continue
            inner = other["value"].parsed if hasattr(other["value"], "parsed") else other["value"]
            data = inner.native if isinstance(inner, core.OctetString) else core.OctetString.load(
                inner.dump()).native
            found.append(check_sid(data.decode("ascii")))
    except Exception as exc:
        return SidExtension(True, error=f"the SID extension (1.3.6.1.4.1.311.25.2) is malformed: {exc}")
    if not found:
        return SidExtension(True, error="the SID extension (1.3.6.1.4.1.311.25.2) holds no "
                                        "szOID_NTDS_OBJECTSID (1.3.6.1.4.1.311.25.2.1) value")
    return SidExtension(True, found)
