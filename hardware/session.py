"""The card session of one run: the backend, the PIN guard, the login (attempted at most
once and remembered), and what the card scenarios ask of the card.

Each method gathers facts; :mod:`hardware.checks` judges them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from wscard.card_login import CardLoginStatus
from wscard.errors import EnvironmentProblem, NoCard, PinAttemptRefused, TriesUnknown

from . import pkcs11 as p11
from .backends import Backend, VirtualBackend
from .identify import CardIdentity, SignatureProof, SlotCert, has_logon_eku, identify
from .pin import PinGuard
from .transport import ApduTrace, CardSafetyError, TransportError

#: PKCS#11 labels and IDs -> PIV slot (OpenSC's PIV and CAC emulation, and the SoftHSM tokens).
LABEL_SLOTS = (
    ("PIV Authentication", "9A"), ("PIV AUTH", "9A"), ("Digital Signature", "9C"), ("Key Management", "9D"),
    ("Card Authentication", "9E"), ("CAC ID Certificate", "9A"), ("CAC Email Signature", "9C"),
    ("CAC Email Encryption", "9D"),
)
ID_SLOTS = {"01": "9A", "02": "9C", "03": "9D", "04": "9E", "0001": "9A", "0002": "9C", "0003": "9D"}


def slot_of(cert: p11.P11Cert) -> str:
    for text, slot in LABEL_SLOTS:
        if text.lower() in cert.label.lower():
            return slot
    return ID_SLOTS.get(cert.id_hex, "?")


@dataclass
class LoginOutcome:
    status: CardLoginStatus
    card: str = ""
    tries_before: int | None = None
    tries_after: int | None = None
    message: str = ""
    where: str = ""
    session: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.status = CardLoginStatus(self.status)  # ValueError for a status no card gives

    def summary(self) -> dict[str, Any]:
        return {"status": self.status, "card": self.card, "pin_tries_before": self.tries_before,
                "pin_tries_after": self.tries_after, "message": self.message, "first_attempt_in": self.where}


class EdgeWrongPin(Exception):
    """The card answered VERIFY with 63Cx / 6983."""

    def __init__(self, sw: int):
        self.sw = sw
        super().__init__(f"VERIFY answered {sw:04X}")


class CardSession:
    def __init__(self, backend: Backend, guard: PinGuard | None = None):
        self.backend = backend
        self.guard = guard or PinGuard()
        self.trace = ApduTrace()
        self._login: LoginOutcome | None = None
        #: The exception that ended the one PIN login without an answer of the card (the
        #: card went away, a harness bug): raised again, the PIN is never sent twice.
        self._login_failure: BaseException | None = None
        self._identity: CardIdentity | None = None
        self._card: p11.Pkcs11Card | None = None

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.backend.start()

    def stop(self) -> None:
        if self._login is not None and self._login.session is not None:
            try:
                self._login.session.close()
            except Exception:
                pass
            self._login.session = None
        self._card = None
        self.backend.stop()

    def _connect(self, exclusive: bool = False) -> Any:
        """A new connection to the card under test (NoCard when there is none)."""
        try:
            return self.backend.connect(self.trace, exclusive=exclusive) if exclusive else self.backend.connect(self.trace)
        except LookupError as exc:
            raise NoCard(str(exc)) from None

    # --- presence and identity -----------------------------------------------------------------
    def presence(self) -> list[Any]:
        return self.backend.presence()

    def identity(self) -> CardIdentity:
        """Identify the card under test over PC/SC (cached for the run)."""
        if self._identity is None:
            try:
                reader = self.backend.reader()
            except LookupError as exc:
                raise NoCard(str(exc)) from None
            atr = next((bytes.fromhex(p.atr) for p in self.presence() if p.where == reader and p.atr), b"")
            conn = self._connect()
            try:
                self._identity = identify(conn, reader, atr)
            finally:
                conn.close()
        return self._identity

    # --- PKCS#11 ---------------------------------------------------------------------------------
    def card(self) -> p11.Pkcs11Card:
        """The card under test's PKCS#11 token (cached for the run). Raises NoCard when
        there is no single token, EnvironmentProblem when the token or its reader has gone
        (``pkcs11.is_device_gone``: CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT...)."""
        if self._card is None:
            try:
                info = self.backend.token()
                self._card = self.backend.module().card(info)
            except LookupError as exc:
                raise NoCard(str(exc)) from None
            except Exception as exc:
                if p11.is_device_gone(exc):
                    raise EnvironmentProblem(
                        f"the card's PKCS#11 token went away while the harness read it ({type(exc).__name__}): "
                        "check that the card is seated and the reader connected, then run again") from None
                raise
        return self._card

    def certificates(self) -> list[SlotCert]:
        card = self.card()
        return [SlotCert(slot_of(c), c.cert, f"PKCS#11 ID {c.id_hex} '{c.label}'") for c in card.certificates()]

    def logon_certificate(self) -> tuple[SlotCert, bytes] | None:
        """The certificate to sign for (the logon certificate, 9A first) and its key ID."""
        certs = self.card().certificates()
        ranked = sorted(certs, key=lambda c: (not has_logon_eku(c.cert), slot_of(c) != "9A"))
        if not ranked:
            return None
        best = ranked[0]
        return SlotCert(slot_of(best), best.cert, f"PKCS#11 ID {best.id_hex} '{best.label}'"), best.id

    # --- PIN -------------------------------------------------------------------------------------
    def login(self, where: str = "") -> LoginOutcome:
        """Log in to the token once per run, through the PIN guard. Later calls return the
        remembered outcome, so a wrong or refused PIN is never retried.

        Returns the card's answer as a :class:`LoginOutcome` (``ok``, ``wrong-pin``,
        ``locked``) or the PIN guard's refusal to send (``refused``, ``tries-unknown``);
        ``no-token`` when there is no token (nothing tried). Raises
        :class:`~wscard.errors.EnvironmentProblem` when the card went away during the login
        (PKCS#11 CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_ERROR...,
        :func:`hardware.pkcs11.is_device_gone`): the environment, not the card's compliance.
        Any other exception propagates (a harness error). Either is raised again by later
        calls: the PIN is not sent a second time in the run.
        """
        if self._login is not None:
            return self._login
        if self._login_failure is not None:
            raise self._login_failure
        try:
            card = self.card()
        except NoCard as exc:
            # not remembered: nothing was tried
            return LoginOutcome(CardLoginStatus.NO_TOKEN, message=str(exc))
        serial = card.info.serial
        pin = self.backend.harness_pin()
        state: dict[str, Any] = {}

        def read_tries() -> int | None:
            state["before"] = self.backend.tries_left(card.info)
            return state["before"]

        try:
            session = self.guard.attempt(serial, read_tries, lambda: card.login(pin), p11.is_wrong_pin, where)
        except PinAttemptRefused as exc:
            out = LoginOutcome(CardLoginStatus.TRIES_UNKNOWN if isinstance(exc, TriesUnknown) else
                               CardLoginStatus.REFUSED, serial,
                               exc.tries_left if exc.tries_left is not None else state.get("before"),
                               None, exc.reason, where)
        except Exception as exc:
            if not p11.is_wrong_pin(exc):
                # Not an answer of the card to the PIN: never a CARD-3 outcome.
                self.backend.after_login(False, False)
                if p11.is_device_gone(exc):
                    problem = EnvironmentProblem(
                        f"the card {serial} went away during the PIN login ({type(exc).__name__}: {exc}): "
                        "check that the card is inserted and the reader connected, then run again; the harness "
                        "does not send the PIN again in this run")
                    self._login_failure = problem
                    raise problem from exc
                self._login_failure = exc
                raise
            self.backend.after_login(False, True)
            after = self._tries_after(card)
            if type(exc).__name__ == "PinLocked" or after == 0:
                out = LoginOutcome(CardLoginStatus.LOCKED, serial, state.get("before"), after, "the PIN is blocked",
                                   where)
            else:
                out = LoginOutcome(CardLoginStatus.WRONG_PIN, serial, state.get("before"), after,
                                   "the card refused the PIN", where)
        else:
            self.backend.after_login(True, False)
            out = LoginOutcome(CardLoginStatus.OK, serial, state.get("before"), None, "", where, session)
        self._login = out
        return out

    def _tries_after(self, card: p11.Pkcs11Card) -> int | None:
        """The tries left after a failed login (None when the card does not say, or says
        something the harness does not understand: this is a report, not a decision)."""
        try:
            return self.backend.tries_left(self._refreshed_info(card))
        except PinAttemptRefused:
            return None

    def _refreshed_info(self, card: p11.Pkcs11Card) -> p11.TokenInfo | None:
        try:
            return next((t for t in self.backend.module().tokens() if t.slot_id == card.info.slot_id), None)
        except Exception:
            return None

    def require_login(self, where: str = "") -> LoginOutcome:
        out = self.login(where)
        if out.status is not CardLoginStatus.OK:
            raise NoCard(f"not logged in to the card ({out.status}: {out.message}); see CARD-3")
        return out

    # --- proof of possession ----------------------------------------------------------------------
    def sign(self, key_id: bytes, message: bytes, public_key: Any, where: str = "") -> bytes:
        """Sign ``message`` (SHA-256; PKCS#1 v1.5 or ECDSA) with the private key ``key_id`` in
        the logged-in session. The PIN goes to the card at most once per run, through the
        guard (:meth:`login`); NoCard when the card is not unlocked."""
        login = self.require_login(where)
        return p11.Pkcs11Card.sign(login.session, key_id, message, public_key)

    def sign_challenge(self, where: str = "") -> SignatureProof:
        """UC-6 over PKCS#11: sign a fresh 32-byte challenge with the logon certificate's key
        in the logged-in session (the PIN through the guard, at most once per run) and verify
        it; the time the signature took is ``sign_ms``. NoCard when the card is not unlocked."""
        found = self.logon_certificate()
        challenge = os.urandom(32)
        if found is None:
            return SignatureProof(None, challenge)
        slot_cert, key_id = found
        login = self.require_login(where)
        from .piv import verify_signature

        t0 = time.perf_counter()
        try:
            sig = p11.Pkcs11Card.sign(login.session, key_id, challenge, slot_cert.cert.public_key())
        except Exception as exc:
            return SignatureProof(slot_cert, challenge, error=f"{type(exc).__name__}: {exc}")
        ms = (time.perf_counter() - t0) * 1000
        return SignatureProof(slot_cert, challenge, sig, verify_signature(slot_cert.cert, challenge, sig), sign_ms=ms)

    # --- shared access ---------------------------------------------------------------------------
    def shared_access_pkcs11(self, where: str = "") -> list[tuple[str, bool, str]]:
        """Two PKCS#11 sessions at once: sign in the logged-in one while a second is open."""
        login = self.require_login(where)
        found = self.logon_certificate()
        if found is None:
            raise NoCard("no certificate on the card to sign with (see UC-5)")
        slot_cert, key_id = found
        from .piv import verify_signature

        steps: list[tuple[str, bool, str]] = []
        second = None
        try:
            second = self.card().open_public()
            steps.append(("opening a second session", True, ""))
            n = len(list(second.get_objects()))
            steps.append(("reading objects in the second session", n > 0, f"{n} objects"))
            msg = os.urandom(32)
            sig = p11.Pkcs11Card.sign(login.session, key_id, msg, slot_cert.cert.public_key())
            steps.append(("signing in the first session", bool(sig),
                          "signature verifies" if verify_signature(slot_cert.cert, msg, sig) else
                          "signature made (it does not verify with the certificate: see UC-6)"))
        except Exception as exc:
            steps.append(("using two sessions", False, f"{type(exc).__name__}: {exc}"))
        finally:
            if second is not None:
                second.close()
        return steps

    def shared_access_pcsc(self, where: str = "") -> list[tuple[str, bool, str]]:
        """Two PC/SC connections in shared mode, and a PKCS#11 signature (OpenSC's own
        connection) while both are open."""
        from .piv import PivCard
        from .cac import CacCard

        ident = self.identity()
        steps: list[tuple[str, bool, str]] = []
        a = b = None
        try:
            exclusive = getattr(self.backend.section, "local_access", "shared") == "exclusive"
            a = self._connect(exclusive=exclusive)
            steps.append(("first connection, as the local application opens it"
                          + (" (exclusive)" if exclusive else " (shared)"), True, a.name))
            b = self._connect()
            steps.append(("second shared connection while the first is open", True, b.name))
            for label, conn in (("first", a), ("second", b)):
                if ident.type == "CAC":
                    ok = CacCard(conn).ccc() is not None or bool(CacCard(conn).find_pki_applets())
                else:
                    ok = PivCard(conn).try_select()
                steps.append((f"selecting the card application on the {label} connection", ok, ""))
            login = self.login(where)
            if login.status is CardLoginStatus.OK:
                found = self.logon_certificate()
                if found is not None:
                    from .piv import verify_signature

                    msg = os.urandom(32)
                    sig = p11.Pkcs11Card.sign(login.session, found[1], msg, found[0].cert.public_key())
                    steps.append(("PKCS#11 signature while both connections are open", bool(sig),
                                  "signature verifies" if verify_signature(found[0].cert, msg, sig) else
                                  "signature made (it does not verify with the certificate: see UC-6)"))
        except (TransportError, CardSafetyError) as exc:
            steps.append(("shared PC/SC access", False, str(exc)))
        finally:
            for c in (a, b):
                if c is not None:
                    c.close()
        return steps

    # --- the card edge (PC/SC backends) ------------------------------------------------------------
    def _card_key(self) -> str:
        """The card's identity for the PIN guard: the token serial, else the card edge's."""
        try:
            return self.card().info.serial
        except NoCard:
            return self.identity().serial or self.identity().reader


    def _edge_app(self, conn: Any) -> tuple[str, Any]:
        from .cac import CacCard
        from .piv import PivCard

        ident = self.identity()
        if ident.type in ("PIV", "CAC with PIV endpoint"):
            app = PivCard(conn)
            app.select()
            return "piv", app
        if ident.type == "CAC":
            return "cac", CacCard(conn)
        raise NoCard(f"the card is {ident.type}, neither PIV nor CAC: no card edge to use (see CARD-1)")


    def retry_counter(self, reads: int = 2) -> dict[str, Any]:
        """Read the PIN retry counter over the card edge ``reads`` times (no try consumed)."""
        from .cac import pki_aid

        conn = self._connect()
        try:
            kind, app = self._edge_app(conn)
            if kind == "cac":
                app.select(pki_aid(0))
            statuses = [app.pin_status() for _ in range(reads)]
        finally:
            conn.close()
        return {"card_edge": kind,
                "reads": [{"verified": s.verified, "tries_left": s.tries_left} for s in statuses],
                "answers": [s.summary() for s in statuses],
                "unknown": next((s.describe() for s in statuses if not s.known), ""),
                "form": next((s.form for s in statuses if s.form), "")}


    def sign_over_card_edge(self, where: str = "") -> SignatureProof:
        """UC-6 over the card edge: VERIFY (through the PIN guard) and sign a fresh challenge
        with the logon certificate's key (PIV GENERAL AUTHENTICATE / CAC SIGN). A transport
        or card error while signing is the proof's ``error``; NoCard when the PIN was not
        sent or was refused."""
        from . import cac as cacmod
        from .piv import pkcs1_v15_digest_info, verify_signature

        ident = self.identity()
        ranked = sorted(ident.certificates, key=lambda c: (not c.logon, c.slot != "9A"))
        challenge = os.urandom(32)
        if not ranked:
            return SignatureProof(None, challenge)
        slot_cert = ranked[0]
        pin = self.backend.harness_pin()
        conn = self._connect()
        try:
            kind, app = self._edge_app(conn)
            index = cacmod.SLOT_TO_INDEX.get(slot_cert.slot, 0)
            if kind == "cac":
                app.select(cacmod.pki_aid(index))
            status = app.pin_status()
            if not status.verified:
                def send() -> Any:
                    with conn.pin_window():
                        r = conn.send(app.verify_command(pin.reveal()))
                    if not r.ok:
                        raise EdgeWrongPin(r.sw)
                    return r

                try:
                    self.guard.attempt(self._card_key(), status.tries_for_guard, send,
                                       lambda e: isinstance(e, EdgeWrongPin), where)
                except PinAttemptRefused as exc:
                    raise NoCard(f"PIN not sent: {exc.reason} (see CARD-3)") from None
                except EdgeWrongPin as exc:
                    raise NoCard(f"the card refused the PIN ({exc}); see CARD-3") from None
            pub = slot_cert.cert.public_key()
            if kind == "piv":
                sig = app.sign(slot_cert.slot, challenge, pub)
            else:
                sig = app.sign_raw(index, pkcs1_v15_digest_info(challenge, pub.key_size // 8))
            return SignatureProof(slot_cert, challenge, sig, verify_signature(slot_cert.cert, challenge, sig))
        except (TransportError, CardSafetyError) as exc:
            return SignatureProof(slot_cert, challenge, error=str(exc))
        except Exception as exc:  # ApduError and friends: the card could not sign
            if isinstance(exc, NoCard):
                raise
            return SignatureProof(slot_cert, challenge, error=f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    # --- the wrong-PIN demonstration (virtual cards only) ------------------------------------------
    def wrong_pin_demonstration(self) -> dict[str, Any]:
        backend = self.backend
        if not isinstance(backend, VirtualBackend):
            raise NoCard("the wrong-PIN demonstration runs on a virtual card only (never on a real card)")
        from .pin import Pin, generated_pin
        from .pcsc import PcscTransport
        from .piv import PivCard
        from .cac import CacCard
        from .transport import CardConnection, SafetyPolicy

        try:
            link, card = backend.insert_scratch()
        except LookupError as exc:
            raise NoCard(str(exc)) from None
        reader = f"Virtual PCD 00 0{link.reader_index}"
        try:
            def tries() -> int | None:
                conn = CardConnection(PcscTransport(reader), SafetyPolicy(read_only=False), self.trace)
                try:
                    if PivCard(conn).try_select():
                        return PivCard(conn).pin_status().tries_left
                    CacCard(conn).select(bytes.fromhex("A000000116DB00"))
                    return CacCard(conn).pin_status().tries_left
                finally:
                    conn.close()

            module = backend.module()
            info = next((t for t in module.tokens() if t.slot_description.startswith(reader)), None)
            if info is None:
                raise EnvironmentProblem(f"OpenSC shows no token for the scratch card in '{reader}'")
            p11card = module.card(info)
            wrong = Pin(generated_pin(), "deliberately wrong")
            while wrong == backend.card_pin:
                wrong = Pin(generated_pin(), "deliberately wrong")
            before: dict[str, Any] = {}

            def read() -> int | None:
                before["v"] = tries()
                return before["v"]

            refused = False
            try:
                s = self.guard.attempt(info.serial, read, lambda: p11card.login(wrong), p11.is_wrong_pin,
                                       "the wrong-PIN demonstration")
                s.close()
            except PinAttemptRefused:
                raise
            except Exception as exc:
                refused = p11.is_wrong_pin(exc)
            after = tries()
            return {"before": before.get("v"), "after": after, "refused": refused, "scratch_serial": info.serial,
                    "card_side_wrong_attempts": card.pin.wrong_attempts, "card_side_pin_attempts": card.pin.attempts_with_pin}
        finally:
            backend.remove_scratch()
