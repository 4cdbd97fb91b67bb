"""PAM: is a smart card module reached when ``sudo`` (and ``sudo -i``) authenticate?

Smart card modules: ``pam_pkcs11.so`` (Amazon Linux 2, the WorkSpaces image) and
``pam_sss.so`` with ``try_cert_auth`` or ``require_cert_auth`` (SSSD's certificate
authentication: RHEL/Rocky 8 and 9, authselect's ``sssd`` profile ``with-smartcard``).

The stack of a service is ``/etc/pam.d/<service>`` with its ``include`` / ``substack`` /
``@include`` lines expanded, followed as Linux-PAM follows it (``pam.conf(5)``):
``include`` inserts the lines of the other file (a jump may run past its end);
``substack`` does too, but ``done`` and ``die`` inside it end only the substack, jumps
inside it cannot leave it, and a jump in the parent counts the whole substack as one
module. ``[value=N]`` skips the next N modules. Whether the smart card line is reached
depends on the lines above it: the documented way to limit smart card authentication to
some services (S-ADMIN; authselect's ``with-smartcard-required``) is a ``pam_succeed_if.so
service in|notin a:b:c`` line whose jump skips it. This module evaluates those
``service`` conditions exactly and treats every other module as "may succeed, fail or be
unavailable", then asks whether some path through the stack reaches a smart card line.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from .rootfs import RootFS

PAM_DIR = "/etc/pam.d"
SMARTCARD_MODULES = ("pam_pkcs11.so",)
#: pam_sss options that make it authenticate with a certificate (sssd's ``pam_sss(8)``).
SSS_CERT_OPTIONS = ("try_cert_auth", "require_cert_auth")
MAX_DEPTH = 16


@dataclass
class PamLine:
    file: str  # guest path of the file
    lineno: int
    type: str  # auth, account, password, session
    control: str  # "required" or "[success=1 default=ignore]"
    module: str  # "pam_unix.so" (basename) or the included file
    args: list[str] = field(default_factory=list)
    substack_end: int | None = None  # filled in when flattened
    #: the substacks (outermost first) the line sits in, by number; filled in when flattened
    substacks: tuple[int, ...] = ()

    @property
    def module_name(self) -> str:
        return self.module.rsplit("/", 1)[-1]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.lineno}"

    @property
    def smartcard(self) -> bool:
        """Is this a smart card authentication line (pam_pkcs11, or pam_sss with a
        certificate option)?"""
        if self.module_name in SMARTCARD_MODULES:
            return True
        return self.module_name == "pam_sss.so" and any(a in SSS_CERT_OPTIONS for a in self.args)

    def short(self) -> str:
        """The module and its options (``pam_sss.so require_cert_auth``)."""
        return " ".join([self.module_name, *self.args])

    def render(self) -> str:
        return f"{self.file}:{self.lineno}: {self.type} {self.control} {self.module} {' '.join(self.args)}".rstrip()


def _split(line: str) -> list[str]:
    """Tokens of a PAM line; a [bracketed control] is one token."""
    tokens: list[str] = []
    i = 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        if line[i] == "[":
            j = line.find("]", i)
            j = len(line) if j < 0 else j + 1
            tokens.append(line[i:j])
            i = j
            continue
        j = i
        while j < len(line) and not line[j].isspace():
            j += 1
        tokens.append(line[i:j])
        i = j
    return tokens


def parse_file(text: str, file: str) -> list[PamLine | tuple[str, str, int]]:
    """Lines of one PAM file; ``@include x`` (Debian) becomes ("@include", x, lineno)."""
    out: list = []
    joined: list[tuple[int, str]] = []
    buf, start = "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start = n
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        joined.append((start, buf + raw))
        buf = ""
    for n, line in joined:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        tokens = _split(line)
        if tokens[0] == "@include" and len(tokens) > 1:
            out.append(("@include", tokens[1], n))
            continue
        if len(tokens) < 3:
            continue
        ptype = tokens[0].lstrip("-")
        out.append(PamLine(file, n, ptype, tokens[1], tokens[2], tokens[3:]))
    return out


@dataclass
class Stack:
    service: str
    lines: list[PamLine]
    files: list[str]
    problems: list[str]


def flatten(fs: RootFS, service: str, ptype: str = "auth") -> Stack:
    """The ``ptype`` stack of a service with includes expanded. Lines that came from a
    ``substack`` carry the index just after their substack (jumps and done/die stop there)."""
    files: list[str] = []
    problems: list[str] = []
    counter = [0]

    def load(path: str, depth: int, subs: tuple[int, ...]) -> list[tuple[PamLine, tuple[int, ...]]]:
        if depth > MAX_DEPTH:
            problems.append(f"{path}: includes nested more than {MAX_DEPTH} deep")
            return []
        text = fs.read_text(path)
        if text is None:
            problems.append(f"{path} does not exist")
            return []
        files.append(path)
        result: list[tuple[PamLine, tuple[int, ...]]] = []
        for item in parse_file(text, path):
            if isinstance(item, tuple):
                result += load(_inc(item[1]), depth + 1, subs)
                continue
            if item.type != ptype:
                continue
            if item.control == "include":
                result += load(_inc(item.module), depth + 1, subs)
            elif item.control == "substack":
                counter[0] += 1
                result += load(_inc(item.module), depth + 1, subs + (counter[0],))
            else:
                result.append((dataclasses.replace(item), subs))
        return result

    raw = load(f"{PAM_DIR}/{service}", 0, ())
    last: dict[int, int] = {}
    for idx, (_, subs) in enumerate(raw):
        for sid in subs:
            last[sid] = idx
    lines = []
    for line, subs in raw:
        line.substack_end = last[subs[-1]] + 1 if subs else None
        line.substacks = subs
        lines.append(line)
    return Stack(service, lines, files, problems)


def _inc(name: str) -> str:
    return name if name.startswith("/") else f"{PAM_DIR}/{name}"


# --- evaluation ----------------------------------------------------------------------

SIMPLE = {
    "required": {"success": "ok", "default": "bad"},
    "requisite": {"success": "ok", "default": "die"},
    "sufficient": {"success": "done", "default": "ignore"},
    "optional": {"success": "ok", "default": "ignore"},
}


def actions(control: str) -> dict[str, str]:
    if control in SIMPLE:
        return SIMPLE[control]
    out: dict[str, str] = {}
    for part in control.strip("[]").split():
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _succeed_if_outcome(line: PamLine, service: str) -> str | None:
    """success / auth_err for a pam_succeed_if line made only of ``service`` tests;
    None when it tests anything else (outcome unknown here)."""
    flags = {"quiet", "quiet_fail", "quiet_success", "use_uid", "audit", "debug"}
    args = [a for a in line.args if a not in flags and a != "and"]
    if not args or len(args) % 3:
        return None
    conds = []
    for i in range(0, len(args), 3):
        field_, op, value = args[i : i + 3]
        if field_ != "service":
            return None
        items = value.split(":")
        if op == "in":
            conds.append(service in items)
        elif op == "notin":
            conds.append(service not in items)
        elif op in ("=", "eq"):
            conds.append(service == value)
        elif op in ("!=", "ne"):
            conds.append(service != value)
        else:
            return None
    return "success" if all(conds) else "auth_err"


def _outcome_actions(line: PamLine, service: str) -> list[str]:
    acts = actions(line.control)
    if line.module_name == "pam_succeed_if.so":
        outcome = _succeed_if_outcome(line, service)
        if outcome is not None:
            return [acts.get(outcome, acts.get("default", "ignore"))]
    if line.module_name in ("pam_deny.so",):
        return [acts.get("auth_err", acts.get("default", "bad"))]
    if line.module_name in ("pam_permit.so",):
        return [acts.get("success", acts.get("default", "ignore"))]
    # any other module may succeed, fail, or be unavailable
    return sorted({acts.get("success", acts.get("default", "ignore")),
                   acts.get("auth_err", acts.get("default", "ignore")),
                   acts.get("authinfo_unavail", acts.get("default", "ignore")),
                   acts.get("ignore", "ignore")})


@dataclass
class Reach:
    service: str
    reached: bool
    smartcard_lines: list[PamLine]
    skipped_by: list[PamLine]
    stack: Stack

    @property
    def deciding(self) -> PamLine | None:
        """The line that keeps the service away from the smart card line (the first
        found), or None."""
        return self.skipped_by[0] if self.skipped_by else None


def _end_of(lines: list[PamLine], subs: tuple[int, ...]) -> int:
    """Index just after the substack ``subs`` (the whole stack when ``subs`` is empty)."""
    if not subs:
        return len(lines)
    for j in range(len(lines) - 1, -1, -1):
        if lines[j].substacks[: len(subs)] == subs:
            return j + 1
    return len(lines)


def jump_target(lines: list[PamLine], i: int, n: int) -> int:
    """Where ``[value=N]`` on line ``i`` lands: N modules further on at the line's own
    level, a nested substack counting as one module, never beyond the end of the line's
    own substack (Linux-PAM, pam.conf(5))."""
    base = lines[i].substacks
    end = _end_of(lines, base)
    j = i + 1
    for _ in range(n):
        if j >= end:
            return end
        if len(lines[j].substacks) > len(base):
            j = _end_of(lines, lines[j].substacks[: len(base) + 1])
        else:
            j += 1
    return min(j, end)


def smartcard_reach(fs: RootFS, service: str) -> Reach:
    """Can authentication for ``service`` reach a smart card module?"""
    stack = flatten(fs, service)
    lines = stack.lines
    targets = {i for i, ln in enumerate(lines) if ln.smartcard}
    seen: set[int] = set()
    todo = [0]
    skipped_by: list[PamLine] = []
    reached = False

    def note(line: PamLine) -> None:
        if line not in skipped_by:
            skipped_by.append(line)

    while todo:
        i = todo.pop()
        if i in seen or i >= len(lines):
            continue
        seen.add(i)
        if i in targets:
            reached = True
            continue
        line = lines[i]
        end = _end_of(lines, line.substacks) if line.substacks else None
        for act in _outcome_actions(line, service):
            if act.isdigit():
                nxt = jump_target(lines, i, int(act))
                if any(i < t < nxt for t in targets):
                    note(line)
                todo.append(nxt)
            elif act in ("done", "die"):
                if end is not None:
                    if any(i < t < end for t in targets):
                        note(line)
                    todo.append(end)
                elif line.module_name == "pam_succeed_if.so" and targets and max(targets) > i:
                    note(line)
            else:  # ok, ignore, bad, reset
                todo.append(i + 1)
    return Reach(service, reached, [lines[t] for t in sorted(targets)], skipped_by if not reached else [], stack)


def service_fix(line: PamLine, service: str, together: tuple[str, ...] = ()) -> str:
    """How to change a ``pam_succeed_if.so service ...`` line so that ``service`` gets past
    it: add the service to its list, or take it out (whichever flips the test). Services in
    ``together`` (sudo with sudo-i) that the same change also needs are named with it."""
    flags = {"quiet", "quiet_fail", "quiet_success", "use_uid", "audit", "debug"}
    args = [a for a in line.args if a not in flags and a != "and"]
    for k in range(0, len(args) - 2, 3):
        field_, op, value = args[k : k + 3]
        if field_ != "service":
            continue
        items = value.split(":")
        if service in items:
            names = [x for x in dict.fromkeys((*together, service)) if x in items]
            new = ":".join(x for x in items if x not in names) or "-"
            return f"take {' and '.join(names)} out of the service list at {line.where} (service {op} {new})"
        names = [x for x in dict.fromkeys((*together, service)) if x not in items]
        return (f"add {' and '.join(names)} to the service list at {line.where} "
                f"(service {op} {':'.join([*items, *names])})")
    return f"change {line.where} so that {service} gets past it"


# --- SSSD's side of certificate authentication ---------------------------------------------

SSSD_CONF = "/etc/sssd/sssd.conf"
SSSD_CONF_D = "/etc/sssd/conf.d"
#: pam_p11_allowed_services' default set (sssd.conf(5)).
SSSD_P11_DEFAULT = ("login", "su", "su-l", "gdm-smartcard", "gdm-password", "kdm", "sudo", "sudo-i",
                    "gnome-screensaver")


@dataclass
class SssdPam:
    """The ``[pam]`` settings of sssd.conf that decide certificate authentication."""

    readable: bool
    present: bool
    cert_auth: bool = False
    allowed_services: tuple[str, ...] = SSSD_P11_DEFAULT
    detail: str = ""


def sssd_pam(fs: RootFS) -> SssdPam:
    """``pam_cert_auth`` (default false: pam_sss does no certificate authentication) and
    ``pam_p11_allowed_services`` (``+svc`` adds to the default set, ``-svc`` removes, a
    plain name replaces the set) from ``/etc/sssd/sssd.conf`` and the ``conf.d/*.conf``
    files merged over it. Never raises: a file the
    probe may not read (it is root's, mode 0600) gives ``readable=False``."""
    import configparser

    from ..errors import EnvironmentProblem

    try:
        text = fs.read_text(SSSD_CONF)
        # sssd merges /etc/sssd/conf.d/*.conf over sssd.conf, in name order (sssd.conf(5))
        snippets = [(f"{SSSD_CONF_D}/{n}", fs.read_text(f"{SSSD_CONF_D}/{n}"))
                    for n in fs.listdir(SSSD_CONF_D) if n.endswith(".conf") and not n.startswith(".")]
    except EnvironmentProblem as exc:
        return SssdPam(False, True, detail=str(exc))
    if text is None and not any(t for _, t in snippets):
        return SssdPam(True, False)
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    for path, body in [(SSSD_CONF, text), *snippets]:
        if not body:
            continue
        try:
            cp.read_string(body, source=path)
        except configparser.Error as exc:
            return SssdPam(True, True, detail=f"{path} cannot be parsed ({exc.__class__.__name__})")
    if not cp.has_section("pam"):
        return SssdPam(True, True)
    cert = cp.get("pam", "pam_cert_auth", fallback="false").strip().lower() in ("true", "yes", "1")
    raw = [x.strip() for x in cp.get("pam", "pam_p11_allowed_services", fallback="").split(",") if x.strip()]
    plain = [x for x in raw if x[0] not in "+-"]
    allowed = set(plain) if plain else set(SSSD_P11_DEFAULT)
    allowed |= {x[1:] for x in raw if x.startswith("+")}
    allowed -= {x[1:] for x in raw if x.startswith("-")}
    return SssdPam(True, True, cert, tuple(sorted(allowed)))


def active_succeed_if_lines(fs: RootFS, service: str) -> list[PamLine]:
    return [ln for ln in flatten(fs, service).lines if ln.module_name == "pam_succeed_if.so"
            and any(a == "service" for a in ln.args)]


_COMMENTED = re.compile(r"^\s*#\s*auth\s.*pam_succeed_if\.so.*service", re.M)


def commented_service_filter(fs: RootFS, path: str = "/etc/pam.d/system-auth") -> str | None:
    text = fs.read_text(path) or ""
    m = _COMMENTED.search(text)
    return m.group(0).strip() if m else None
