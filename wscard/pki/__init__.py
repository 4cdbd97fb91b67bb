"""The test PKI (generated from the profile's ``[pki]`` section) or an environment's own
certificates (``[pki] mode = "files"``), behind one small API::

    from wscard.pki import get_pki
    pki = get_pki(profile.pki)
    pki.ca_chain              # issuing CA first, root last
    pki.get("user").pem       # the test user's smart card logon certificate
    pki.get("dc").key_path    # PEM private key of the domain controller certificate
    pki.extra_cas(100)        # throwaway CA certificates (limits tests)

Generated PKIs are cached in process and on disk (``pki/<key>/`` in the harness's cache
folder, :func:`wscard.host.cache_root`: ``$WSCARD_CACHE_DIR``, ``~/.cache/wscard`` or
``%LOCALAPPDATA%\\wscard\\cache``); the key is a hash of the certificate settings
and the day, so a cached load is a few milliseconds and validity periods stay
relative to today. See ``docs/pki.md``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from .. import host, locks
from ..errors import EnvironmentProblem
from ..sections.pki import PkiSection
from . import build as _build
from . import certs as C

__all__ = ["CertEntry", "Pki", "get_pki", "cache_root", "throwaway_cas", "DEFAULT_OCSP_URL"]

DEFAULT_OCSP_URL = _build.DEFAULT_OCSP_URL
#: Revocation time of revoked certificates: this many days before the PKI's day.
REVOKED_DAYS_AGO = 2


class UnknownCertificate(EnvironmentProblem, KeyError):
    """A profile names a certificate the PKI does not have: the run's environment is not what
    the profile says (an environment problem naming the key, not a harness error)."""

    __str__ = Exception.__str__


@dataclass
class CertEntry:
    """One certificate of the PKI.

    ``pem`` is always PEM; ``data`` is the bytes as shipped (PEM or DER, per
    ``ca_encoding`` or as the file was given) and ``path`` the shipped file."""

    name: str
    cert: x509.Certificate
    data: bytes
    path: Path
    key_path: Path | None = None
    kind: str = ""
    _key: Any = field(default=None, repr=False)
    #: How the certificate was read from its file (files mode), else None.
    loaded: C.LoadedCertificate | None = field(default=None, repr=False)

    @property
    def pem(self) -> bytes:
        return C.to_pem(self.cert)

    @property
    def der(self) -> bytes:
        return C.to_der(self.cert)

    @property
    def encoding(self) -> str:
        """How the file holds it: ``pem``, ``der``, ``pkcs7-pem`` or ``pkcs7-der``."""
        if self.loaded is not None:
            return self.loaded.encoding
        return "pem" if C.is_pem(self.data) else "der"

    @property
    def label(self) -> str:
        """The file (and position) it was read from, else its name."""
        return self.loaded.label if self.loaded is not None else str(self.path or self.name)

    @property
    def key(self):
        """The private key object (loaded on first use), or None."""
        if self._key is None and self.key_path is not None:
            self._key = serialization.load_pem_private_key(
                self.key_path.read_bytes(), None, unsafe_skip_rsa_key_validation=True
            )
        return self._key

    @property
    def subject(self) -> str:
        return C.subject(self.cert)

    @property
    def serial_hex(self) -> str:
        return format(self.cert.serial_number, "X")


class Pki:
    """A loaded PKI. Use :func:`get_pki` to obtain one.

    A generated PKI is its base (every certificate but the test user's, shared by every
    profile with the same :data:`~wscard.sections.pki.BASE_CERTIFICATE_FIELDS`) and the
    test user's certificate, which ``user_part`` (from :func:`get_pki`) gives when first
    asked for: reading the base never reads the user certificate's settings."""

    def __init__(self, mode: str, directory: Path, entries: dict[str, CertEntry], chain: list[str],
                 users: list[str], settings: dict[str, Any], day: datetime | None = None,
                 issued: dict[str, str] | None = None, key_pool: Path | None = None,
                 files: list[tuple[str, C.CertificateFile]] | None = None,
                 user_part: "Callable[[], tuple[CertEntry, str]] | None" = None,
                 user_ocsp_status: "Callable[[], str] | None" = None):
        self.mode = mode
        #: Files mode: each file as read, with its kind (``ca`` or ``user``).
        self.files = files or []
        self.directory = directory
        self._entries = entries
        self._chain = chain
        self._users = users
        #: generated: the base's settings (:meth:`~wscard.sections.pki.PkiSection.base_certificate_settings`)
        self.settings = settings
        self.day = day
        self._issued = issued or {}
        self._user_part = user_part
        self._user_ocsp_status = user_ocsp_status
        self._key_pool = key_pool
        self._extra: list[CertEntry] = []
        self._lock = threading.Lock()

    # --- the API others use ---------------------------------------------------------
    @property
    def ca_chain(self) -> list[CertEntry]:
        """The CA certificates the users' certificates chain to: issuing CA first, root last."""
        return [self._entries[n] for n in self._chain]

    @property
    def ca_certificates(self) -> list[Any]:
        """Every certificate of the CA files, for the file-side checks (CA-3, CA-4, CA-7):
        ``ca_chain``, then the CA files' other certificates (a user certificate in the
        bundle, say), then those only a tolerant parser reads (as
        :class:`~wscard.pki.certs.LoadedCertificate`). Generated mode: ``ca_chain``."""
        out: list[Any] = list(self.ca_chain)
        seen = {id(e.loaded) for e in out if e.loaded is not None}
        for kind, f in self.files:
            if kind != "ca":
                continue
            for c in f.certificates:
                if id(c) in seen:
                    continue
                entry = next((e for e in self._entries.values() if e.loaded is c), None)
                out.append(entry if entry is not None else c)
                seen.add(id(c))
        return out

    def unparsed(self, kind: str) -> list[C.LoadedCertificate]:
        """Certificates of the ``kind`` files (``ca``, ``user``) that only a tolerant
        parser reads (``cert`` None)."""
        return [c for k, f in self.files if k == kind for c in f.certificates if c.cert is None]

    def file_problems(self, kind: str) -> list[str]:
        """What could not be read in the ``kind`` files, each naming its file and line:
        unreadable blocks, other PEM blocks, junk outside the blocks."""
        return [p for k, f in self.files if k == kind for p in f.problems()]

    def get(self, name: str) -> CertEntry:
        """The entry ``name``; raises :class:`UnknownCertificate` (a KeyError and an
        EnvironmentProblem) naming the known ones."""
        if name == "user" and self._user_part is not None:
            return self._user_part()[0]
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names())
            where = "generated test PKI" if self.mode == "generated" else "certificates given as files"
            raise UnknownCertificate(f"no certificate {name!r} in the {where}; known: {known}. Fix the profile key "
                                     "that names it ([[card.objects]].cert or .key, [[aws.certificates]].source, "
                                     "[ad.samba].ntauth...)") from None

    def names(self) -> list[str]:
        """The names :meth:`get` knows (without building the test user's certificate)."""
        return sorted(set(self._entries) | ({"user"} if self._user_part is not None else set()))

    @property
    def users(self) -> list[CertEntry]:
        """The user certificates under test (generated: ``user``; files: every file given)."""
        return [self.get(n) for n in self._users]

    @property
    def issued(self) -> dict[str, str]:
        """Serial (hex) -> name of every leaf the issuing CA issued (generated mode; the
        test user's included, which builds it)."""
        if self._user_part is None:
            return dict(self._issued)
        entry, serial = self._user_part()
        return {**self._issued, serial: entry.name}

    @property
    def bundle_path(self) -> Path | None:
        """A PEM file with every CA of ``ca_chain`` (for tools that want one file)."""
        p = self.directory / "ca-bundle.pem"
        return p if p.exists() else None

    def issuer_of(self, cert: x509.Certificate) -> CertEntry | None:
        """The CA entry that issued ``cert`` (by name and signature), if known."""
        for e in self._entries.values():
            if e.kind not in ("ca", "other-ca") or e.cert.subject != cert.issuer:
                continue
            try:
                cert.verify_directly_issued_by(e.cert)
                return e
            except Exception:
                continue
        return None

    def identity(self) -> tuple:
        """What makes two PKIs the same to whoever serves them (an OCSP responder): the
        base, the test user's certificate and its OCSP status (generated mode; reads the
        user certificate's fields, as using it does); for certificate files, the object
        itself. ``get_pki`` gives a new view each call: compare ``identity()``, not ``is``."""
        if self._user_part is None:
            return ("object", id(self))
        status = self._user_ocsp_status() if self._user_ocsp_status is not None else ""
        return (self.mode, str(self.directory), self._user_part()[1], status)

    def ocsp_index(self, user_status: str | None = None) -> dict[str, dict[str, Any]]:
        """The responder's database for the issuing CA: serial (hex) -> status record.
        Serials not listed are unknown to the responder."""
        if not user_status:
            user_status = self._user_ocsp_status() if self._user_ocsp_status is not None else "good"
        day = self.day or datetime.now(timezone.utc)
        out = {}
        for serial, name in self.issued.items():
            status = _build.FIXED_USERS.get(name, "good")
            if name == "user":
                status = user_status
            if status == "unknown":
                continue
            rec: dict[str, Any] = {"name": name, "status": status}
            if status == "revoked":
                rec["revoked_at"] = (day - timedelta(days=REVOKED_DAYS_AGO)).isoformat()
                rec["reason"] = "key_compromise"
            out[serial] = rec
        return out

    def extra_cas(self, n: int) -> list[CertEntry]:
        """``n`` distinct throwaway self-signed CA certificates (one shared key, valid
        two years from yesterday, names ``extra-ca-001``...), written under
        ``<directory>/extra/``."""
        if self.mode != "generated" or self._key_pool is None:
            raise EnvironmentProblem("extra CA certificates exist only in the generated test PKI ([pki] mode)")
        with self._lock:
            have = len(self._extra)
            if n > have:
                self._extra += _make_extra(self, have, n)
            return list(self._extra[:n])


def _make_extra(pki: Pki, start: int, stop: int) -> list[CertEntry]:
    from cryptography.x509.oid import NameOID

    pool = _build.KeyPool(pki._key_pool.parent, pki._key_pool.name)  # type: ignore[union-attr]
    key = pool.get("extra")
    day = pki.day or _build._day(datetime.now(timezone.utc))
    folder = pki.directory / "extra"
    out = []
    for i in range(start + 1, stop + 1):
        name = f"extra-ca-{i:03d}"
        path = folder / f"{name}.pem"
        if path.exists():
            cert = C.load_certificate(path.read_bytes(), str(path))
        else:
            subj = x509.Name([
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, _build.ORG),
                x509.NameAttribute(NameOID.COMMON_NAME, f"WSCard Extra Test CA {i:03d}"),
            ])
            cert = _build.ca_certificate(subj, key, serial=_build._serial(pki.directory.name, name),
                                         not_before=day - timedelta(days=1), not_after=day + timedelta(days=730),
                                         authority_key_id=False)
            _build._atomic_write(path, C.to_pem(cert))
        out.append(CertEntry(name, cert, C.to_pem(cert), path, pool.path("extra"), "extra-ca"))
    return out


# --- loading and caching ---------------------------------------------------------------

_CACHE: dict[tuple, Pki] = {}
#: The test user's certificates built on a cached base: (base folder, key) -> (entry, serial).
_USERS: dict[tuple, tuple[CertEntry, str]] = {}
_CACHE_LOCK = threading.Lock()


def cache_root() -> Path:
    """Where generated PKIs are cached: ``pki`` in :func:`wscard.host.cache_root`."""
    return host.cache_root("pki")


def get_pki(sec: PkiSection, *, now: datetime | None = None, cache_dir: Path | None = None) -> Pki:
    """The PKI a ``[pki]`` section describes (pass ``profile.pki``): the generated test PKI
    of ``now``'s day, or the certificate files of ``mode = "files"``. ``now`` fixes the clock
    (tests); ``cache_dir`` overrides the cache root (:func:`cache_root`). Cached in process;
    generated PKIs are also cached on disk. Raises TypeError for anything but a
    :class:`~wscard.sections.pki.PkiSection` (a whole Profile included).

    Generated mode reads the section's base fields
    (:data:`~wscard.sections.pki.BASE_CERTIFICATE_FIELDS`) here, and its user-certificate
    fields and ``user_ocsp_status`` only when the test user's certificate (``get("user")``,
    ``users``, ``issued``) or the responder's database (``ocsp_index``) is asked for, each
    time it is: what uses only the CAs, the DC's or the fixed users' certificates never
    depends on them (the self-test's tracer, wscard.selftest, sees that). Each call gives a
    view of its own over the shared, cached base."""
    if not isinstance(sec, PkiSection):
        raise TypeError(f"get_pki takes the [pki] section (profile.pki), not {type(sec).__name__}")
    if sec.mode == "files":
        key = ("files", tuple(sec.ca_bundle), tuple(sec.user_certificates))
        with _CACHE_LOCK:
            if key not in _CACHE:
                _CACHE[key] = _load_files(sec)
            return _CACHE[key]
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    settings = sec.base_certificate_settings()
    root = Path(cache_dir) if cache_dir else cache_root()
    ck = _build.cache_key(settings, now)
    memo = (str(root), ck)
    with _CACHE_LOCK:
        if memo not in _CACHE:
            _CACHE[memo] = _load_or_generate(root, ck, settings, now)
        base = _CACHE[memo]
    return Pki(base.mode, base.directory, base._entries, base._chain, base._users, base.settings, base.day,
               base._issued, base._key_pool, user_part=lambda: _user_part(base, sec, now),
               user_ocsp_status=lambda: sec.user_ocsp_status)


def _user_part(base: Pki, sec: PkiSection, now: datetime) -> tuple[CertEntry, str]:
    """The test user's certificate for ``sec`` on ``base`` (and its serial, hex): cached in
    process and on disk under ``<base>/users/<key>/``, ``<key>`` hashing the base's key
    and :meth:`~wscard.sections.pki.PkiSection.user_certificate_settings`."""
    user = sec.user_certificate_settings()
    key = _build.cache_key({"base": base.directory.name, **user}, now)
    memo = (str(base.directory), key)
    with _CACHE_LOCK:
        if memo not in _USERS:
            _USERS[memo] = _load_or_generate_user(base, key, {**base.settings, **user}, now)
        return _USERS[memo]


def _load_or_generate_user(base: Pki, key: str, settings: dict, now: datetime) -> tuple[CertEntry, str]:
    users = base.directory / "users"
    folder = users / key
    if not (folder / "manifest.json").exists():
        _build_once(folder, lambda tmp: _build.generate_user(tmp, base.directory, settings, now,
                                                              base.directory.parent / "keys", key))
    manifest = json.loads((folder / "manifest.json").read_text())
    return _entry(folder, base._key_pool, "user", manifest["entry"]), manifest["serial"]


def throwaway_cas(sec: PkiSection, n: int) -> list[CertEntry]:
    """``n`` distinct throwaway CA certificates for the limit procedure (CA-6): the
    profile's generated PKI makes them (:meth:`Pki.extra_cas`); in files mode, which has
    no CA keys, the default generated test PKI does. They fill a scratch directory and
    have nothing to do with the environment's own certificates."""
    pki = get_pki(sec)
    if pki.mode != "generated":
        pki = get_pki(PkiSection())
    return pki.extra_cas(n)


def _load_or_generate(root: Path, ck: str, settings: dict, now: datetime) -> Pki:
    folder = root / ck
    if (folder / "manifest.json").exists():
        return _load_generated(folder)
    _build_once(folder, lambda tmp: _build.generate(tmp, settings, now, root / "keys", ck))
    prune(root, now)
    return _load_generated(folder)


def _build_once(folder: Path, make: Callable[[Path], None]) -> None:
    """Make ``folder`` (one with a ``manifest.json``) once across processes: under an
    exclusive lock beside it (``.<name>.lock``: another worker may be building the same),
    ``make(tmp)`` into a new temporary folder, renamed into place; a stale, incomplete
    folder of that name is replaced."""
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locks.acquire(parent / f".{folder.name}.lock"):
        if (folder / "manifest.json").exists():
            return
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
        try:
            tmp.rmdir()
            make(tmp)
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            os.rename(tmp, folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


#: Cached PKIs for days older than this are removed when a new one is built.
KEEP_DAYS = 7


def prune(root: Path, now: datetime, keep_days: int = KEEP_DAYS) -> list[Path]:
    """Remove cached PKIs built for a day more than ``keep_days`` before ``now`` (the key
    pool stays). Returns what was removed."""
    import re

    limit = (now - timedelta(days=keep_days)).date().isoformat()
    removed = []
    for d in root.iterdir() if root.is_dir() else []:
        if not (d.is_dir() and re.fullmatch(r"[0-9a-f]{20}", d.name)):
            continue
        try:
            day = json.loads((d / "manifest.json").read_text()).get("day", "")
        except (OSError, ValueError):
            continue
        if day and day < limit:
            shutil.rmtree(d, ignore_errors=True)
            try:
                (root / f".{d.name}.lock").unlink()
            except OSError:
                pass
            removed.append(d)
    return removed


def _load_generated(folder: Path) -> Pki:
    manifest = json.loads((folder / "manifest.json").read_text())
    pool = Path(manifest["key_pool"])
    entries = {name: _entry(folder, pool, name, e) for name, e in manifest["entries"].items()}
    day = datetime.fromisoformat(manifest["day"]).replace(tzinfo=timezone.utc)
    return Pki("generated", folder, entries, manifest["chain"], ["user"], dict(manifest["settings"]), day,
               manifest.get("issued", {}), pool)


def _entry(folder: Path, pool: Path | None, name: str, e: dict) -> CertEntry:
    """One certificate a manifest lists (``file``, ``key_role``, ``kind``), its key from
    the key pool ``pool`` when the pool has it."""
    path = folder / e["file"]
    data = path.read_bytes()
    key_path = pool / f"{e['key_role']}.key.pem" if pool is not None else None
    return CertEntry(name, C.load_certificate(data, str(path)), data, path,
                     key_path if key_path is not None and key_path.exists() else None, e["kind"])


def _load_files(sec) -> Pki:
    """Files mode: read the CA bundle and the user certificates as given (PEM with or
    without text around the blocks, DER, PKCS#7), through :func:`wscard.pki.certs.read_certificates`.

    A file that cannot be opened raises :class:`EnvironmentProblem` naming it. What is
    inside and cannot be read (a damaged block, junk, a certificate only a tolerant
    parser reads) does not stop the load: it is kept in ``Pki.files`` and the checks
    that take those certificates report it (CA-3 for the CA files, UC-1..UC-4 for the
    user certificates)."""
    entries: dict[str, CertEntry] = {}
    cas: list[CertEntry] = []
    users: list[str] = []
    files: list[tuple[str, C.CertificateFile]] = []
    folder = None
    for kind, paths in (("ca", sec.ca_bundle), ("user", sec.user_certificates)):
        for p in paths:
            path = Path(p)
            folder = folder or path.parent
            try:
                f = C.read_certificate_file(path)
            except C.CertificateFormatError as exc:
                raise EnvironmentProblem(
                    f"[pki] {'ca_bundle' if kind == 'ca' else 'user_certificates'}: {exc}. "
                    "Fix: give the path of a readable PEM, DER or PKCS#7 certificate file."
                ) from None
            files.append((kind, f))
            readable = [c for c in f.certificates if c.cert is not None]
            for i, loaded in enumerate(readable):
                base = path.stem if len(readable) == 1 else f"{path.stem}-{i + 1}"
                name = base
                k = 2
                while name in entries:
                    name = f"{base}-{k}"
                    k += 1
                entry = CertEntry(name, loaded.cert, loaded.data, path, None, kind, loaded=loaded)
                entries[name] = entry
                if kind == "ca":
                    cas.append(entry)
                else:
                    users.append(name)
    # The chain: from the first user's issuer up to the root, as far as the bundle goes.
    walked: list[str] = []
    if users:
        cur = entries[users[0]].cert
        while True:
            nxt = next((e for e in cas if e.name not in walked and e.cert.subject == cur.issuer
                        and _issued_by(cur, e.cert)), None)
            if nxt is None:
                break
            walked.append(nxt.name)
            if C.is_self_signed(nxt.cert):
                break
            cur = nxt.cert
    # Then the bundle's other CA certificates; a certificate that is not a CA (a user
    # certificate concatenated after the root, say) stays out of the chain: CA-3 reports it.
    chain = walked + [e.name for e in cas if e.name not in walked and C.is_ca(e.cert)]
    # Familiar aliases where they can be told: the issuing CA and the root.
    if chain:
        entries.setdefault("intermediate", entries[chain[0]])
    roots = [n for n in chain if C.is_self_signed(entries[n].cert)]
    if walked and C.is_self_signed(entries[walked[-1]].cert):
        entries.setdefault("root", entries[walked[-1]])
    elif len(roots) == 1:
        entries.setdefault("root", entries[roots[0]])
    if users:
        entries.setdefault("user", entries[users[0]])
    return Pki("files", folder or Path("."), entries, chain, users,
               {"mode": "files", "upn": sec.upn, "user_ocsp_status": ""}, None, {}, None, files)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
        return True
    except Exception:
        return False


def clear_memory_cache() -> None:
    """Forget PKIs loaded in this process (tests)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _USERS.clear()
