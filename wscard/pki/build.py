"""Generation of the test PKI into a folder.

Everything here is deterministic for given settings and a given day except the key
material, which comes from a per-machine key pool (``<cache>/keys/<key_type>/``) so that
a new day or a new variant only signs certificates and never waits for RSA key
generation again. Names, serial numbers and validity periods derive from the settings
and the day.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..sid import SERVICE_ACCOUNT_RID, TEST_USER_RID, sid_extension, simulated_sid
from . import certs as C

#: Bump when the generated certificates change shape: old caches are then ignored.
GENERATOR_VERSION = 6

#: The OCSP URL of the embedded world (registered in the [aws] table of the embedded
#: profile; the simulated resolver maps its name to the local responder).
DEFAULT_OCSP_URL = "http://ocsp.pki.example.com/"
#: AIA URLs of the fixed variant user certificates used by the OCSP process scenarios.
VARIANT_URLS = {
    "user-aia-absent": "",
    "user-aia-https": "https://ocsp.pki.example.com/",
    "user-aia-unresolvable": "http://ocsp.unresolvable.pki.example.com/",
    "user-aia-silent": "http://ocsp-silent.pki.example.com/",
    "user-aia-non-iana": "http://ocsp.pki.corp/",
}
#: Fixed user certificates (compliant, default AIA URL) with a fixed OCSP status.
FIXED_USERS = {"user-good": "good", "user-revoked": "revoked", "user-unknown": "unknown"}

ORG = "WSCard Test PKI"


def user_sid(variant: str) -> str:
    """The SID the user certificate's SID extension holds for ``[pki].user_sid_extension``
    (empty: no extension)."""
    return {"account": simulated_sid(TEST_USER_RID), "other-account": simulated_sid(SERVICE_ACCOUNT_RID)}.get(
        variant, "")


def _name(cn: str, ou: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG)]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _day(now: datetime) -> datetime:
    now = now.astimezone(timezone.utc)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _serial(seed: str, name: str) -> int:
    h = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return (int.from_bytes(h[:16], "big") >> 1) | (1 << 120)


def _atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


#: Key types the generator makes (``[pki].key_type``, ``[pki].user_key_type``).
RSA_SIZES = {"rsa1024": 1024, "rsa2048": 2048, "rsa3072": 3072}
EC_CURVES = {"ec-p256": ec.SECP256R1, "ec-p384": ec.SECP384R1, "ec-p521": ec.SECP521R1}


def new_key(key_type: str):
    if key_type in RSA_SIZES:
        return rsa.generate_private_key(65537, RSA_SIZES[key_type])
    if key_type in EC_CURVES:
        return ec.generate_private_key(EC_CURVES[key_type]())
    raise ValueError(f"unknown key type {key_type!r}")


class KeyPool:
    """Private keys reused across settings and days: ``<root>/<key_type>/<role>.key.pem``."""

    def __init__(self, root: Path, key_type: str):
        self.dir = root / key_type
        self.key_type = key_type

    def path(self, role: str) -> Path:
        return self.dir / f"{role}.key.pem"

    def get(self, role: str, key_type: str = ""):
        """The key of ``role``, made once with ``key_type`` (default: the pool's)."""
        p = self.path(role)
        if p.exists():
            return serialization.load_pem_private_key(p.read_bytes(), None, unsafe_skip_rsa_key_validation=True)
        key = new_key(key_type or self.key_type)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Two workers may race here: both keys are valid, the last rename wins, and
        # both then read the file back so they agree on the key.
        _atomic_write(p, pem, 0o600)
        return serialization.load_pem_private_key(p.read_bytes(), None, unsafe_skip_rsa_key_validation=True)


def _sign(builder: x509.CertificateBuilder, key, pss: bool = False) -> x509.Certificate:
    if isinstance(key, rsa.RSAPrivateKey):
        pad = padding.PSS(padding.MGF1(hashes.SHA256()), 32) if pss else padding.PKCS1v15()
        return builder.sign(key, hashes.SHA256(), rsa_padding=pad)
    return builder.sign(key, hashes.SHA256())


def _ski(pub) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(pub)


#: keyUsage of the test CAs (RFC 5280 section 4.2.1.3): digitalSignature, keyCertSign, cRLSign.
CA_KEY_USAGE = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                             encipher_only=False, decipher_only=False)


def ca_certificate(subject: x509.Name, key, *, not_before: datetime, not_after: datetime,
                   serial: int | None = None, issuer: tuple[x509.Name, Any, x509.AuthorityKeyIdentifier] | None = None,
                   path_length: int | None = None, key_usage: x509.KeyUsage | None = CA_KEY_USAGE,
                   subject_key_id: bool = True, authority_key_id: bool = True, pss: bool = False) -> x509.Certificate:
    """The one builder of the project's CA certificates (the test PKI, its extra CAs, the
    AD Connector procedure's CAs, the guest trees' impostor CAs).

    ``key`` is the CA's private key (RSA or EC); ``issuer`` is ``(name, private key,
    authorityKeyIdentifier)`` of the issuing CA, None for a self-signed certificate (its
    AKI is then made from ``key``). ``serial`` None: a random serial. Extensions, in this
    order: basicConstraints cA true with ``path_length`` (critical), ``key_usage``
    (critical; None: none), subjectKeyIdentifier, authorityKeyIdentifier (each only when
    asked). Signed with SHA-256; an RSA issuer signs PKCS#1 v1.5, or RSASSA-PSS (salt 32
    bytes) with ``pss``. Raises what ``cryptography``'s builder raises for inconsistent
    values (ValueError, TypeError)."""
    if issuer is None:
        issuer_name, issuer_key = subject, key
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
    else:
        issuer_name, issuer_key, aki = issuer
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number() if serial is None else serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
    )
    if key_usage is not None:
        b = b.add_extension(key_usage, critical=True)
    if subject_key_id:
        b = b.add_extension(_ski(key.public_key()), critical=False)
    if authority_key_id:
        b = b.add_extension(aki, critical=False)
    return _sign(b, issuer_key, pss=pss)


class _Builder:
    def __init__(self, settings: dict[str, Any], now: datetime, pool: KeyPool, seed: str):
        self.s = settings
        self.day = _day(now)
        self.pool = pool
        self.seed = seed
        self.certs: dict[str, x509.Certificate] = {}
        self.keys: dict[str, Any] = {}
        self.key_roles: dict[str, str] = {}
        self.kinds: dict[str, str] = {}

    def key(self, role: str):
        if role not in self.keys:
            # "user-<key type>": the test user's key of its own type ([pki].user_key_type)
            own = role[len("user-"):] if role.startswith("user-") else ""
            self.keys[role] = self.pool.get(role, own)
        return self.keys[role]

    def ca(self, name: str, cn: str, issuer: str | None, not_after: datetime, pss: bool = False,
           path_length: int | None = None) -> x509.Certificate:
        key = self.key(name)
        issued_by = None
        if issuer is not None:
            ic = self.certs[issuer]
            issued_by = (ic.subject, self.keys[issuer], x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ic.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value))
        cert = ca_certificate(_name(cn), key, serial=_serial(self.seed, name),
                              not_before=self.day - timedelta(days=5 * 365), not_after=not_after,
                              issuer=issued_by, path_length=path_length, pss=pss)
        self.certs[name] = cert
        self.key_roles[name] = name
        self.kinds[name] = "ca"
        return cert

    def leaf(self, name: str, key_role: str, issuer: str, cn: str, ekus: list, *, upn: str | None = None,
             dns: list[str] | None = None, ip: bool = False, ocsp_url: str = "", validity: str = "valid",
             ocsp_nocheck: bool = False, kind: str = "user", sid: str = "") -> x509.Certificate:
        key = self.key(key_role)
        ic = self.certs[issuer]
        if validity == "expired":
            nb, na = self.day - timedelta(days=400), self.day - timedelta(days=30)
        elif validity == "not-yet-valid":
            nb, na = self.day + timedelta(days=30), self.day + timedelta(days=395)
        else:
            nb, na = self.day - timedelta(days=1), self.day + timedelta(days=365)
        na = min(na, C.not_after(ic))
        nb = min(nb, na - timedelta(days=1))
        ku_enc = isinstance(key, rsa.RSAPrivateKey) and kind != "ocsp"
        b = (
            x509.CertificateBuilder()
            .subject_name(_name(cn, ou="Users" if kind == "user" else None))
            .issuer_name(ic.subject)
            .public_key(key.public_key())
            .serial_number(_serial(self.seed, name))
            .not_valid_before(nb)
            .not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=ku_enc,
                              data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                              encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(_ski(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                    ic.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value),
                critical=False,
            )
        )
        if ekus:
            b = b.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
        san: list[x509.GeneralName] = []
        if upn:
            san.append(x509.OtherName(C.OID_UPN, C.encode_upn(upn)))
        for d in dns or []:
            san.append(x509.DNSName(d))
        if ip:
            import ipaddress

            san.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        if san:
            b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
        if ocsp_url:
            b = b.add_extension(
                x509.AuthorityInformationAccess(
                    [x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                            x509.UniformResourceIdentifier(ocsp_url))]),
                critical=False,
            )
        if ocsp_nocheck:
            b = b.add_extension(x509.OCSPNoCheck(), critical=False)
        if sid:
            b = b.add_extension(sid_extension(sid), critical=False)
        cert = _sign(b, self.keys[issuer])
        self.certs[name] = cert
        self.key_roles[name] = key_role
        self.kinds[name] = kind
        return cert

    def build_base(self) -> None:
        """Every certificate but the test user's: the CAs, the OCSP responder's, the DC's,
        and the fixed users'. They depend on :data:`~wscard.sections.pki.
        BASE_CERTIFICATE_FIELDS` alone (``self.s`` holds nothing else)."""
        s = self.s
        day = self.day
        self.ca("root", "WSCard Test Root CA", None, day + timedelta(days=20 * 365))
        parent = "root"
        n = s["intermediates"]
        for level in range(n, 0, -1):
            name = "intermediate" if level == 1 else f"intermediate-{level}"
            cn = "WSCard Test Issuing CA" if level == 1 else f"WSCard Test Intermediate CA {level}"
            if level == 1 and s["ca_days_left"] > 0:
                na = day + timedelta(days=s["ca_days_left"] + 1)
            else:
                na = day + timedelta(days=10 * 365 - (n - level))
            self.ca(name, cn, parent, na, pss=(s["ca_signature"] == "pss"), path_length=level - 1)
            parent = name
        all_ekus = [ExtendedKeyUsageOID.CLIENT_AUTH, C.OID_SMART_CARD_LOGON]
        upn = s["upn"]
        # the fixed users are compliant but for their OCSP status or AIA: strongly mapped (UC-7)
        for name in FIXED_USERS:
            self.leaf(name, "user", "intermediate", f"Test User ({name})", all_ekus, upn=upn,
                      ocsp_url=DEFAULT_OCSP_URL, sid=user_sid("account"))
        for name, url in VARIANT_URLS.items():
            self.leaf(name, "user", "intermediate", f"Test User ({name})", all_ekus, upn=upn, ocsp_url=url,
                      sid=user_sid("account"))
        self.leaf("ocsp", "ocsp", "intermediate", "WSCard Test OCSP Responder", [ExtendedKeyUsageOID.OCSP_SIGNING],
                  ocsp_nocheck=True, kind="ocsp")
        dc_ekus = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH, C.OID_KDC_AUTH]
        dns = list(s["dc_dns_names"])
        cn = dns[0] if dns else "dc"
        self.leaf("dc", "dc", "intermediate", cn, dc_ekus, dns=dns, ip=True, kind="dc")
        self.leaf("dc-no-kdc", "dc", "intermediate", cn, dc_ekus[:2], dns=dns, ip=True, kind="dc")
        # A CA outside the users' chain (a registration that does not help, CA-5).
        self.ca("other-root", "WSCard Other Root CA", None, day + timedelta(days=10 * 365))
        self.kinds["other-root"] = "other-ca"

    def build_user(self) -> None:
        """The test user's certificate, issued by the base's issuing CA (``self.certs``
        and ``self.keys`` hold ``intermediate``); ``self.s`` holds the base's settings and
        :data:`~wscard.sections.pki.USER_CERTIFICATE_FIELDS`."""
        s = self.s
        eku_map = {"client-auth": ExtendedKeyUsageOID.CLIENT_AUTH, "smart-card-logon": C.OID_SMART_CARD_LOGON}
        user_role = f"user-{s['user_key_type']}" if s.get("user_key_type") and s["user_key_type"] != s["key_type"] \
            else "user"
        self.leaf("user", user_role, "intermediate", "Test User", [eku_map[e] for e in s["user_ekus"]],
                  upn=s["upn"] if s["user_upn_in_san"] else None, ocsp_url=s["user_ocsp_url"],
                  validity=s["user_validity"], sid=user_sid(s.get("user_sid_extension", "none")))


def cache_key(settings: dict[str, Any], now: datetime) -> str:
    blob = json.dumps({"v": GENERATOR_VERSION, "day": _day(now).date().isoformat(), "s": settings},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def generate(folder: Path, settings: dict[str, Any], now: datetime, key_root: Path, key: str) -> None:
    """Write the base of a PKI (every certificate but the test user's,
    :meth:`_Builder.build_base`) into ``folder``, which must not exist yet. ``settings``:
    :meth:`~wscard.sections.pki.PkiSection.base_certificate_settings`; ``key``: their
    :func:`cache_key`, which seeds the serial numbers."""
    pool = KeyPool(key_root, settings["key_type"])
    b = _Builder(settings, now, pool, key)
    b.build_base()
    folder.mkdir(parents=True, mode=0o700)
    chain = ["intermediate"] + [f"intermediate-{k}" for k in range(2, settings["intermediates"] + 1)] + ["root"]
    der_cas = settings["ca_encoding"] == "der"
    entries = {}
    for name, cert in b.certs.items():
        shipped_der = der_cas and name in chain
        fname = f"{name}.der" if shipped_der else f"{name}.pem"
        data = C.to_der(cert) if shipped_der else C.to_pem(cert)
        (folder / fname).write_bytes(data)
        role = b.key_roles[name]
        entries[name] = {"file": fname, "key_role": role, "kind": b.kinds[name]}
    (folder / "ca-bundle.pem").write_bytes(b"".join(C.to_pem(b.certs[n]) for n in chain))
    # Every leaf the issuing CA issued, for the responder's database (the statuses
    # come from the profile at run time: see Pki.ocsp_index); the test user's is added
    # with its certificate.
    issued = {}
    for name, cert in b.certs.items():
        if b.kinds[name] in ("ca", "other-ca") or cert.issuer != b.certs["intermediate"].subject:
            continue
        issued[format(cert.serial_number, "X")] = name
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "key": key,
        "day": _day(now).date().isoformat(),
        "settings": settings,
        "chain": chain,
        "entries": entries,
        "key_pool": str(pool.dir),
        "issued": issued,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def generate_user(folder: Path, base: Path, settings: dict[str, Any], now: datetime, key_root: Path,
                  key: str) -> None:
    """Write the test user's certificate (:meth:`_Builder.build_user`) into ``folder``
    (which must not exist yet), issued by the issuing CA of the base PKI in ``base``.
    ``settings``: the base's and :meth:`~wscard.sections.pki.PkiSection.
    user_certificate_settings`; ``key``: their :func:`cache_key`, which seeds the serial."""
    manifest = json.loads((base / "manifest.json").read_text())
    issuer = manifest["entries"]["intermediate"]
    pool = KeyPool(key_root, settings["key_type"])
    b = _Builder(settings, now, pool, key)
    b.certs["intermediate"] = C.load_certificate((base / issuer["file"]).read_bytes(), str(base / issuer["file"]))
    b.keys["intermediate"] = pool.get(issuer["key_role"])
    b.build_user()
    folder.mkdir(parents=True, mode=0o700)
    cert = b.certs["user"]
    (folder / "user.pem").write_bytes(C.to_pem(cert))
    (folder / "manifest.json").write_text(json.dumps({
        "generator_version": GENERATOR_VERSION,
        "key": key,
        "settings": settings,
        "entry": {"file": "user.pem", "key_role": b.key_roles["user"], "kind": "user"},
        "serial": format(cert.serial_number, "X"),
    }, indent=2))
