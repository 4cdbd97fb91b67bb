"""The card requirements as checks: each function returns a
:class:`wscard.checks.CheckResult` (the step glue hands it to ``evidence.check``).

CARD-1 card type, CARD-2 one card at a time, CARD-3 PIN, CARD-4 shared access, UC-5 one
logon certificate in the PIV Authentication slot, UC-6 proof of possession.
"""

from __future__ import annotations

from typing import Any, Sequence

from wscard.card_login import CardLoginStatus
from wscard.checks import CheckResult, Status

from .identify import CAC, DUAL, PIV, SUPPORTED, CardIdentity, SignatureProof, SlotCert, SlotProblem


def card_type(identity: CardIdentity, expected: str = "") -> CheckResult:
    r = CheckResult("CARD-1")
    r.evidence["identity"] = identity.summary()
    subject = f"card in '{identity.reader}' (ATR {identity.atr or 'unknown'})"
    if not identity.supported:
        r.warn(
            subject,
            "is neither a PIV nor a CAC card: other card types might work with WorkSpaces but are untested "
            "(S-CLIENT)",
            "Use a CAC or PIV card for smart card sign-in.",
        )
        return r
    if expected and identity.type != expected:
        r.warn(subject, f"is a {identity.type} card, but the profile expects {expected}",
               "Insert the intended card, or correct [card] expected_type.")
    return r


def one_card(present: Sequence[Any], where: str, baseline: str = "seed") -> CheckResult:
    """CARD-2, judged under every documented baseline (the verdict follows ``baseline``).

    ``present``: the cards (or tokens) found; ``where``: "in the readers" / "as PKCS#11
    tokens". No card is a failure under every baseline; more than one is a failure under
    ``seed`` and ``admin-guide`` and a warning under ``current`` ("Simultaneous use of
    multiple cards may work, but is not supported"; wscard/data/limits.toml ``[several_cards]``)."""
    from wscard.limits import judged_under_each_baseline

    present = list(present)
    return judged_under_each_baseline(lambda b: _one_card(present, where, b), baseline)


def _one_card(present: Sequence[Any], where: str, baseline: str) -> CheckResult:
    from wscard.limits import fact

    several = fact("several_cards", baseline)
    r = CheckResult("CARD-2")
    r.evidence["present"] = [p.summary() if hasattr(p, "summary") else str(p) for p in present]
    if len(present) == 1:
        return r
    if not present:
        r.fail("the card reader(s)", f"no smart card is present {where}",
               "Insert the user's card (one card) before signing in.")
        return r
    names = ", ".join(getattr(p, "where", str(p)) for p in present)
    # the baseline's verdict on several cards (limits.toml: "failed" or "warning")
    warning = Status(several["verdict"]) is Status.WARNING
    report = r.warn if warning else r.fail
    report(
        f"{len(present)} cards ({names})",
        f"more than one smart card is present {where}: WorkSpaces supports only one smart card at a time, "
        "for pre-session and in-session authentication alike"
        + (f" (the {baseline} baseline: \"{several.quote}\")" if warning else ""),
        "Remove every card but the user's.",
    )
    return r


def pin_login(outcome: Any) -> CheckResult:
    """CARD-3: the PIN unlocks the card, and the harness never risked the last try.

    ``outcome``: a :class:`hardware.session.LoginOutcome`, whose status is a
    :class:`~wscard.card_login.CardLoginStatus` (a card that went away is an
    :class:`~wscard.errors.EnvironmentProblem` raised by the login, never an outcome)."""
    r = CheckResult("CARD-3")
    r.evidence["login"] = outcome.summary()
    subject = f"card {outcome.card or '(unknown serial)'}"
    status = CardLoginStatus(outcome.status)
    if status is CardLoginStatus.OK:
        return r
    if status is CardLoginStatus.REFUSED:
        r.fail(subject, f"PIN not sent: {outcome.message}",
               "Have the card's PIN retry counter reset (PUK or the card management system) before running the "
               "card scenarios.")
    elif status is CardLoginStatus.WRONG_PIN:
        left = f"{outcome.tries_after} tries left" if outcome.tries_after is not None else "tries left unknown"
        r.fail(subject, f"the card refused the PIN ({left}); the harness will not try again in this run",
               "Set SMARTCARD_PIN to the card's PIN (or type it at the prompt).")
    elif status is CardLoginStatus.LOCKED:
        r.fail(subject, "the card's PIN is blocked", "Unblock the PIN with the PUK or the card management system.")
    elif status is CardLoginStatus.TRIES_UNKNOWN:
        r.skip(f"not evaluated: the PIN was not sent because the retry counter is unknown ({outcome.message})")
    else:  # CardLoginStatus.NO_TOKEN
        r.skip(f"no PKCS#11 token for the card: {outcome.message} (see CARD-1/CARD-2)")
    return r


def wrong_pin_costs_one_try(before: int | None, after: int | None, refused: bool) -> CheckResult:
    """CARD-3 on a scratch virtual card: a wrong PIN fails cleanly and costs exactly one try."""
    r = CheckResult("CARD-3")
    r.evidence.update({"tries_before": before, "tries_after": after, "wrong_pin_refused_by_card": refused})
    if not refused:
        r.fail("scratch card", "accepted a wrong PIN", "The card (or its driver) does not check the PIN.")
    elif before is None or after is None:
        r.fail("scratch card", "the retry counter could not be read before and after the wrong PIN")
    elif before - after != 1:
        r.fail("scratch card", f"a wrong PIN cost {before - after} tries ({before} -> {after}), not exactly one",
               "Check the card driver: it must send the PIN once.")
    elif after <= 0:
        r.fail("scratch card", "one wrong PIN locked the card")
    return r


def _slot_name(slot: str) -> str:
    return {"9A": "9A (PIV Authentication)", "9C": "9C (Digital Signature)", "9D": "9D (Key Management)",
            "9E": "9E (Card Authentication)"}.get(slot, slot)


def logon_certificates(certs: Sequence[SlotCert], card: str, problems: Sequence[SlotProblem] = ()) -> CheckResult:
    """UC-5: exactly one certificate with the Smart Card Logon EKU, in 9A (CAC: the ID
    certificate, which the harness maps to 9A).

    ``problems``: certificate objects the card edge could not decode. An undecodable
    object in 9A fails (OpenSC cannot read it either, so the card offers no logon
    certificate there); in another slot it is a warning (it might be a second logon
    certificate). An object whose reading gave an unknown answer is recorded, not judged.
    """
    r = CheckResult("UC-5")
    r.evidence["certificates"] = [c.summary() for c in certs]
    if problems:
        r.evidence["certificate_problems"] = [p.summary() for p in problems]
    logon = [c for c in certs if c.logon]
    subject = f"card {card}"
    for p in problems:
        if p.state != "undecodable":
            continue
        where = f" ({p.where})" if p.where.startswith("CAC") else ""
        text = (f"the certificate object in {_slot_name(p.slot)}{where} cannot be decoded: {p.problem}; "
                "OpenSC cannot read it either")
        fix = ("Write the certificate to the card again (DER, uncompressed with CertInfo 00, or gzip-compressed "
               "with CertInfo 01 as SP 800-73-4 says).")
        if p.slot == "9A":
            r.fail(subject, text + ", so the card offers no logon certificate in the first slot", fix)
        else:
            r.warn(subject, text + ", so the harness cannot tell whether it is a second logon certificate", fix)
    if not logon:
        if r.failures():
            return r
        unknown = [p for p in problems if p.state != "undecodable"]
        extra = ("; the card's answer for " + ", ".join(f"{_slot_name(p.slot)} ({p.problem})" for p in unknown)
                 + " was not understood") if unknown else ""
        unparsed = [(c, c.summary().get("problem")) for c in certs if c.summary().get("problem")]
        if unparsed:
            extra += "; the EKU of " + ", ".join(f"{_slot_name(c.slot)} is unknown: {why}" for c, why in unparsed)
        # whether the user certificate carries the EKU is UC-3's verdict
        return r.skip("no certificate on the card has the Smart Card Logon EKU (1.3.6.1.4.1.311.20.2.2): see UC-3"
                      + extra)
    if len(logon) > 1:
        where = ", ".join(f"{_slot_name(c.slot)}: {c.cert.subject.rfc4514_string()}" for c in logon)
        r.fail(subject, f"holds {len(logon)} certificates with the Smart Card Logon EKU ({where}); several "
               "logon certificates on one card cause sign-in failures",
               "Keep one logon certificate on the card (in 9A) and remove the Smart Card Logon EKU from the others.")
        return r
    only = logon[0]
    if only.slot == "?":
        r.warn(subject, f"the logon certificate's slot cannot be told ({only.where})",
               "Check that it is the PIV Authentication certificate (9A).")
    elif only.slot != "9A":
        r.fail(subject, f"the logon certificate ({only.cert.subject.rfc4514_string()}) is in slot "
               f"{_slot_name(only.slot)}, not the first slot 9A (PIV Authentication)",
               "Load the logon certificate and its key into 9A.")
    return r


def proof_of_possession(proof: SignatureProof, card: str) -> CheckResult:
    """UC-6: the card signed the fresh challenge of ``proof`` and the signature verifies with
    the logon certificate's public key. Skipped when the card holds no certificate (UC-5
    judges that); ``card`` names the card in the messages (serial or reader)."""
    r = CheckResult("UC-6")
    r.evidence.update(proof.as_evidence())
    slot_cert = proof.slot_cert
    if slot_cert is None:
        return r.skip(f"card {card} holds no certificate to prove possession of (see UC-5)")
    subject = f"{_slot_name(slot_cert.slot)} of card {card} ({slot_cert.cert.subject.rfc4514_string()})"
    if proof.error:
        r.fail(subject, f"the card could not sign the challenge: {proof.error}",
               "Check that the slot holds the private key of its certificate.")
    elif not proof.verified:
        r.fail(subject, "the card's signature over a fresh random challenge does not verify with the certificate's "
               "public key: the private key on the card does not match the certificate",
               "Re-issue the certificate for the key on the card (or load the matching key).")
    return r


def shared_access(steps: Sequence[tuple[str, bool, str]], card: str) -> CheckResult:
    """CARD-4: every step of the shared-access exercise worked. ``steps``: (what, ok, detail)."""
    r = CheckResult("CARD-4")
    r.evidence["steps"] = [{"step": s, "ok": ok, "detail": d} for s, ok, d in steps]
    for what, ok, detail in steps:
        if not ok:
            r.fail(f"card {card}", f"{what} failed while another connection was open: {detail}",
                   "Make sure no application opens the card exclusively (WorkSpaces needs shared access).")
    return r


__all__ = ["card_type", "one_card", "pin_login", "wrong_pin_costs_one_try", "logon_certificates",
           "proof_of_possession", "shared_access", "PIV", "CAC", "DUAL", "SUPPORTED"]
