"""What card is this? "PIV", "CAC", "CAC with PIV endpoint" or "other", with its
identity (CHUID/FASC-N/GUID or CAC card ID) and its certificates by slot.

Read-only: SELECT, GET DATA, CAC READ FILE and GET PROPERTIES only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from wscard.pki import certs

from . import cac, piv
from .apdu import ApduError
from .transport import CardConnection

PIV, CAC, DUAL, OTHER = "PIV", "CAC", "CAC with PIV endpoint", "other"
SUPPORTED = (PIV, CAC, DUAL)
SMART_CARD_LOGON = certs.OID_SMART_CARD_LOGON


def has_logon_eku(cert: x509.Certificate) -> bool:
    """Does the certificate carry the Smart Card Logon EKU? False when it has no EKU, or
    when its extensions cannot be parsed (``describe_certificate`` records why)."""
    try:
        return SMART_CARD_LOGON.dotted_string in (certs.ekus(cert) or [])
    except ValueError:
        return False


def describe_certificate(cert: x509.Certificate) -> dict[str, Any]:
    """The facts of a card certificate the card checks report: ``{"subject", "issuer",
    "serial" (hex), "not_after" (ISO 8601), "smart_card_logon": bool, "client_auth": bool}``
    (:func:`wscard.pki.certs.identity_facts` plus the two EKUs of UC-3, RFC 5280 section
    4.2.1.12), with ``"problem"`` when the extensions cannot be parsed. Never raises for
    the certificate's extensions."""
    problem = ""
    try:
        ekus = certs.ekus(cert) or []
    except ValueError as exc:  # cryptography parses extensions lazily
        ekus, problem = [], f"the extensions cannot be parsed ({exc})"
    return {
        **certs.identity_facts(cert),
        "smart_card_logon": SMART_CARD_LOGON.dotted_string in ekus,
        "client_auth": certs.OID_CLIENT_AUTH.dotted_string in ekus,
        **({"problem": problem} if problem else {}),
    }


@dataclass
class SlotCert:
    """A certificate on the card and where it sits (PIV slot, or the PIV slot the CAC
    applet maps to: ID certificate = 9A)."""

    slot: str
    cert: x509.Certificate
    where: str = ""

    @property
    def logon(self) -> bool:
        return has_logon_eku(self.cert)

    @property
    def pem(self) -> bytes:
        return certs.to_pem(self.cert)

    def summary(self) -> dict[str, Any]:
        return {"slot": self.slot, "where": self.where, **describe_certificate(self.cert)}


@dataclass(frozen=True)
class SignatureProof:
    """The facts of UC-6 (proof of possession): the card's signature over a fresh random
    challenge with the private key of its logon certificate.

    ``slot_cert`` is None when the card holds no certificate (nothing was signed);
    ``signature`` is None when the card did not sign, and ``error`` then says why
    (``"ExceptionName: message"``, or the transport's message; "" when it signed);
    ``verified`` is True only when the signature verifies with the certificate's public key
    (:func:`hardware.piv.verify_signature`); ``sign_ms`` is how long the signature took in
    milliseconds, where it was measured (the PKCS#11 path), else None.
    """

    slot_cert: SlotCert | None
    challenge: bytes
    signature: bytes | None = None
    verified: bool = False
    error: str = ""
    sign_ms: float | None = None

    def as_evidence(self) -> dict[str, Any]:
        """The evidence a UC-6 result carries: ``challenge`` and ``signature`` as hex (the
        signature None when there is none), ``verified``, the ``certificate``'s summary when
        there is one, and ``sign_ms`` rounded to 0.01 ms when measured."""
        out: dict[str, Any] = {"challenge": self.challenge.hex(),
                               "signature": self.signature.hex() if self.signature else None,
                               "verified": self.verified}
        if self.slot_cert is not None:
            out["certificate"] = self.slot_cert.summary()
        if self.sign_ms is not None:
            out["sign_ms"] = round(self.sign_ms, 2)
        return out


@dataclass
class SlotProblem:
    """A certificate object the harness could not turn into a certificate.

    ``state`` ``undecodable``: the object is there but cannot be decoded (OpenSC cannot
    read it either: a finding for the slot, UC-5); ``unknown`` / ``protected``: the card's
    answer does not say what the slot holds (nothing is concluded)."""

    slot: str
    where: str
    state: str
    problem: str

    def summary(self) -> dict[str, Any]:
        return {"slot": self.slot, "where": self.where, "state": self.state, "problem": self.problem}


@dataclass
class CardIdentity:
    type: str
    reader: str
    atr: str
    serial: str = ""
    piv: dict[str, Any] = field(default_factory=dict)
    cac: dict[str, Any] = field(default_factory=dict)
    certificates: list[SlotCert] = field(default_factory=list)
    #: certificate objects present but not decoded, or whose reading gave an unknown answer
    problems: list[SlotProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return self.type in SUPPORTED

    def summary(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "reader": self.reader,
            "atr": self.atr,
            "serial": self.serial,
            "piv": self.piv,
            "cac": self.cac,
            "certificates": [c.summary() for c in self.certificates],
            "certificate_problems": [p.summary() for p in self.problems],
            "notes": self.notes,
        }


def _slot_problem(slot: str, where: str, obj: Any) -> SlotProblem | None:
    if obj.state in ("undecodable", "unknown", "protected"):
        problem = obj.problem or ("the card wants the PIN before it shows the object (6982)"
                                  if obj.state == "protected" else obj.state)
        return SlotProblem(slot, where, obj.state, problem)
    return None


def _cac_part(conn: CardConnection) -> tuple[dict[str, Any], list[SlotCert], bool, list[SlotProblem]]:
    card = cac.CacCard(conn)
    info: dict[str, Any] = {}
    ccc = None
    try:
        ccc = card.ccc()
    except (ApduError, ValueError):
        ccc = None
    indexes: list[int] = []
    if ccc is not None:
        info.update(ccc.summary())
        info["container"] = "CCC"
        indexes = [aid[6] for aid in ccc.pki_aids if aid[:6] == cac.CAC_RID + b"\x01"]
    elif card.has_aca():
        info["container"] = "ACA"
    if not indexes:
        indexes = card.find_pki_applets()
        if indexes and "container" not in info:
            info["container"] = "PKI applets only"
    found = bool(info.get("container")) or bool(indexes)
    certs = []
    problems = []
    for i in indexes:
        label = cac.PKI_LABELS[i] if i < len(cac.PKI_LABELS) else f"PKI applet {i}"
        slot, where = cac.INDEX_TO_SLOT.get(i, f"CAC-{i}"), f"CAC {label}"
        obj = card.certificate_object(i)
        if obj.cert is not None:
            certs.append(SlotCert(slot, obj.cert, where))
        elif (p := _slot_problem(slot, where, obj)) is not None:
            problems.append(p)
    return info, certs, found, problems


def identify(conn: CardConnection, reader: str = "", atr: bytes = b"") -> CardIdentity:
    """What card answers on ``conn`` (a PC/SC connection to ``reader``, whose ``atr`` is
    given as read): PIV when it selects the PIV application (SP 800-73-4 part 2; DUAL when
    its CCC or the CAC applets also mark it a CAC), else CAC when the CAC applets answer,
    else OTHER; with the serial (CHUID GUID, else FASC-N), the discovery object, CHUID and
    CCC summaries, the certificates by slot, and notes and problems of objects that could
    not be read. Reads only (SELECT, GET DATA): never verifies a PIN, never writes."""
    ident = CardIdentity(OTHER, reader or conn.name, atr.hex().upper())
    p = piv.PivCard(conn)
    if p.try_select():
        ident.type = PIV
        disc = p.discovery()
        chuid = p.chuid()
        ccc = p.ccc()
        ident.piv = {
            "discovery": disc,
            "chuid": chuid.summary() if chuid else None,
            "ccc": ccc.summary() if ccc else None,
        }
        if chuid and chuid.guid and any(chuid.guid):
            ident.serial = chuid.guid_hex
        elif chuid and chuid.fascn:
            ident.serial = chuid.fascn.hex().upper()
        for slot, obj in p.certificate_objects().items():
            where = f"PIV {piv.SLOTS[slot]['name']}"
            if obj.cert is not None:
                ident.certificates.append(SlotCert(slot, obj.cert, where))
                if obj.compression:
                    ident.notes.append(f"{slot}: certificate stored {obj.compression}-compressed "
                                       f"(CertInfo {obj.certinfo:02X})" if obj.certinfo is not None else
                                       f"{slot}: certificate stored {obj.compression}-compressed (no CertInfo)")
            elif (prob := _slot_problem(slot, where, obj)) is not None:
                ident.problems.append(prob)
        cac_info, _, cac_found, _ = _cac_part(conn)
        if (ccc and ccc.cac_pki_endpoint) or cac_found:
            ident.type = DUAL
            ident.cac = cac_info
            ident.notes.append("the CCC or the CAC applets mark this as a dual CAC/PIV card")
        p.try_select()  # leave the PIV application selected
        return ident
    cac_info, certs, found, problems = _cac_part(conn)
    if found:
        ident.type = CAC
        ident.cac = cac_info
        ident.serial = cac_info.get("card_id", "")
        ident.certificates = certs
        ident.problems = problems
        return ident
    ident.notes.append("no PIV application and no CAC applets answered")
    return ident
