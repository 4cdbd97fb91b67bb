"""SESSION-8: a pre-session WorkSpaces session is limited by the Kerberos maximum service
ticket lifetime (10 hours by default). Reported, not judged.

Where the figure comes from, in order:

1. **The domain's KDC** (``[ad] mode = "samba"`` or ``"ldap"``; the ``@ad`` scenario, with
   the AD area's session, :func:`read_from_domain`): the harness asks for tickets as the AD Connector service account with
   MIT Kerberos (``kinit -l 7d``, then ``kvno ldap/<domain controller>``, in a private
   ``KRB5_CONFIG`` and ticket cache, the password on kinit's standard input) and reads
   the lifetimes the KDC granted from ``klist``: the service ticket's is the session
   limit (a KDC never issues a service ticket beyond its policy, nor beyond the
   ticket-granting ticket). Active Directory keeps this policy in the Default Domain
   Policy's ``GptTmpl.inf`` (``MaxServiceAge``, ``MaxTicketAge``) in SYSVOL, not in an
   LDAP attribute, and Samba in its smb.conf (``kdc:service ticket lifetime``); the
   tickets are what both enforce. In samba mode the simulated DC's smb.conf values are
   attached beside the measurement.
2. **The documented default** (10 hours, ``wscard/data/limits.toml``,
   :func:`documented_default`), when the profile has no domain or the simulated domain
   controller cannot run on this machine (the other scenario).

The requirement ends ``passed`` with the figure in the evidence; ``warning`` when a
domain is configured but its lifetimes cannot be read (the reason is given), or when
they are shorter than ``[login].session_hours_needed`` (a working day).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..checks import CheckResult
from ..errors import EnvironmentProblem
from ..limits import limits

_KLIST_LINE = re.compile(r"^\s*(\d{2}/\d{2}/\d{2,4} \d{2}:\d{2}:\d{2})\s+(\d{2}/\d{2}/\d{2,4} \d{2}:\d{2}:\d{2})\s+(\S+)")


def documented() -> dict[str, Any]:
    return dict(limits()["kerberos_ticket_lifetimes"])


def documented_service_hours() -> float:
    return documented()["max_service_ticket_minutes"] / 60


@dataclass
class TicketLifetimes:
    """What the harness found out about the domain's ticket lifetimes."""

    #: "kdc" (measured), "documented default", or "unreadable"
    source: str
    service_ticket_hours: float | None = None
    user_ticket_hours: float | None = None
    realm: str = ""
    principal: str = ""
    service: str = ""
    kdcs: list[str] = field(default_factory=list)
    configured: dict[str, str] = field(default_factory=dict)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    problem: str = ""
    #: why SESSION-8's no-domain case does not apply (the profile has a domain: its KDC is asked)
    not_applicable: str = ""
    seconds: float = 0.0

    @property
    def session_hours(self) -> float | None:
        return self.service_ticket_hours

    def as_evidence(self) -> dict[str, Any]:
        return {"source": self.source, "session_limit_hours": _round(self.session_hours),
                "service_ticket_hours": _round(self.service_ticket_hours),
                "user_ticket_hours (TGT)": _round(self.user_ticket_hours), "realm": self.realm,
                "asked_as": self.principal, "service": self.service, "kdcs": self.kdcs,
                "configured_on_the_simulated_dc": self.configured or None, "tickets": self.tickets,
                "note": self.note, "problem": self.problem, "documented": documented(),
                "seconds": round(self.seconds, 3)}

    def text(self) -> str:
        if self.not_applicable:
            return f"Not applicable: {self.not_applicable}."
        if self.problem:
            return (f"The Kerberos ticket lifetimes could not be read: {self.problem}\n"
                    f"Documented default: {documented_service_hours():g} h.")
        where = ("measured at the KDC" if self.source == "kdc" else "the documented default (not read from a domain)")
        lines = [f"Sessions are limited to {self.session_hours:g} h ({where})."]
        if self.source == "kdc":
            lines.append(f"Service ticket {self.service}: {self.service_ticket_hours:g} h; ticket-granting ticket of "
                         f"{self.principal}: {self.user_ticket_hours:g} h.")
        if self.configured:
            lines.append("Simulated DC's smb.conf: " + ", ".join(f"kdc:{k} = {v}" for k, v in self.configured.items()))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def parse_klist(text: str) -> list[dict[str, Any]]:
    """The tickets ``klist`` lists (C locale): start, end, principal, hours."""
    out = []
    for line in text.splitlines():
        m = _KLIST_LINE.match(line)
        if not m:
            continue
        start, end = (_parse_time(m.group(i)) for i in (1, 2))
        out.append({"principal": m.group(3), "valid_starting": start.isoformat(), "expires": end.isoformat(),
                    "hours": (end - start).total_seconds() / 3600})
    return out


def _parse_time(text: str) -> datetime:
    for fmt in ("%m/%d/%y %H:%M:%S", "%m/%d/%Y %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"unrecognised klist time {text!r}")


def _client_class():
    from ..ad.kerberos import KerberosClient

    class LifetimeClient(KerberosClient):
        """MIT tools in a private directory, times printed in UTC."""

        def env(self) -> dict[str, str]:
            return {**super().env(), "TZ": "UTC"}

        def measure(self, principal: str, password, service: str) -> tuple[list[dict[str, Any]], str]:
            self._secrets = (password.reveal(),)
            p = self._run(["kinit", "-f", "-l", "7d", principal], stdin=password.reveal() + "\n")
            if p.returncode != 0:
                raise EnvironmentProblem(f"kinit as {principal} failed: {p.stderr.strip()}")
            p = self._run(["kvno", service])
            if p.returncode != 0:
                raise EnvironmentProblem(f"kvno {service} failed: {p.stderr.strip()}")
            p = self._run(["klist"])
            if p.returncode != 0:
                raise EnvironmentProblem(f"klist failed: {p.stderr.strip()}")
            return parse_klist(p.stdout), p.stdout

    return LifetimeClient


def measure(session) -> TicketLifetimes:
    """Ask the KDC of an open :class:`wscard.ad.AdSession` for a TGT and a service ticket
    and read their lifetimes."""
    t = session.target
    host = t.ldap.host
    service = f"ldap/{host}" if re.search(r"[A-Za-z]", host) else session.listed_service()
    reading = TicketLifetimes("kdc", realm=t.realm, principal=t.service_principal, service=service,
                              kdcs=session.kdcs())
    dc = getattr(session, "dc", None)
    if dc is not None:
        reading.configured = {f"{k}": f"{v} h" if "lifetime" in k else v for k, v in dc.kdc_options.items()}
    if t.service_password is None:
        raise EnvironmentProblem(t.service_password_missing or "the service account's password is unknown")
    client = _client_class()(t.realm, reading.kdcs, t.timeout)
    try:
        tickets, _ = client.measure(t.service_principal, t.service_password, service)
    finally:
        client.close()
    reading.tickets = tickets
    tgt = next((x for x in tickets if x["principal"].lower().startswith("krbtgt/")), None)
    svc = next((x for x in tickets if x["principal"].lower().startswith(service.lower())), None)
    if svc is None:
        raise EnvironmentProblem(f"klist shows no ticket for {service}")
    reading.service_ticket_hours = svc["hours"]
    reading.user_ticket_hours = tgt["hours"] if tgt else None
    if tgt and abs(tgt["hours"] - svc["hours"]) < 1 / 60:
        reading.note = ("The service ticket lasts as long as the ticket-granting ticket: the domain's maximum service "
                        "ticket lifetime is at least this long, and sessions end after this time either way.")
    return reading


def read_from_domain(session) -> TicketLifetimes:
    """The lifetimes the KDC of an open :class:`wscard.ad.AdSession` grants; a reading
    with ``problem`` set when they cannot be read (a warning, not an error)."""
    t0 = time.perf_counter()
    try:
        reading = measure(session)
    except EnvironmentProblem as exc:
        t = session.target
        reading = TicketLifetimes("unreadable", realm=t.realm, principal=t.service_principal,
                                  problem=str(exc).removeprefix(EnvironmentProblem.PREFIX))
    reading.seconds = time.perf_counter() - t0
    return reading


def documented_default(why: str | None) -> TicketLifetimes:
    """The documented default, when there is no domain to read: ``why`` says why not
    (``wscard``'s caller knows: ``[ad] mode = "none"``, no Samba here...). ``why`` None means
    the profile has a domain the harness can read: the reading is then marked not applicable
    (its KDC is asked instead, by :func:`read_from_domain`), and :func:`check_session_limit`
    says so."""
    if why is None:
        return TicketLifetimes("documented default", not_applicable="the profile has a domain: its KDC is asked "
                                                                    "(the @ad scenario of SESSION-8)")
    return TicketLifetimes("documented default", documented_service_hours(), documented()["max_user_ticket_hours"],
                           note=f"Not read from a domain: {why}. The documented default is reported.")


def check_session_limit(reading: TicketLifetimes, hours_needed: float) -> CheckResult:
    """SESSION-8: the figure is reported; a warning when it cannot be read, or when it is
    shorter than ``hours_needed``."""
    r = CheckResult("SESSION-8")
    if reading.not_applicable:
        return r.not_applicable(reading.not_applicable)
    r.evidence["kerberos_ticket_lifetimes"] = reading.as_evidence()
    r.evidence["session_hours_needed"] = hours_needed
    fix = ("Group Policy: Default Domain Policy > Computer Configuration > Policies > Windows Settings > Security "
           "Settings > Account Policies > Kerberos Policy > 'Maximum lifetime for service ticket' (600 minutes by "
           "default) and 'Maximum lifetime for user ticket' (10 hours); Samba: 'kdc:service ticket lifetime' and "
           "'kdc:user ticket lifetime' (hours) in smb.conf.")
    if reading.problem:
        r.warn(f"the Kerberos policy of the domain ({reading.realm or 'the profile [ad]'})",
               f"cannot be read: {reading.problem}; sessions are limited by the maximum service ticket lifetime, "
               f"{documented_service_hours():g} hours by default.",
               "Make the domain's KDC reachable and give the service account's password ([ad].service_password_env), "
               "or check the Kerberos Policy by hand.")
        return r
    hours = reading.session_hours
    if hours is not None and hours < hours_needed:
        r.warn(f"the domain {reading.realm}",
               f"issues service tickets valid for {hours:g} hours: pre-session WorkSpaces sessions end after "
               f"{hours:g} hours, shorter than the {hours_needed:g} hours a working day needs "
               f"([login].session_hours_needed; the documented default is {documented_service_hours():g} hours).",
               fix)
    return r
