"""One interface over the card backends.

========  ==========================================================  =========  ==========
backend   what                                                        PC/SC      simulated
========  ==========================================================  =========  ==========
softhsm   a throwaway SoftHSM2 token per "card" (the fast default)   no         yes
virtual-  a virtual PIV / CAC / unsupported card in vsmartcard's      yes        yes
piv/cac/  vpcd reader, read through pcscd, OpenSC and PKCS#11 like a
other     real card
pcsc      the real readers and the real card (read-only)             yes        no
========  ==========================================================  =========  ==========

Linux-only modules (pcscd, network namespaces, SoftHSM, vpcd) are imported inside the
backends that need them, so ``pcsc`` works on a Windows lab PC.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Callable

from wscard import host, locks
from wscard.errors import EnvironmentProblem

from . import pkcs11 as p11
from .pin import Pin, pin_from_environment, simulated_pin, generated_pin
from .transport import CardConnection, SafetyPolicy, ApduTrace

BACKENDS = ("softhsm", "virtual-piv", "virtual-cac", "virtual-other", "pcsc")
#: ``auto``: the virtual PIV card where the emulated stack is installed, else SoftHSM
#: (:func:`resolve_auto`). Not a backend of its own.
AUTO = "auto"


def emulated_stack_problem() -> str | None:
    """Why the emulated card stack (pcscd + vsmartcard's vpcd + OpenSC) cannot serve a
    virtual card here, or None when it can. Cheap: looks for the programs and libraries,
    and for what starting pcscd in a private network namespace needs (Linux, root), or a
    running pcscd. Reads nothing from any card."""
    import os
    import shutil

    why = host.linux_only("virtual cards", "a real card in a reader (--card pcsc) or SoftHSM (--card softhsm)")
    if why:
        return why
    from . import pcscd

    missing = []
    if not (shutil.which("pcscd") or os.path.exists("/usr/sbin/pcscd")):
        missing.append("pcscd")
    if pcscd.vpcd_driver() is None:
        missing.append("vsmartcard-vpcd")
    if p11.default_module() is None:
        missing.append("opensc-pkcs11")
    if missing:
        return f"the emulated card stack is not installed (Debian packages: {', '.join(missing)})"
    if not pcscd.running() and not host.running_as_root():
        return "starting pcscd in a private network namespace for the virtual reader needs root"
    return None


def resolve_auto(backend: str) -> tuple[str, str]:
    """The backend ``auto`` stands for here: ``(virtual-piv, "")`` where the emulated stack
    is installed, else ``(softhsm, why)``. Other backends are returned unchanged."""
    if backend != AUTO:
        return backend, ""
    problem = emulated_stack_problem()
    return ("softhsm", problem) if problem else ("virtual-piv", "")


@dataclass
class Presence:
    """One card (or SoftHSM token) present."""

    where: str
    serial: str = ""
    atr: str = ""
    label: str = ""

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass
class ObjectSpec:
    slot: str
    cert: Any
    key: Any
    cert_name: str
    key_name: str
    #: CertInfo byte the virtual card writes with the certificate (0x00: DER)
    certinfo: int = 0
    #: the virtual card stores a damaged (truncated) object
    truncated: bool = False


class Backend:
    name = ""
    uses_pcsc = False
    simulated = True
    read_only = False

    def __init__(self, section: Any, resolve: Callable[[str], Any] | None = None):
        self.section = section
        self._resolve = resolve
        self.started = False
        self._module: p11.Pkcs11Module | None = None
        #: The PIN a simulated card was made with (set by start()); None for a real card.
        self.card_pin: Pin | None = None
        self._harness_pin: Pin | None = None

    # --- life cycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    # --- what is on the simulated card ----------------------------------------------------
    def object_specs(self) -> list[ObjectSpec]:
        if self._resolve is None:
            raise EnvironmentProblem("a simulated card needs the test PKI ([pki] mode 'generated')")
        out = []
        for obj in self.section.objects:
            entry = self._resolve(obj.cert)
            key_entry = self._resolve(obj.key) if obj.key else entry
            if key_entry.key is None:
                raise EnvironmentProblem(
                    f"[card] objects: the PKI has no private key for '{obj.key or obj.cert}' "
                    "(a simulated card needs the key)"
                )
            out.append(ObjectSpec(obj.slot, entry.cert, key_entry.key, obj.cert, obj.key or obj.cert,
                                  getattr(obj, "certinfo", 0), getattr(obj, "encoding", "") == "gzip-truncated"))
        return out

    # --- presence -------------------------------------------------------------------------
    def presence(self) -> list[Presence]:
        raise NotImplementedError

    # --- PC/SC ----------------------------------------------------------------------------
    def reader(self) -> str:
        raise EnvironmentProblem(f"backend '{self.name}' has no PC/SC reader")

    def connect(self, trace: ApduTrace | None = None, exclusive: bool = False) -> CardConnection:
        from .pcsc import PcscTransport

        return CardConnection(PcscTransport(self.reader(), exclusive=exclusive),
                              SafetyPolicy(read_only=self.read_only), trace)

    # --- PKCS#11 --------------------------------------------------------------------------
    def module_path(self) -> str:
        """The PKCS#11 module: ``[card] pkcs11_module`` (a path, or a file name looked for in
        the usual install folders), else OpenSC's. Raises EnvironmentProblem naming where it looked."""
        named = self.section.pkcs11_module
        path = p11.find_module(named)
        if path:
            return path
        folders = "; ".join(str(f) for f in p11.module_folders())
        if named:
            raise EnvironmentProblem(
                f"the PKCS#11 module of [card] pkcs11_module was not found: {named}, nor a file of that name in the "
                f"usual install folders ({folders}). Install the card's middleware or give the module's full path")
        raise EnvironmentProblem(
            "OpenSC's PKCS#11 module is not installed (Debian: opensc-pkcs11; Windows: the OpenSC MSI, 64-bit) "
            f"in the usual folders ({folders}), and [card] pkcs11_module is not set")

    def module(self) -> p11.Pkcs11Module:
        if self._module is None:
            self._module = p11.Pkcs11Module(self.module_path())
        return self._module

    def token(self) -> p11.TokenInfo:
        """The token of the card under test (by serial or slot, never by label)."""
        return self.module().find(self.section.token_serial, self.section.token_slot)

    # --- PIN ------------------------------------------------------------------------------
    def harness_pin(self) -> Pin:
        """The PIN the harness sends to the card under test, chosen once per run
        (:meth:`_choose_harness_pin`) and the same on every later call."""
        if self._harness_pin is None:
            self._harness_pin = self._choose_harness_pin()
        return self._harness_pin

    def _choose_harness_pin(self) -> Pin:
        """A simulated card's: the PIN it was made with, or a generated (deliberately wrong)
        one when the profile sets ``[card] wrong_pin``. Backends of real cards override it."""
        assert self.card_pin is not None, "harness_pin() before start(): the simulated card has no PIN yet"
        if self.section.wrong_pin:
            return Pin(generated_pin(), "generated (deliberately wrong)")
        return self.card_pin

    def tries_left(self, token: p11.TokenInfo | None = None) -> int | None:
        """PIN tries left, read without consuming one (None: the card does not say).
        May raise :class:`hardware.pin.PinAttemptRefused` (``TriesUnknown``) when the
        card's answer does not allow risking a try."""
        return token.tries_hint if token is not None else None

    def after_login(self, ok: bool, wrong_pin: bool) -> None:
        """Hook for backends that model the retry counter themselves (SoftHSM)."""

    def card_side_apdus(self) -> int | None:
        """APDUs the simulated card has received so far (virtual cards only)."""
        return None

    def card_side_trace(self) -> ApduTrace | None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}


class SoftHsmBackend(Backend):
    """Each "card" is a SoftHSM token in a private directory. SoftHSM has no PIN retry
    counter, so this backend keeps one (from ``[card] pin_tries_left``) and the PIN guard
    reads it exactly as it reads a card's."""

    name = "softhsm"

    def __init__(self, section: Any, resolve: Callable[[str], Any] | None = None):
        super().__init__(section, resolve)
        self.hsm = None
        self.serials: list[str] = []
        self.model_tries = section.pin_tries_left
        self.model_max = section.pin_tries_max

    def start(self) -> None:
        if self.started:
            return
        from .softhsm import SoftHsm, TokenSpec

        self.hsm = SoftHsm(self.section.pkcs11_module or None)
        self.card_pin = simulated_pin()
        specs = self.object_specs() if self.section.cards else []
        for i in range(self.section.cards):
            label = f"wscard card {i + 1}"
            self.serials.append(self.hsm.provision(
                TokenSpec(label, [(s.slot, s.cert, s.key) for s in specs]), self.card_pin.reveal()
            ))
        self._module = p11.Pkcs11Module(self.hsm.module, lib=self.hsm.library())
        self.started = True

    def stop(self) -> None:
        if self.hsm is not None:
            self.hsm.close()
            self.hsm = None
        self._module = None
        self.started = False

    def module_path(self) -> str:
        return self.hsm.module if self.hsm else (self.section.pkcs11_module or "libsofthsm2.so")

    def presence(self) -> list[Presence]:
        return [Presence(f"SoftHSM slot {t.slot_id}", t.serial, label=t.label) for t in self.module().tokens()]

    def token(self) -> p11.TokenInfo:
        if self.section.token_serial or self.section.token_slot >= 0:
            return super().token()
        if not self.serials:
            raise LookupError("no token: the profile inserts no card ([card] cards = 0)")
        return self.module().find(self.serials[0])

    def tries_left(self, token: p11.TokenInfo | None = None) -> int | None:
        return self.model_tries

    def after_login(self, ok: bool, wrong_pin: bool) -> None:
        if ok:
            self.model_tries = self.model_max
        elif wrong_pin:
            self.model_tries = max(0, self.model_tries - 1)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "module": self.module_path(), "tokens": self.serials,
                "pin_retry_counter": "modelled by the harness (SoftHSM has none)"}


class PcscBackend(Backend):
    """The real readers and the real card: read-only, PIN from $SMARTCARD_PIN or a prompt."""

    name = "pcsc"
    uses_pcsc = True
    simulated = False
    read_only = True

    def start(self) -> None:
        from . import pcsc

        readers = pcsc.list_readers()
        if not readers:
            raise EnvironmentProblem(
                "no smart card reader found: connect a reader (and insert the card), check that the PC/SC service "
                "sees it (Linux: 'pcsc_scan'; Windows: 'certutil -scinfo'), or use --card virtual-piv"
            )
        self.started = True

    def presence(self) -> list[Presence]:
        from . import pcsc

        return [Presence(s.reader, atr=s.atr.hex().upper()) for s in pcsc.reader_states() if s.present]

    def reader(self) -> str:
        present = [p.where for p in self.presence()]
        want = self.section.reader
        if want:
            match = [r for r in present if want.lower() in r.lower()]
            if len(match) == 1:
                return match[0]
            if not match:
                raise LookupError(f"no card in a reader matching '{want}' (cards in: {present or 'none'})")
            raise LookupError(f"several readers match '{want}': {match}")
        if len(present) == 1:
            return present[0]
        if not present:
            raise LookupError("no card in any reader")
        raise LookupError(f"{len(present)} cards present ({present}): set [card] reader to choose one")

    def token(self) -> p11.TokenInfo:
        if self.section.token_serial or self.section.token_slot >= 0:
            return super().token()
        reader = self.reader()
        tokens = self.module().tokens()
        match = [t for t in tokens if t.slot_description == reader or t.slot_description.startswith(reader)]
        if len(match) >= 1:
            return match[0]
        return super().token()

    def _choose_harness_pin(self) -> Pin:
        """The user's PIN of the real card: ``$SMARTCARD_PIN``, else a prompt."""
        return pin_from_environment()

    def tries_left(self, token: p11.TokenInfo | None = None) -> int | None:
        tries = read_tries_over_pcsc(self)
        if tries is None and token is not None:
            if token.tries_hint is not None:
                return token.tries_hint
            if token.count_low:
                from wscard.errors import PinAttemptRefused

                raise PinAttemptRefused(
                    "the card does not report its PIN retry counter, and its PKCS#11 token says a wrong PIN was "
                    "entered since the last good one (CKF_USER_PIN_COUNT_LOW): the harness will not risk a try"
                )
        return tries

    def describe(self) -> dict[str, Any]:
        module = p11.find_module(self.section.pkcs11_module) or self.section.pkcs11_module or None
        return {"backend": self.name, "module": module, "reader": self.section.reader or "(the only reader with a card)"}


def read_tries_over_pcsc(backend: Backend) -> int | None:
    """The PIN retry counter through the card edge (VERIFY without data): the tries left,
    or None when the card edge cannot be reached. Raises :class:`hardware.pin.TriesUnknown`
    when the card answers with a status word the harness does not know (63 CX and 63 0X
    are known: :func:`hardware.piv.pin_status_from_sw`)."""
    from .apdu import ApduError
    from .cac import CacCard
    from .piv import PivCard
    from .transport import TransportError

    try:
        conn = backend.connect()
    except (LookupError, TransportError, EnvironmentProblem):
        return None
    try:
        p = PivCard(conn)
        if p.try_select():
            return p.guard_tries()
        c = CacCard(conn)
        try:
            if c.ccc() is not None or c.find_pki_applets():
                return c.pin_status().tries_for_guard()
        except (ApduError, ValueError):
            return None
        return None
    except (ApduError, TransportError):
        return None
    finally:
        conn.close()


#: One harness process at a time uses the two vpcd readers of a machine.
VPCD_LOCK = locks.machine_lock_path("vpcd")


def acquire_vpcd_lock(timeout: float = 300.0) -> locks.HeldLock:
    """Exclusive use of the virtual readers across processes (parallel self-tests); give
    the result to :func:`release_vpcd_lock`. Raises EnvironmentProblem after ``timeout`` s."""
    return locks.acquire(VPCD_LOCK, timeout, busy=(
        f"another harness run has been using the virtual readers for {timeout:.0f} s ({VPCD_LOCK})"))


def release_vpcd_lock(held: locks.HeldLock | None) -> None:
    if held is not None:
        held.release()


class VirtualBackend(Backend):
    """Virtual cards in vsmartcard's vpcd reader, read through pcscd, OpenSC and PKCS#11."""

    uses_pcsc = True
    kind = "piv"
    #: TCP_QUICKACK on the cards' sockets (turned off only to measure what it saves).
    quickack = True

    def __init__(self, section: Any, resolve: Callable[[str], Any] | None = None):
        super().__init__(section, resolve)
        self.name = f"virtual-{self.kind}"
        self.helper = None
        self.endpoint = None
        self.links: list[Any] = []
        self.cards: list[Any] = []
        self.scratch = None
        self._vpcd_lock: locks.HeldLock | None = None
        self._retired_apdus = 0  # APDUs of scratch cards already removed

    def _make_card(self, index: int, tries: int | None = None) -> Any:
        from .virtual.card import OtherCard, PinState
        from .virtual.piv_card import SlotContent, VirtualPivCard

        assert self.card_pin is not None
        pin = PinState(self.card_pin.reveal(), tries if tries is not None else self.section.pin_tries_left,
                       self.section.pin_tries_max,
                       counter_form=getattr(self.section, "retry_counter_form", "63CX") if self.kind == "piv" else "63CX")
        seed = hashlib.sha256(f"wscard-virtual-{self.kind}-{index}-{time.time_ns()}".encode()).digest()
        if self.kind == "other":
            return OtherCard(serial=seed[:8].hex().upper(), pin=pin)
        folder = getattr(self.section, "card_folder", "")
        if self.kind == "piv" and folder:
            from .virtual.card_folder import load_card_folder

            loaded = load_card_folder(folder)
            if index == 0:
                return loaded.virtual_card(pin)
            # a second card, or the wrong-PIN demonstration's scratch card, is another card
            # with the same certificates: its own CHUID, so that its serial differs
            return VirtualPivCard(loaded.slots(), pin, guid=seed[:16])
        slots = [SlotContent(s.slot, s.cert, s.key, s.certinfo, s.truncated) for s in self.object_specs()]
        if self.kind == "piv":
            return VirtualPivCard(slots, pin, guid=seed[:16],
                                  empty_slots=tuple(getattr(self.section, "empty_objects", ())))
        from .virtual.cac_card import VirtualCacCard

        return VirtualCacCard(slots, pin, card_id=seed[:8])

    def start(self) -> None:
        if self.started:
            return
        not_here = host.linux_only(
            f"the card backend '{self.name}' (virtual cards in vsmartcard's vpcd reader behind pcscd)",
            "use the real readers (pytest -m hw, or --card pcsc) or the default SoftHSM backend")
        if not_here:
            raise EnvironmentProblem(not_here)
        from .pcscd import PcscdHelper

        self._vpcd_lock = acquire_vpcd_lock()
        try:
            self.helper = PcscdHelper()
            self.helper.ensure(need_vpcd=True)
            self.endpoint = self.helper.vpcd_endpoint()
            if not self.endpoint.loopback_only:
                raise EnvironmentProblem(
                    "the running pcscd's vpcd reader accepts virtual cards from the network (listening on "
                    f"{', '.join(self.endpoint.listening)}:35963): the harness will not insert cards into it. Stop "
                    "that pcscd (e.g. 'systemctl stop pcscd.socket pcscd') so the harness starts its own, isolated "
                    "one, or run tools/ci-card-setup.sh (docs/card.md)"
                )
            self.card_pin = simulated_pin()
            for i in range(self.section.cards):
                self.cards.append(self._make_card(i))
            for i, card in enumerate(self.cards):
                self._insert(card, i)
            self.wait_for_cards(len(self.cards))
        except BaseException:
            self.stop()
            raise
        self.started = True

    def _connector(self) -> Any:
        from . import netns

        pid = self.endpoint.netns_pid if self.endpoint else None
        if pid is None:
            return None
        return lambda fn: netns.run_in_namespace(pid, fn)

    def _insert(self, card: Any, reader_index: int) -> Any:
        from .virtual.vpcd import VpcdLink

        link = VpcdLink(card, reader_index, connect=self._connector(), quickack=self.quickack)
        try:
            link.insert()
        except OSError as exc:
            raise EnvironmentProblem(f"could not insert the virtual card into vpcd reader {reader_index}: {exc}") from None
        self.links.append(link)
        return link

    def wait_for_cards(self, n: int, timeout: float = 5.0) -> None:
        from . import pcsc

        states = pcsc.wait_until(lambda s: sum(1 for x in s if x.present) == n, timeout)
        got = sum(1 for x in states if x.present)
        if got != n:
            raise EnvironmentProblem(f"pcscd shows {got} virtual card(s) after {timeout:.0f} s, expected {n}")

    def stop(self) -> None:
        for link in self.links:
            link.remove()
        self.links.clear()
        if self.helper is not None:
            self.helper.stop()
            self.helper = None
        if self._module is not None:
            try:
                import pkcs11

                pkcs11.unload(self._module.path)  # OpenSC must not outlive the pcscd it talked to
            except Exception:
                pass
        self._module = None
        self.cards.clear()
        release_vpcd_lock(self._vpcd_lock)
        self._vpcd_lock = None
        self.started = False

    def presence(self) -> list[Presence]:
        from . import pcsc

        return [Presence(s.reader, atr=s.atr.hex().upper()) for s in pcsc.reader_states() if s.present]

    def reader(self) -> str:
        if not self.cards:
            raise LookupError("no card in any reader (the profile inserts none: [card] cards = 0)")
        return "Virtual PCD 00 00"

    def token(self) -> p11.TokenInfo:
        if self.section.token_serial or self.section.token_slot >= 0:
            return super().token()
        if not self.cards:
            raise LookupError("no token: the profile inserts no card ([card] cards = 0)")
        for t in self.module().tokens():
            if t.slot_description.startswith(self.reader()):
                return t
        raise LookupError(f"OpenSC shows no token for the card in '{self.reader()}' (see CARD-1)")

    def tries_left(self, token: p11.TokenInfo | None = None) -> int | None:
        tries = read_tries_over_pcsc(self)
        if tries is None and token is not None:
            return token.tries_hint
        return tries

    def card_side_apdus(self) -> int | None:
        return (sum(c.apdu_count for c in self.cards) + self._retired_apdus
                + (self.scratch[1].apdu_count if self.scratch else 0))

    def card_side_trace(self) -> ApduTrace | None:
        return self.cards[0].log if self.cards else None

    # --- a scratch card for the wrong-PIN demonstration ------------------------------------
    def insert_scratch(self) -> tuple[Any, Any]:
        """A fresh card of the same type in reader 01 (its own serial and full tries)."""
        if len(self.cards) > 1:
            raise LookupError("reader 01 is taken by the second card of this profile")
        card = self._make_card(9, tries=self.section.pin_tries_max)
        link = self._insert(card, 1)
        self.scratch = (link, card)
        self.wait_for_cards(len(self.cards) + 1)
        return link, card

    def remove_scratch(self) -> None:
        if self.scratch is None:
            return
        link, card = self.scratch
        self._retired_apdus += card.apdu_count
        link.remove()
        self.links.remove(link)
        self.scratch = None
        self.wait_for_cards(len(self.cards))

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"backend": self.name, "module": self.module_path(),
                             "cards": [c.describe() for c in self.cards]}
        if self.endpoint is not None:
            d["vpcd"] = {"isolated_network_namespace": self.endpoint.netns_pid is not None,
                         "loopback_only": self.endpoint.loopback_only,
                         "pcscd_started_by_harness": bool(self.helper and self.helper.started)}
        return d


class VirtualPivBackend(VirtualBackend):
    kind = "piv"


class VirtualCacBackend(VirtualBackend):
    kind = "cac"


class VirtualOtherBackend(VirtualBackend):
    kind = "other"


def make_backend(section: Any, resolve: Callable[[str], Any] | None = None) -> Backend:
    """The backend the ``[card]`` section names (``auto`` resolved by :func:`resolve_auto`)."""
    import dataclasses

    if section.backend == AUTO:
        section = dataclasses.replace(section, backend=resolve_auto(AUTO)[0])
    cls = {
        "softhsm": SoftHsmBackend,
        "virtual-piv": VirtualPivBackend,
        "virtual-cac": VirtualCacBackend,
        "virtual-other": VirtualOtherBackend,
        "pcsc": PcscBackend,
    }[section.backend]
    return cls(section, resolve)
