"""A MODEL of the WorkSpaces Windows client's pre-session sign-in with a smart card.

It is not the real client. It follows the steps of the WorkSpaces user guide ("Use a
Smart Card to Log In to Your WorkSpace", S-CLIENT) and, at each, does what the
documents say the client and the service do, against the environment's AWS side, card
and PKI:

1. open the client (the client under test: version, OS, architecture);
2. enter the registration code and choose Register: the code is looked up with
   DescribeWorkspaceDirectories in the Region; "Insert your smart card" appears only
   when that directory has smart card authentication enabled
   (DescribeClientAuthenticationSettings) and the client is eligible: CLIENT-1..CLIENT-3,
   REGION-1 and WSP-1 for the user's WorkSpace, judged by the existing checks;
3. insert the card (exactly one card, CARD-2);
4. choose "Insert your smart card" (the client opens the card's PKCS#11 token);
5. the Certificates dialog: the card's certificates, listed through PKCS#11, and the
   logon certificate chosen (Smart Card Logon EKU first, slot 9A first);
6. the Smart Card dialog: the PIN unlocks the card, through the card session's PIN
   guard (the PIN comes from the card's source, never from here), then the directory's
   side: :mod:`wscard.login.directory`, a model of AD Connector's documented validation;
7. the "Starting WorkSpace" page asks for the PIN again: modelled as a second use of the
   card that is already unlocked (see "The second PIN prompt" below), with a second
   proof of possession for the WorkSpace's own logon. Before it, the client's device type
   must be allowed by the directory (WSP-3: the client registers, then is refused), and on
   a Windows WorkSpace the second prompt is the Windows logon inside the WorkSpace: the card
   must reach it (smart card redirection, SESSION-9), its certificates must be propagated
   (Certificate Propagation service, SESSION-10) and an ECC certificate must be allowed by
   policy (UC-8), judged on the Windows guest of the profile (``[guest]``) when it has one.

The outcome is "signed in" or the documented message of the step that failed. Each
step records what it did, how long it took and what it read, for the report.

The second PIN prompt. The harness sends a PIN to a card at most once per run, and
never again after a wrong one (:class:`hardware.pin.PinGuard`). The second prompt
therefore sends no VERIFY: it reuses the session the first prompt unlocked (the card's
PIN state is "verified"), and the card must still sign. After a wrong PIN the flow
stops at the first prompt: the second is never reached, and a reopened client gets
no PIN from the harness (a user would retype it; the harness does not).
"""

from __future__ import annotations

import enum
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..aws.ad_connector import DirectoryServiceSnapshot, blocked, read_directory
from ..aws.workspaces import WorkspacesSnapshot, check_pre_session_region, check_protocol
from ..card_login import CardLoginStatus
from ..errors import EnvironmentProblem, NoCard, PinAttemptRefused
from ..checks import CheckResult, Status
from ..client.checks import check_client_platform, check_windows_64bit, check_windows_client_version
from . import directory as D
from .context import LoginContext

#: The documented messages (S-CLIENT, "Use a Smart Card to Log In to Your WorkSpace").
MESSAGE_WRONG_CODE = ("If you don't see this text, verify that you've entered the correct registration code.")
MESSAGE_NOT_OFFERED = ("If you've entered the correct registration code and you don't see this text, contact your "
                       "WorkSpaces administrator for help.")
MESSAGE_RETRY = ("If you're unable to sign in, close and reopen the WorkSpaces client application, and then try "
                 "again. After trying again, if you still aren't able to sign in, contact your WorkSpaces "
                 "administrator for help.")
MESSAGE_SIGNED_IN = "You should be logged in to your WorkSpace."

#: key -> (step of the user guide, what the user sees or does)
STEPS = {
    "open": ("1", "Open the WorkSpaces Windows client"),
    "register": ("2", "Enter the registration code and choose Register"),
    "offer": ("2", '"Insert your smart card" appears on the login page'),
    "insert": ("3", "Insert the smart card into the reader"),
    "choose": ("4", 'Choose "Insert your smart card"'),
    "certificate": ("5", "Certificates dialog: select your certificate, choose OK"),
    "pin": ("6", "Smart Card dialog: enter your PIN, choose OK"),
    "directory": ("6", "The directory validates the certificate (model of AD Connector)"),
    "starting": ("7", "Starting WorkSpace: enter your PIN again, choose Submit"),
}

#: Where the model's PIN prompts say they are (the card session records the first).
FIRST_PROMPT = "LOGIN-2: the Smart Card dialog of the model client"
SECOND_PROMPT = "LOGIN-2: the Starting WorkSpace page of the model client"


class StepStatus(enum.StrEnum):
    """How far one step of the user guide went in a run (the value is what evidence shows)."""

    DONE = "done"
    #: The step failed: the sign-in fails here (LOGIN-1 or LOGIN-2).
    FAILED = "failed"
    #: The step stopped on a precondition another requirement judges (CARD-2, CARD-3...).
    STOPPED = "stopped"
    NOT_REACHED = "not reached"


class FlowOutcome(enum.StrEnum):
    """The outcome of one run of the model client (the value is what evidence shows)."""

    SIGNED_IN = "signed in"
    #: "Insert your smart card" did not appear (LOGIN-1).
    NOT_OFFERED = "not offered"
    #: The sign-in failed after the offer (LOGIN-2).
    FAILED = "failed"
    #: A precondition another requirement judges: no single card, the PIN not sent.
    STOPPED = "stopped"
    #: Smart cards are not used for pre-session authentication here.
    NOT_USED = "not used"
    #: The run has not ended (never the outcome of a run :meth:`ModelClient.run` returns).
    UNFINISHED = ""


@dataclass
class FlowInputs:
    """What the user types or chooses (never the PIN)."""

    registration_code: str
    user: str

    def as_evidence(self) -> dict[str, Any]:
        return {"registration_code": self.registration_code, "user": self.user}


@dataclass
class StepRecord:
    key: str
    status: StepStatus = StepStatus.NOT_REACHED
    detail: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.status = StepStatus(self.status)

    @property
    def guide_step(self) -> str:
        return STEPS[self.key][0]

    @property
    def title(self) -> str:
        return STEPS[self.key][1]

    def as_evidence(self) -> dict[str, Any]:
        return {"user_guide_step": self.guide_step, "step": self.title, "status": self.status, "detail": self.detail,
                "seconds": round(self.seconds, 4), **({"facts": self.facts} if self.facts else {})}


@dataclass
class PinPrompt:
    """One PIN prompt of the flow, as far as the card is concerned (no PIN value)."""

    prompt: str
    status: CardLoginStatus  # the card session's login status
    pin_sent_to_card: bool
    tries_before: int | None
    tries_after: int | None
    message: str = ""
    first_attempt_in: str = ""

    def __post_init__(self) -> None:
        self.status = CardLoginStatus(self.status)

    def as_evidence(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "login_status": self.status, "pin_sent_to_card": self.pin_sent_to_card,
                "pin_tries_before_attempt": self.tries_before, "pin_tries_after_attempt": self.tries_after,
                "message": self.message, "card_first_unlocked_in": self.first_attempt_in}


@dataclass
class FlowRun:
    """One run of the model client, from opening it to the outcome."""

    label: str
    attempt: int
    inputs: FlowInputs
    steps: dict[str, StepRecord] = field(default_factory=lambda: {k: StepRecord(k) for k in STEPS})
    #: signed in, not offered (LOGIN-1), failed (LOGIN-2), stopped (a precondition another
    #: requirement judges: no single card, the PIN not sent), not used (no pre-session)
    outcome: FlowOutcome = FlowOutcome.UNFINISHED
    message: str = ""
    stopped_at: str = ""
    #: The LOGIN requirement the failure belongs to, and the requirements of the rules broken.
    requirement: str = ""
    see: list[str] = field(default_factory=list)
    reason: str = ""
    directory_id: str = ""
    region: str = ""
    workspace: dict[str, Any] | None = None
    #: The directory's WorkspaceAccessProperties (DescribeWorkspaceDirectories).
    access: dict[str, str] = field(default_factory=dict)
    eligibility: list[CheckResult] = field(default_factory=list)
    #: What keeps "Insert your smart card" away whatever the baseline (smart card
    #: authentication not enabled, no WorkSpace for the user).
    offer_blockers: list[str] = field(default_factory=list)
    decision: D.DirectoryDecision | None = None
    card: str = ""
    tries_at_start: int | None = None
    tries_at_end: int | None = None
    pins_sent: int = 0
    prompts: list[PinPrompt] = field(default_factory=list)
    api_calls: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.outcome = FlowOutcome(self.outcome)

    @property
    def signed_in(self) -> bool:
        return self.outcome is FlowOutcome.SIGNED_IN

    @property
    def offered(self) -> bool:
        return self.steps["offer"].status is StepStatus.DONE

    @property
    def reached_pin(self) -> bool:
        return self.steps["pin"].status is not StepStatus.NOT_REACHED

    def as_evidence(self) -> dict[str, Any]:
        return {
            "model": "a model of the documented WorkSpaces Windows client, not the real client",
            "run": self.label, "attempt": self.attempt, "inputs": self.inputs.as_evidence(),
            "outcome": self.outcome, "message_shown": self.message, "stopped_at": self.stopped_at and
            STEPS[self.stopped_at][1], "requirement": self.requirement, "see": self.see, "reason": self.reason,
            "directory": {"id": self.directory_id, "region": self.region} if self.directory_id else None,
            "workspace": self.workspace,
            "card": {"token": self.card, "pin_tries_at_start": self.tries_at_start,
                     "pin_tries_at_end": self.tries_at_end, "pins_sent_to_the_card_in_this_run_of_the_flow": self.pins_sent,
                     "prompts": [p.as_evidence() for p in self.prompts]},
            "steps": [s.as_evidence() for s in self.steps.values()],
            "seconds": round(self.seconds, 4),
        }

    def text(self) -> str:
        """The flow as the report's text attachment: one line per step."""
        lines = [f"{self.label}, attempt {self.attempt} (a MODEL of the documented client, not the real client)",
                 f"registration code {self.inputs.registration_code or '(none)'}, user {self.inputs.user or '(none)'}"]
        for s in self.steps.values():
            mark = {StepStatus.DONE: "ok  ", StepStatus.FAILED: "FAIL", StepStatus.STOPPED: "STOP",
                    StepStatus.NOT_REACHED: " -  "}[s.status]
            detail = f": {s.detail}" if s.detail else ""
            timing = f" ({s.seconds * 1000:.1f} ms)" if s.status is not StepStatus.NOT_REACHED else ""
            lines.append(f"[{mark}] step {s.guide_step}. {s.title}{timing}{detail}")
        lines.append(f"outcome: {self.outcome}" + (f" ({self.requirement}; see {', '.join(self.see)})"
                                                    if self.requirement and self.see else
                                                    f" ({self.requirement})" if self.requirement else ""))
        if self.message:
            lines.append(f"the client shows: {self.message}")
        lines.append(f"PIN tries: {self.tries_at_start} at the start, {self.tries_at_end} at the end; "
                     f"PINs sent to the card by this run: {self.pins_sent}")
        lines.append(f"total {self.seconds * 1000:.1f} ms")
        return "\n".join(lines)


class _Stop(Exception):
    pass


@dataclass
class ModelClient:
    """The model client and what it talks to.

    ``aws``: an :class:`~wscard.aws.env.AwsEnvironment`; ``client``: the client under
    test; ``card``: a :class:`~hardware.session.CardSession` (duck-typed: presence, card,
    certificates, logon_certificate, login, sign, guard, backend); ``context``: the
    :class:`~wscard.login.context.LoginContext` the sign-in is judged against (Region,
    baseline, authentication, expected UPN, CA files, the PKI view that runs the OCSP
    process with the registrations read from the directory the code resolved to).
    """

    aws: Any
    client: Any  # wscard.client.checks.ClientUnderTest
    card: Any
    context: LoginContext
    label: str = "the environment's sign-in"
    #: The Windows WorkSpace image (:class:`~wscard.guest.windows.WindowsGuestConfig`) whose
    #: logon the second PIN prompt is; None when the profile describes none.
    windows_guest: Any = None
    #: The domain's side of the Windows logon at the second PIN prompt (KCD-7, UC-7):
    #: a :class:`~wscard.login.windows_logon.WindowsLogon`; None: not modelled.
    windows_logon: Any = None

    def run(self, inputs: FlowInputs, attempt: int = 1) -> FlowRun:
        """Run the flow once (a freshly opened client)."""
        run = FlowRun(self.label, attempt, inputs)
        mark = self.aws.recorder.mark()
        pins_before = self.card.guard.pins_sent()
        # The harness's own observation, outside the model: the retry counter before and
        # after the flow (a read that costs no try), whether or not the flow reaches the card.
        run.card, run.tries_at_start = self._observe()
        t0 = time.perf_counter()
        try:
            if "pre-session" not in self.context.authentication:
                run.outcome = FlowOutcome.NOT_USED
                run.reason = "smart cards are not used for pre-session authentication here ([profile].authentication)"
                return run
            self._open(run)
            snap, ws_dir = self._register(run)
            self._offer(run, snap, ws_dir)
            self._insert(run)
            self._choose(run)
            chosen = self._certificate(run)
            self._pin(run)
            self._directory(run, snap, chosen)
            self._starting(run, chosen)
            run.outcome, run.message = FlowOutcome.SIGNED_IN, MESSAGE_SIGNED_IN
        except _Stop:
            pass
        finally:
            run.tries_at_end = self._observe()[1]
            run.pins_sent = self.card.guard.pins_sent() - pins_before
            run.api_calls = self.aws.calls_since(mark)
            run.seconds = time.perf_counter() - t0
        return run

    # --- helpers ---------------------------------------------------------------------
    @contextmanager
    def _step(self, run: FlowRun, key: str) -> Iterator[StepRecord]:
        rec = run.steps[key]
        t0 = time.perf_counter()
        rec.status = StepStatus.DONE
        try:
            yield rec
        finally:
            rec.seconds = time.perf_counter() - t0

    def _stop(self, run: FlowRun, rec: StepRecord, outcome: FlowOutcome, requirement: str, message: str, reason: str,
              see: list[str] | None = None) -> None:
        rec.status = StepStatus.STOPPED if outcome is FlowOutcome.STOPPED else StepStatus.FAILED
        rec.detail = reason
        run.outcome, run.requirement, run.message, run.reason = outcome, requirement, message, reason
        run.see = list(dict.fromkeys(see or []))
        run.stopped_at = rec.key
        raise _Stop()

    def _observe(self) -> tuple[str, int | None]:
        """The card's token serial and PIN tries left, read without consuming a try
        ("", None when there is no single token or the card does not say)."""
        try:
            info = self.card.card().info
        except (NoCard, EnvironmentProblem):  # no single card, or the card stack is gone
            return "", None
        try:
            return info.serial, self.card.backend.tries_left(info)
        except (PinAttemptRefused, EnvironmentProblem):  # a counter the guard will not risk, a reader gone
            return info.serial, None

    # --- the steps ---------------------------------------------------------------------
    def _open(self, run: FlowRun) -> None:
        with self._step(run, "open") as rec:
            rec.detail = self.client.describe()
            rec.facts = {"client": self.client.as_evidence()}

    def _register(self, run: FlowRun) -> tuple[DirectoryServiceSnapshot, dict[str, Any]]:
        region = self.context.region
        with self._step(run, "register") as rec:
            code = run.inputs.registration_code
            ws = self.aws.client("workspaces", region)
            found, listed = resolve_registration_code(ws, code)
            rec.facts = {"registration_code": code, "region": region,
                         "directories_registered_with_workspaces": listed}
            if found is None:
                why = (f"registration code {code!r} belongs to no directory registered with WorkSpaces in "
                       f"{region} ({listed} listed by DescribeWorkspaceDirectories)") if code else \
                      "there is no registration code to enter: the directory is not registered with WorkSpaces"
                self._stop(run, rec, FlowOutcome.NOT_OFFERED, "LOGIN-1", MESSAGE_WRONG_CODE, why,
                           [] if code else ["WSP-3"])
            did = found["DirectoryId"]
            run.directory_id, run.region = did, region
            rec.detail = f"the code belongs to directory {did} ({found.get('DirectoryName', '')}) in {region}"
            snap = read_directory(self.aws.client("ds", region), did, region)
            rec.facts["directory"] = {"id": did, "type": snap.type, "name": snap.directory.get("Name", "")}
            return snap, found

    def _offer(self, run: FlowRun, snap: DirectoryServiceSnapshot, ws_dir: dict[str, Any]) -> None:
        ctx = self.context
        with self._step(run, "offer") as rec:
            user = run.inputs.user
            enabled = snap.enabled_smart_card()
            rec.facts["client_authentication"] = _client_auth_text(snap)
            mine = self._user_workspaces(ws_dir["DirectoryId"], user)
            run.workspace = _workspace_summary(mine[0]) if mine else None
            run.access = dict(ws_dir.get("WorkspaceAccessProperties") or {})
            user_snap = WorkspacesSnapshot(ws_dir["DirectoryId"], ctx.region, ws_dir, workspaces=mine)
            run.eligibility = [
                check_windows_client_version(self.client, ctx.baseline),
                check_windows_64bit(self.client, ctx.baseline),
                check_client_platform(self.client, ctx.baseline),
                check_pre_session_region(ctx.region, ctx.authentication, ctx.baseline),
                check_protocol(user_snap, ctx.baseline),
            ]
            rec.facts["eligibility"] = [{"requirement": r.requirement, "title": r.title, "status": r.status.value,
                                         "findings": [f.render() for f in r.findings],
                                         **({"skipped_because": r.skipped_because} if r.skipped_because else {})}
                                        for r in run.eligibility]
            rec.facts["user_workspaces"] = [_workspace_summary(w) for w in mine]
            blockers: list[tuple[str, list[str]]] = []
            if enabled is None:
                why = blocked(snap)
                see = ["AUTH-4"] if snap.type != "ADConnector" else ["REGION-3"] if why else ["AUTH-3"]
                blockers.append((f"smart card authentication is not enabled on directory {snap.directory_id} "
                                 f"(DescribeClientAuthenticationSettings: {_client_auth_text(snap)})"
                                 + (f"; {why}" if why else ""), see))
            else:
                rec.facts["smart_card_authentication"] = enabled
            if not mine:
                blockers.append((f"user {user or '(none)'} has no WorkSpace in directory {ws_dir['DirectoryId']}", []))
            run.offer_blockers = [text for text, _ in blockers]
            failed = [r for r in run.eligibility if r.status is Status.FAILED]
            texts = [text for text, _ in blockers]
            if failed:
                texts.append("the client is not eligible for smart card sign-in: " + "; ".join(
                    f"{r.requirement}: {f.subject}: {f.problem}" for r in failed for f in r.failures()))
            if texts:
                self._stop(run, rec, FlowOutcome.NOT_OFFERED, "LOGIN-1", MESSAGE_NOT_OFFERED, "; ".join(texts),
                           [s for _, see in blockers for s in see] + [r.requirement for r in failed])
            rec.detail = (f'"Insert your smart card" appears: smart card authentication is {enabled.get("Status")} '
                          f'({enabled.get("Type")}) and the client is eligible; user {user}\'s WorkSpace '
                          f'{mine[0].get("WorkspaceId")} uses {"+".join(_protocols(mine[0])) or "?"}')

    def _user_workspaces(self, directory_id: str, user: str) -> list[dict[str, Any]]:
        if not user:
            return []
        ws = self.aws.client("workspaces", self.context.region)
        out, token = [], None
        while True:
            args: dict[str, Any] = {"DirectoryId": directory_id, "UserName": user}
            if token:
                args["NextToken"] = token
            page = ws.describe_workspaces(**args)
            out += page.get("Workspaces", [])
            token = page.get("NextToken")
            if not token:
                return out

    def _insert(self, run: FlowRun) -> None:
        with self._step(run, "insert") as rec:
            present = list(self.card.presence())
            rec.facts["cards_present"] = [p.summary() if hasattr(p, "summary") else str(p) for p in present]
            if len(present) != 1:
                what = "no smart card is present" if not present else f"{len(present)} smart cards are present"
                self._stop(run, rec, FlowOutcome.STOPPED, "LOGIN-2", MESSAGE_RETRY,
                           f"{what}; WorkSpaces supports one smart card at a time", ["CARD-2"])
            rec.detail = f"one card: {getattr(present[0], 'where', present[0])}"

    def _choose(self, run: FlowRun) -> None:
        with self._step(run, "choose") as rec:
            try:
                info = self.card.card().info
            except (NoCard, EnvironmentProblem) as exc:
                self._stop(run, rec, FlowOutcome.STOPPED, "LOGIN-2", MESSAGE_RETRY,
                           f"the client finds no PKCS#11 token for the card: {exc}", ["CARD-1"])
            serial, tries = self._observe()
            rec.detail = f"the card's PKCS#11 token {info.serial}; {tries} PIN tries left"
            rec.facts = {"token_serial": info.serial, "pin_tries_left": tries}

    def _certificate(self, run: FlowRun) -> tuple[Any, bytes]:
        with self._step(run, "certificate") as rec:
            listed = self.card.certificates()
            rec.facts["certificates"] = [c.summary() for c in listed]
            chosen = self.card.logon_certificate()
            if chosen is None:
                self._stop(run, rec, FlowOutcome.STOPPED, "LOGIN-2", MESSAGE_RETRY,
                           "the Certificates dialog is empty: the card holds no certificate", ["UC-5"])
            slot_cert, _ = chosen
            rec.facts["chosen"] = slot_cert.summary()
            rec.detail = (f"{len(listed)} certificate(s) listed through PKCS#11; chosen: slot {slot_cert.slot}, "
                          f"{slot_cert.cert.subject.rfc4514_string()}")
            return chosen

    def _prompt(self, where: str) -> PinPrompt:
        before = self.card.guard.pins_sent()
        out = self.card.login(where)
        sent = self.card.guard.pins_sent() > before
        return PinPrompt(where, out.status, sent, out.tries_before, out.tries_after, out.message, out.where)

    def _pin(self, run: FlowRun) -> None:
        with self._step(run, "pin") as rec:
            prompt = self._prompt(FIRST_PROMPT)
            run.prompts.append(prompt)
            rec.facts = prompt.as_evidence()
            how = "the PIN went to the card" if prompt.pin_sent_to_card else \
                f"no PIN sent: the card's login earlier in this run ({prompt.first_attempt_in}) is reused"
            if prompt.status is CardLoginStatus.OK:
                rec.detail = f"the card is unlocked ({how})"
                return
            if prompt.status is CardLoginStatus.WRONG_PIN:
                left = f"{prompt.tries_after} tries left" if prompt.tries_after is not None else "tries left unknown"
                self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY,
                           f"the card refused the PIN ({left}; {how}); the harness makes no further PIN attempt on "
                           "this card in this run", ["CARD-3"])
            if prompt.status is CardLoginStatus.LOCKED:
                self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY, "the card's PIN is blocked",
                           ["CARD-3"])
            if prompt.status in (CardLoginStatus.REFUSED, CardLoginStatus.NO_TOKEN, CardLoginStatus.TRIES_UNKNOWN):
                # the PIN guard declined to send the PIN: nothing was judged (CARD-3 skips too)
                self._stop(run, rec, FlowOutcome.STOPPED, "LOGIN-2", MESSAGE_RETRY, f"PIN not sent: {prompt.message}",
                           ["CARD-3"])
            raise RuntimeError(f"card login status {prompt.status!r} has no meaning in the flow")  # a harness bug

    def _directory(self, run: FlowRun, snap: DirectoryServiceSnapshot, chosen: tuple[Any, bytes]) -> None:
        from ..pki.environment import card_user_entries

        slot_cert, key_id = chosen
        with self._step(run, "directory") as rec:
            entry = card_user_entries([slot_cert])[0]
            pub = slot_cert.cert.public_key()
            decision = D.validate(self.context, snap, entry,
                                  lambda challenge: self.card.sign(key_id, challenge, pub, FIRST_PROMPT))
            run.decision = decision
            rec.facts = decision.as_evidence()
            if not decision.accepted:
                why = "; ".join(f"{r.name} ({r.requirement}): {r.detail}" for r in decision.refusals)
                self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY,
                           f"the directory refuses the certificate: {why}",
                           [rid.strip() for r in decision.refusals for rid in r.requirement.split(",")])
            rec.detail = (f"directory {snap.directory_id} accepts the certificate: "
                          + ", ".join(r.name for r in decision.rules))

    def _device_allowed(self, run: FlowRun, rec: StepRecord) -> None:
        """WSP-3 in the flow: the client registers whatever the directory allows, but the
        session is refused when the client's device type is not allowed."""
        from ..sections.workspaces import DEVICE_ACCESS_KEYS

        member = DEVICE_ACCESS_KEYS.get(self.client.platform, "")
        value = run.access.get(member, "not reported")
        rec.facts["device_access"] = {"client_platform": self.client.platform, "member": member, "value": value}
        if value != "ALLOW":
            self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY,
                       f"the directory {run.directory_id} does not allow the client's device type ({member} = "
                       f"{value}): the client registered, but the WorkSpace refuses the session", ["WSP-3"])

    def _windows_logon_guest(self, run: FlowRun, rec: StepRecord, slot_cert: Any) -> None:
        """On a Windows WorkSpace the second prompt is the Windows logon inside it: the card
        must reach it (SESSION-9), its certificates be propagated (SESSION-10), an ECC
        certificate be allowed (UC-8), judged on the profile's Windows guest."""
        from ..aws.workspaces import os_family

        os_name = (run.workspace or {}).get("OperatingSystemName") or ""
        if os_family({"WorkspaceProperties": {"OperatingSystemName": os_name}}) != "windows":
            rec.facts["windows_logon"] = f"not a Windows WorkSpace ({os_name or 'operating system not reported'})"
            return
        if self.windows_guest is None:
            rec.facts["windows_logon"] = ("not modelled: the profile describes no Windows WorkSpace image "
                                          "([guest].os); SESSION-9, SESSION-10 and UC-8's policy are not judged here")
            return
        from ..guest import windows as W

        results = [W.check_smartcard_redirection(self.windows_guest),
                   W.check_certificate_propagation(self.windows_guest),
                   W.check_ecc_logon_policy(self.windows_guest, [slot_cert.cert])]
        rec.facts["windows_logon"] = [{"requirement": r.requirement, "status": r.status.value,
                                       "findings": [f.render() for f in r.findings],
                                       **({"skipped_because": r.skipped_because} if r.skipped_because else {})}
                                      for r in results]
        failed = [r for r in results if r.status is Status.FAILED]
        if failed:
            self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY,
                       "the Windows logon inside the WorkSpace cannot use the card: " + "; ".join(
                           f"{r.requirement}: {f.subject}: {f.problem}" for r in failed for f in r.failures()),
                       [r.requirement for r in failed])

    def _windows_logon_domain(self, slot_cert):
        from .windows_logon import WindowsLogonVerdict

        if self.windows_logon is None:
            return WindowsLogonVerdict(not_modelled="no directory was given to the model")
        return self.windows_logon.judge(slot_cert.cert, f"the certificate in slot {slot_cert.slot} "
                                                        f"('{slot_cert.cert.subject.rfc4514_string()}')")

    def _starting(self, run: FlowRun, chosen: tuple[Any, bytes]) -> None:
        slot_cert, key_id = chosen
        with self._step(run, "starting") as rec:
            self._device_allowed(run, rec)
            self._windows_logon_guest(run, rec, slot_cert)
            prompt = self._prompt(SECOND_PROMPT)
            run.prompts.append(prompt)
            rec.facts.update({"prompt": prompt.as_evidence(), "workspace": run.workspace})
            if prompt.status is not CardLoginStatus.OK:  # the first prompt unlocked the card; this cannot differ
                self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY, f"the card is no longer unlocked: "
                           f"{prompt.status} {prompt.message}", ["CARD-3"])
            state = (run.workspace or {}).get("State", "")
            if state not in ("AVAILABLE", "STOPPED", "PENDING", "STARTING", "REBOOTING"):
                self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY,
                           f"the WorkSpace {(run.workspace or {}).get('WorkspaceId')} is {state or 'in no state'}: "
                           "it cannot be started")
            rule, facts = D.proof_of_possession(
                slot_cert.cert, lambda challenge: self.card.sign(key_id, challenge, slot_cert.cert.public_key(),
                                                                SECOND_PROMPT))
            rec.facts["second_use_of_the_card"] = {**facts, "rule": rule.as_evidence()}
            if not rule.passed:
                self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY,
                           f"the WorkSpace's logon: {rule.detail}", [rule.requirement])
            domain = self._windows_logon_domain(slot_cert)
            rec.facts["windows_logon_domain"] = domain.as_evidence()
            if domain.refusals:
                why = "; ".join(f"{r.requirement}: {f.subject}: {f.problem}" for r in domain.refusals
                                for f in r.failures())
                self._stop(run, rec, FlowOutcome.FAILED, "LOGIN-2", MESSAGE_RETRY,
                           f"the Windows logon inside the WorkSpace is refused by the domain controller: {why}",
                           [r.requirement for r in domain.refusals])
            how = ("the PIN went to the card again" if prompt.pin_sent_to_card else
                   "no second VERIFY: the card unlocked at the Smart Card dialog is used again")
            judged = ("the domain accepts the certificate for the Windows logon (NTAuth store, KCD-7; strong "
                      "mapping, UC-7)" if not domain.not_modelled else
                      f"the domain's side of the Windows logon (KCD-7, UC-7) is not modelled: {domain.not_modelled}")
            rec.detail = (f"WorkSpace {(run.workspace or {}).get('WorkspaceId')} ({state}) starts; {how}; the card "
                          f"signs a second fresh challenge and the signature verifies; {judged}")


# --- the registration code ------------------------------------------------------------

def resolve_registration_code(ws, code: str) -> tuple[dict[str, Any] | None, int]:
    """The WorkSpaces directory whose registration code is ``code`` (compared without
    case and surrounding spaces, as a user types it), looked up with
    DescribeWorkspaceDirectories over every page of the Region; and how many
    directories were listed."""
    wanted = code.strip().lower()
    found, listed, token = None, 0, None
    while True:
        args: dict[str, Any] = {"NextToken": token} if token else {}
        page = ws.describe_workspace_directories(**args)
        for d in page.get("Directories", []):
            listed += 1
            if wanted and found is None and str(d.get("RegistrationCode", "")).strip().lower() == wanted:
                found = d
        token = page.get("NextToken")
        if not token:
            return found, listed


def registration_code_of(ws, directory_id: str) -> str:
    """The registration code of a directory (DescribeWorkspaceDirectories); empty when
    it is not registered with WorkSpaces."""
    found = ws.describe_workspace_directories(DirectoryIds=[directory_id]).get("Directories", [])
    for d in found:
        if d.get("DirectoryId") == directory_id:
            return str(d.get("RegistrationCode", ""))
    return ""


def _client_auth_text(snap: DirectoryServiceSnapshot) -> str:
    if snap.client_auth:
        return ", ".join(f"{s.get('Type')} {s.get('Status')}" for s in snap.client_auth)
    if snap.unsupported.get("DescribeClientAuthenticationSettings"):
        return f"refused with {snap.unsupported['DescribeClientAuthenticationSettings']}"
    return "no settings"


def _protocols(w: dict[str, Any]) -> list[str]:
    return list((w.get("WorkspaceProperties") or {}).get("Protocols") or [])


def _workspace_summary(w: dict[str, Any]) -> dict[str, Any]:
    props = w.get("WorkspaceProperties") or {}
    return {"WorkspaceId": w.get("WorkspaceId"), "UserName": w.get("UserName"), "State": w.get("State"),
            "Protocols": props.get("Protocols"), "OperatingSystemName": props.get("OperatingSystemName")}
