"""Scratch worlds for the model cases: each documented failure of the sign-in, shown on a
world of its own, so that the case does not depend on the environment under test.

A model world is the embedded compliant world (``wscard/profiles/embedded.toml``: its
test PKI, its Region, its directory settings) with exactly one thing changed: a scratch
AD Connector made through the simulated AWS API (CA certificates registered, smart
card authentication enabled, registered with WorkSpaces, one WorkSpace for the test
user), a scratch card (:class:`ModelCard`: the test user's certificate and key, a PIN,
a retry counter of 3 and a PIN guard of its own), a client, and an OCSP responder for
the model PKI (the environment's when the environment uses the same test PKI, since the
model cards hold the certificates whose answers are fixed: ``user-good``,
``user-revoked``; else one of its own on 127.0.0.1, started when a case first needs it).

The scratch card is a software model of a card, not a SoftHSM token: one process can
hold only one SoftHSM configuration, and the environment's own card may be a SoftHSM
token that a second configuration would unload. The environment's sign-in goes through
the real card session (PKCS#11); the model cases need only a card that keeps a PIN,
counts tries and signs.

Scratch directories are made only in the simulated world (embedded or server mode):
on live AWS the model cases are skipped (live AWS is read-only). Directories that
differ only in what the user does or which client or card they use are shared; cards
that have seen a wrong PIN never are.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..card_login import CardLoginStatus
from ..client.checks import ClientUnderTest
from ..errors import EnvironmentProblem
from .context import LoginContext
from .flow import FlowInputs, ModelClient, registration_code_of

#: The user of the model worlds (the embedded profile's [client].user).
MODEL_USER = "testuser"
#: A registration code that belongs to no directory (another Region's prefix, too).
WRONG_CODE = "WSpdx+NOSUCH"


@dataclass(frozen=True)
class ModelCase:
    """One documented situation: the compliant model world with one thing changed."""

    name: str
    #: What the user types; empty: the scratch directory's own code.
    registration_code: str = ""
    client_authentication: str = "SmartCard"
    client_version: str = "5.22.1"
    architecture: str = "x86_64"
    protocol: str = "WSP"
    registered: tuple[str, ...] = ("root", "intermediate")
    #: The test PKI's compliant user certificate whose OCSP answer is fixed "good".
    card_certificate: str = "user-good"
    wrong_pin: bool = False
    #: The directory's DeviceTypeWindows (WSP-3).
    windows_access: str = "ALLOW"
    #: The Windows WorkSpace image (a build of wscard.guest.build.windows_dump) whose logon
    #: the second PIN prompt is.
    windows_image: str = "compliant"

    @property
    def directory_key(self) -> tuple[Any, ...]:
        return (self.client_authentication, self.protocol, self.registered, self.windows_access)

    def describe(self) -> dict[str, Any]:
        base = ModelCase("compliant")
        changed = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                   if f.name != "name" and getattr(self, f.name) != getattr(base, f.name)}
        return {"case": self.name, "changed_from_the_compliant_model_world": changed or "nothing"}


MODEL_CASES: dict[str, ModelCase] = {c.name: c for c in [
    ModelCase("nothing is wrong"),
    ModelCase("the registration code is wrong", registration_code=WRONG_CODE),
    ModelCase("smart card authentication is not enabled on the directory", client_authentication="disabled"),
    ModelCase("the Windows client is version 3.1.0", client_version="3.1.0"),
    ModelCase("the client runs on 32-bit Windows", architecture="x86"),
    ModelCase("the user's WorkSpace streams with PCoIP", protocol="PCOIP"),
    ModelCase("the issuing CA is not registered on the directory", registered=("root",)),
    ModelCase("the user certificate is revoked", card_certificate="user-revoked"),
    ModelCase("the user enters a wrong PIN", wrong_pin=True),
    ModelCase("the directory denies Windows devices", windows_access="DENY"),
    ModelCase("smart card redirection is off in the Windows WorkSpace", windows_image="windows-no-smartcard-redirection"),
    ModelCase("the Certificate Propagation service is set to Manual in the Windows WorkSpace",
              windows_image="windows-certprop-manual"),
    # Not a failure: SmartCardOrPassword still offers the card; AUTH-5 alone judges the
    # pre-session rule (the directory check, not the sign-in).
    ModelCase("the directory allows smart card or password", client_authentication="SmartCardOrPassword"),
]}


def model_case(name: str) -> ModelCase:
    try:
        return MODEL_CASES[name]
    except KeyError:
        raise KeyError(f"no model case {name!r}; known: {', '.join(MODEL_CASES)}") from None


#: Makes the PIN guard of a scratch card (hardware.pin.PinGuard, handed in by the glue).
GuardFactory = Callable[[], Any]


@dataclass
class _Info:
    serial: str


@dataclass
class _SlotCert:
    slot: str
    cert: Any
    where: str

    def summary(self) -> dict[str, Any]:
        from ..pki import certs as C

        return {"slot": self.slot, "subject": self.cert.subject.rfc4514_string(), "serial": format(
            self.cert.serial_number, "X"), "ekus": [C.EKU_NAMES.get(o, o) for o in C.ekus(self.cert) or []],
            "where": self.where}


@dataclass
class _Presence:
    where: str

    def summary(self) -> dict[str, Any]:
        return {"where": self.where}


@dataclass
class _Outcome:
    status: CardLoginStatus
    card: str = ""
    tries_before: int | None = None
    tries_after: int | None = None
    message: str = ""
    where: str = ""


class _WrongPin(Exception):
    pass


class ModelCard:
    """A software model of a smart card for the model cases: one certificate and its
    key in slot 9A, a PIN, a retry counter, and a PIN guard. It offers what the model
    client asks of the run's card session (presence, token, certificates, the logon
    certificate, a login attempted at most once through the guard, signatures in the
    unlocked state). The PIN never leaves it: the "harness's PIN" is the card's PIN, or
    another generated one for a wrong-PIN case."""

    name = "model card"

    def __init__(self, entry: Any, guard: Any, *, wrong_pin: bool = False, tries: int = 3, serial: str = ""):
        import secrets

        self.entry = entry
        self.guard = guard
        self.serial = serial or f"model-{secrets.token_hex(4)}"
        self.max_tries = tries
        self.tries = tries
        self._pin = secrets.token_hex(4)
        self._typed = self._pin if not wrong_pin else secrets.token_hex(5)
        self.wrong_pin = wrong_pin
        self._login: _Outcome | None = None
        self.backend = self  # the model client reads backend.tries_left / describe / name

    def __repr__(self) -> str:
        return f"<ModelCard {self.serial}: {self.entry.name}, {self.tries} PIN tries left>"

    # --- what the model client asks --------------------------------------------------------
    def presence(self) -> list[_Presence]:
        return [_Presence(f"model card {self.serial}")]

    def card(self) -> "ModelCard":
        return self

    @property
    def info(self) -> _Info:
        return _Info(self.serial)

    def certificates(self) -> list[_SlotCert]:
        return [_SlotCert("9A", self.entry.cert, f"model card slot 9A '{self.entry.name}'")]

    def logon_certificate(self) -> tuple[_SlotCert, bytes]:
        return self.certificates()[0], b"\x01"

    def tries_left(self, info: Any = None) -> int:
        return self.tries

    def describe(self) -> dict[str, Any]:
        return {"backend": "a software model of a card (model cases only)", "serial": self.serial,
                "certificate": self.entry.name, "pin_tries_max": self.max_tries,
                "harness_pin": "a different, generated PIN (wrong-PIN case)" if self.wrong_pin else "the card's PIN"}

    def login(self, where: str = "") -> _Outcome:
        if self._login is not None:
            return self._login
        before = self.tries

        def send() -> bool:
            import secrets

            if not secrets.compare_digest(self._typed, self._pin):
                raise _WrongPin()
            return True

        try:
            self.guard.attempt(self.serial, lambda: self.tries, send, lambda e: isinstance(e, _WrongPin), where)
        except _WrongPin:
            self.tries = max(0, self.tries - 1)
            status = CardLoginStatus.LOCKED if self.tries == 0 else CardLoginStatus.WRONG_PIN
            self._login = _Outcome(status, self.serial, before, self.tries, "the card refused the PIN", where)
        except Exception as exc:  # the guard's PinAttemptRefused: nothing was sent
            reason = getattr(exc, "reason", None)
            if reason is None:
                raise
            self._login = _Outcome(CardLoginStatus.REFUSED, self.serial, before, self.tries, reason, where)
        else:
            self.tries = self.max_tries
            self._login = _Outcome(CardLoginStatus.OK, self.serial, before, None, "", where)
        return self._login

    def sign(self, key_id: bytes, message: bytes, public_key: Any, where: str = "") -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

        if self.login(where).status is not CardLoginStatus.OK:
            raise PermissionError("the card is not unlocked")
        key = self.entry.key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(message, ec.ECDSA(hashes.SHA256()))
        raise ValueError(f"unsupported key type {type(key).__name__}")

    def stop(self) -> None:
        self._login = None


@dataclass
class ModelSetup:
    """A model case ready to run: the model client, what the user types first, and what
    a user who noticed the mistake types after reopening the client."""

    case: ModelCase
    client: ModelClient
    inputs: FlowInputs
    right_inputs: FlowInputs
    directory_id: str

    def describe(self) -> dict[str, Any]:
        return {**self.case.describe(), "scratch_directory": self.directory_id, "region": self.client.context.region,
                "client": self.client.client.as_evidence(), "user": self.inputs.user,
                "registration_code_typed": self.inputs.registration_code,
                "registration_code_of_the_directory": self.right_inputs.registration_code,
                "card": self.client.card.describe()}


class ModelWorlds:
    """The scratch worlds of one run (shared by the model scenarios, closed at the end)."""

    def __init__(self, env: Any, workdir: Path, guard_factory: GuardFactory, baseline: str = "seed", *,
                 shared_responder: tuple[Any, Any] | None = None):
        from ..profile import load_profile

        self.env = env
        self.workdir = Path(workdir)
        self.guard_factory = guard_factory
        self.baseline = baseline
        self.profile = load_profile(None)  # the embedded compliant world
        self.region = self.profile.aws.region
        self._pki = None
        self._context: LoginContext | None = None
        self._responder = None
        self._own_responder = False
        #: (pki, its running responder) of the environment: used when it is the model's PKI
        #: (the model cards hold certificates whose OCSP answers are fixed).
        self._shared = shared_responder
        self._directories: dict[tuple[Any, ...], str] = {}
        self._cards: dict[str, Any] = {}
        self._all_cards: list[Any] = []
        self._windows_images: dict[str, Any] = {}
        self.timings: dict[str, float] = {}

    def unavailable(self) -> str | None:
        """Why the model cases cannot run here (None: they can)."""
        if not self.env.simulated:
            return ("the model cases build scratch directories, which the harness does only in the simulated world "
                    "(--aws embedded or server): live AWS is read-only")
        return None

    # --- parts ---------------------------------------------------------------------------
    @property
    def pki(self):
        if self._pki is None:
            from ..pki import get_pki

            self._pki = get_pki(self.profile.pki)
        return self._pki

    def responder(self):
        if self._responder is None and self._shared is not None and self._shared[1] is not None \
                and self._shared[0].identity() == self.pki.identity():
            self._responder = self._shared[1]
        if self._responder is None:
            from ..pki.responder import ResponderProcess

            t0 = time.perf_counter()
            proc = ResponderProcess.for_pki(self.pki, self.workdir / "ocsp-responder", "good")
            proc.start()
            self._responder, self._own_responder = proc, True
            self.timings["responder_start"] = round(time.perf_counter() - t0, 3)
        return self._responder

    def context(self) -> LoginContext:
        """The login context of the model cases: the embedded profile and its PKI, both
        authentications, this run's baseline; the responder starts when a case's flow
        first reaches the directory."""
        if self._context is None:
            self._context = LoginContext.from_profile(self.profile, self.pki, self.responder, baseline=self.baseline,
                                                      authentication=("pre-session", "in-session"))
        return self._context

    def directory(self, case: ModelCase) -> str:
        key = case.directory_key
        if key not in self._directories:
            t0 = time.perf_counter()
            self._directories[key] = self._build_directory(case)
            self.timings[f"directory {key}"] = round(time.perf_counter() - t0, 3)
        return self._directories[key]

    def _build_directory(self, case: ModelCase) -> str:
        from ..aws.workspaces import seed_workspaces
        from ..aws.world import create_directory, wait_registered
        from ..sections.workspaces import DeviceAccess, WorkspaceGroup

        aws = self.profile.aws
        ds = self.env.client("ds", self.region)
        did = create_directory(self.env, self.region, "ADConnector", aws.directory.name, aws.directory.short_name)
        urls = {c.source: c.ocsp_url for c in aws.certificates}
        for name in case.registered:
            url = urls.get(f"pki:{name}", "")
            extra = {"ClientCertAuthSettings": {"OCSPUrl": url}} if url else {}
            cid = ds.register_certificate(DirectoryId=did, CertificateData=self.pki.get(name).pem.decode(),
                                          Type="ClientCertAuth", **extra)["CertificateId"]
            state = wait_registered(ds, did, cid, timeout=10.0).get("State")
            if state != "Registered":
                raise EnvironmentProblem(f"the model world's CA certificate {name} did not register ({state})")
        if case.client_authentication != "disabled":
            ds.enable_client_authentication(DirectoryId=did, Type=case.client_authentication)
        section = dataclasses.replace(
            self.profile.workspaces, registered=True, device_access=DeviceAccess(windows=case.windows_access),
            groups=[WorkspaceGroup(count=1, protocol=case.protocol, os="WINDOWS_SERVER_2022", users=[MODEL_USER])])
        seed_workspaces(self.env, did, self.region, section)
        return did

    def card(self, case: ModelCase) -> ModelCard:
        """A scratch card: shared by the cases with the same certificate and the right PIN;
        a fresh one for every wrong-PIN case (its retry counter starts at 3)."""
        key = case.card_certificate
        if case.wrong_pin or key not in self._cards:
            card = ModelCard(self.pki.get(case.card_certificate), self.guard_factory(), wrong_pin=case.wrong_pin)
            self._all_cards.append(card)
            if case.wrong_pin:
                return card
            self._cards[key] = card
        return self._cards[key]

    def windows_image(self, variant: str):
        """The Windows WorkSpace image of a case (built once per variant)."""
        from ..guest import build as guest_build
        from ..guest import windows as W

        if variant not in self._windows_images:
            path = guest_build.build_windows(self.workdir / f"windows-{variant}", variant)
            self._windows_images[variant] = W.WindowsGuestConfig(W.load_file(path))
        return self._windows_images[variant]

    # --- a case --------------------------------------------------------------------------
    def prepare(self, name: str) -> ModelSetup:
        case = model_case(name)
        did = self.directory(case)
        ws = self.env.client("workspaces", self.region)
        code = registration_code_of(ws, did)
        client = ClientUnderTest("windows", case.client_version, case.architecture, MODEL_USER,
                                 source=f"model case: {case.name}")
        model = ModelClient(aws=self.env, client=client, card=self.card(case), context=self.context(),
                            label=f"model case: {case.name}", windows_guest=self.windows_image(case.windows_image))
        typed = FlowInputs(case.registration_code or code, MODEL_USER)
        return ModelSetup(case, model, typed, FlowInputs(code, MODEL_USER), did)

    def close(self) -> None:
        for card in self._all_cards:
            try:
                card.stop()
            except Exception:
                pass
        self._all_cards.clear()
        self._cards.clear()
        if self._responder is not None and self._own_responder:
            self._responder.stop()
        self._responder = None
        if self._directories and self.env.started:
            ws = self.env.client("workspaces", self.region)
            ds = self.env.client("ds", self.region)
            for did in self._directories.values():
                try:
                    found = ws.describe_workspaces(DirectoryId=did).get("Workspaces", [])
                    if found:
                        ws.terminate_workspaces(TerminateWorkspaceRequests=[{"WorkspaceId": w["WorkspaceId"]}
                                                                            for w in found])
                    ws.deregister_workspace_directory(DirectoryId=did)
                    ds.delete_directory(DirectoryId=did)
                except Exception:
                    pass
        self._directories.clear()
