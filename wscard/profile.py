"""Profiles: TOML files that describe the environment under test.

A profile is made of sections (``[profile]``, ``[aws]``, ``[pki]``, ``[card]`` ...).
Each section is a dataclass registered with :func:`section` in a module of the
``wscard.sections`` package; the loader discovers those modules, so a new area adds
its section by adding a module, without touching the loader or the other sections.

Rules the loader enforces, each with a message naming the file and the key:

* unknown sections and unknown keys are refused (with a "did you mean" hint);
* values must have the declared type (``str``, ``int``, ``float``, ``bool``,
  ``Literal[...]`` choices, lists, tables of a nested dataclass);
* ``extends = "embedded"`` (or a path relative to the file) starts from another
  profile; tables are merged key by key, lists and scalars are replaced;
* a section may define ``validate(self, profile)`` for rules across its own keys (it
  reads no other section);
* rules across sections live here, in :data:`CROSS_SECTION_RULES`, and run after every
  section validated itself.

The embedded default, ``embedded``, is shipped inside the package
(``wscard/profiles/embedded.toml``).
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import pkgutil
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar

from .errors import ProfileError

_SECTIONS: dict[str, type] = {}
T = TypeVar("T")

BUILTIN_DIR = Path(__file__).parent / "profiles"
EMBEDDED = "embedded"


def section(name: str) -> Callable[[type[T]], type[T]]:
    """Class decorator: register a dataclass as the schema of ``[name]``."""

    def register(cls: type[T]) -> type[T]:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"section [{name}] must be a dataclass")
        if name in _SECTIONS and _SECTIONS[name] is not cls:
            raise TypeError(f"section [{name}] is registered twice")
        _SECTIONS[name] = cls
        return cls

    return register


def sections() -> dict[str, type]:
    """All registered sections, after importing every module of wscard.sections."""
    from . import sections as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{mod.name}")
    return dict(_SECTIONS)


class PathValue(str):
    """A str field holding a file path; relative paths are resolved against the
    directory of the profile file that is loaded."""


@dataclass
class Profile:
    """A loaded, validated profile. ``profile.aws`` is the ``[aws]`` section, etc."""

    name: str
    path: Path | None
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    #: Warnings found by the sections' ``validate`` (``"[aws].region: ..."``): the profile
    #: is usable, but something deserves a look. Shown in the run's header and by
    #: ``wscard profile``.
    warnings: list[str] = field(default_factory=list)

    def __getattr__(self, item: str) -> Any:
        values = self.__dict__.get("values", {})
        if item in values:
            return values[item]
        raise AttributeError(item)

    @property
    def label(self) -> str:
        return self.name if self.path is None else str(self.path)

    def replace(self, section_name: str, **changes: Any) -> "Profile":
        """A copy with some keys of one section changed (used for command-line overrides)."""
        new_values = dict(self.values)
        new_values[section_name] = dataclasses.replace(self.values[section_name], **changes)
        prof = Profile(self.name, self.path, new_values, self.raw)
        prof._validate()
        return prof

    def warn(self, message: str, *, key: str | None = None) -> None:
        """Record a warning about this profile (called by a section's ``validate``)."""
        self.warnings.append(f"{key}: {message}" if key else message)

    def _validate(self) -> None:
        """Each section's own ``validate``, then :data:`CROSS_SECTION_RULES`. Raises
        :class:`ProfileError` naming this profile's file and the key."""
        self.warnings = []
        checks = [getattr(value, "validate", None) for value in self.values.values()]
        for check in [c for c in checks if c is not None] + CROSS_SECTION_RULES:
            try:
                check(self)
            except ProfileError as exc:
                if exc.path is None:
                    raise ProfileError(exc.message, path=self.label, key=exc.key) from None
                raise


# --- rules across sections ------------------------------------------------------------
# A section's ``validate`` judges its own keys; a rule that reads two sections lives here,
# so that no section reaches into another (docs/ARCHITECTURE.md, "What each package may
# import"). Each takes the Profile after every section validated itself and raises
# ProfileError with the key to change (the loader adds the file).


def _samba_needs_the_generated_pki(profile: Profile) -> None:
    """``[ad]`` mode samba: the simulated DC presents a certificate of the generated PKI."""
    ad, pki = profile.values.get("ad"), profile.values.get("pki")
    if ad is not None and pki is not None and ad.mode == "samba" and pki.mode != "generated":
        raise ProfileError(
            "the simulated domain controller presents a certificate of the generated test PKI: "
            "samba mode needs [pki] mode = 'generated' (or use [ad] mode = 'ldap')",
            key="[ad].mode",
        )


def _live_aws_needs_a_directory_id(profile: Profile) -> None:
    """``[aws]`` mode live or endpoint checks one directory, named by its ID, unless the
    profile has a ``[fleet]`` table (``wscard fleet`` finds its directories itself)."""
    aws = profile.values.get("aws")
    if aws is not None and aws.mode in ("live", "endpoint") and not aws.directory.id and "fleet" not in profile.raw:
        raise ProfileError(
            f"mode '{aws.mode}' needs the ID of the directory to check (d-xxxxxxxxxx)",
            key="[aws.directory].id",
        )


def _live_aws_reads_the_workspaces(profile: Profile) -> None:
    """``[workspaces]`` keys of a simulated world cannot describe live AWS or an endpoint."""
    aws, ws = profile.values.get("aws"), profile.values.get("workspaces")
    if aws is not None and ws is not None and aws.mode in ("live", "endpoint") and ws.describes_simulated_world:
        raise ProfileError(
            f"describes a simulated world and cannot be used in mode '{aws.mode}' "
            "(the WorkSpaces are read from AWS)",
            key="[workspaces]",
        )


#: Rules across sections, run in this order after every section's own ``validate``.
CROSS_SECTION_RULES: list[Callable[[Profile], None]] = [
    _samba_needs_the_generated_pki,
    _live_aws_needs_a_directory_id,
    _live_aws_reads_the_workspaces,
]


# --- values derived across sections ---------------------------------------------------
# A value one section leaves to another when it is not set: the domain's name from the
# AWS directory, the user who signs in from the client or the PKI's UPN. Each is worked
# out here, once, so that no section reads another (as the rules above).

def domain_name(profile: Profile) -> str:
    """The AD domain's DNS name, lower-case: ``[ad].domain``, else the ``[aws.directory]``
    name, else ``corp.example.com`` (the embedded world's)."""
    ad, aws = profile.values.get("ad"), profile.values.get("aws")
    if ad is not None and ad.domain:
        return ad.domain.lower()
    name = aws.directory.name if aws is not None else ""
    return (name or "corp.example.com").lower()


def netbios_name(profile: Profile) -> str:
    """The domain's NetBIOS name, upper-case: ``[ad].netbios_domain``, else the
    ``[aws.directory]`` short name, else the first label of :func:`domain_name`."""
    ad, aws = profile.values.get("ad"), profile.values.get("aws")
    if ad is not None and ad.netbios_domain:
        return ad.netbios_domain.upper()
    name = aws.directory.short_name if aws is not None else ""
    return (name or domain_name(profile).split(".")[0]).upper()


def realm_name(profile: Profile) -> str:
    """The Kerberos realm, upper-case: ``[ad].realm``, else :func:`domain_name` (RFC 4120
    6.1: an AD realm is its domain's DNS name in capitals)."""
    ad = profile.values.get("ad")
    return ((ad.realm if ad is not None else "") or domain_name(profile)).upper()


def directory_user_name(profile: Profile) -> str:
    """The CustomerUserName the simulated world gives AD Connector (DescribeDirectories):
    ``[aws.directory].customer_user_name``, else the account name of ``[ad].service_account``
    (``DOMAIN\\name`` or ``name@domain`` reduced to ``name``), else ``svc-adconnector``."""
    aws, ad = profile.values.get("aws"), profile.values.get("ad")
    if aws is not None and aws.directory.customer_user_name:
        return aws.directory.customer_user_name
    name = (ad.service_account if ad is not None else "") or "svc-adconnector"
    return name.split("\\", 1)[-1].split("@", 1)[0]


def login_user_name(profile: Profile) -> str:
    """The WorkSpaces user who signs in (the login model): ``[login].user``, else
    ``[client].user``, else the local part of ``[pki].upn``; "" when none is set."""
    login, client, pki = (profile.values.get(k) for k in ("login", "client", "pki"))
    if login is not None and login.user:
        return login.user
    if client is not None and client.user:
        return client.user
    upn = pki.upn if pki is not None else ""
    return upn.split("@", 1)[0] if upn else ""


def resolve_profile_path(ref: str | Path, relative_to: Path | None = None) -> Path:
    ref_s = str(ref)
    if ref_s == EMBEDDED or (not ref_s.endswith(".toml") and (BUILTIN_DIR / f"{ref_s}.toml").exists()):
        return BUILTIN_DIR / f"{ref_s}.toml"
    p = Path(ref_s).expanduser()
    if not p.is_absolute() and relative_to is not None:
        p = relative_to / p
    return p


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML table of a profile file. TOML files are UTF-8 (a UTF-8 byte order mark,
    as Windows Notepad writes, is accepted). Raises :class:`ProfileError` naming the file
    and the fix for: a missing file, a folder, an unreadable file, UTF-16 or another
    encoding, and TOML syntax errors (with line and column)."""
    if path.is_dir():
        raise ProfileError("is a folder, not a profile file: give the path of a .toml file", path=str(path))
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        hint = "" if path.suffix == ".toml" else (
            f" (a built-in profile is named without a path: {', '.join(builtin_profiles())})")
        raise ProfileError(f"no such profile file{hint}", path=str(path)) from None
    except OSError as exc:
        raise ProfileError(f"cannot read: {exc.strerror}", path=str(path)) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ProfileError(
            "is saved as UTF-16; profiles are TOML, which must be UTF-8: save it as UTF-8 "
            "(Notepad: Save as, Encoding UTF-8; PowerShell: Get-Content F | Set-Content -Encoding utf8 F)",
            path=str(path))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ProfileError(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}, column {column}); profiles are "
            "TOML, which must be UTF-8: save it as UTF-8 (for a Latin-1/Windows-1252 file: "
            f"iconv -f windows-1252 -t utf-8 '{path.name}' > fixed.toml)",
            path=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"not valid TOML: {exc}; see https://toml.io for the syntax", path=str(path)) from None


def builtin_profiles() -> list[str]:
    """Names of the profiles shipped in the package (``embedded``)."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in seen:
        chain = " -> ".join(str(p) for p in (*seen, path))
        raise ProfileError(f"profiles extend each other in a loop: {chain}", path=str(path))
    data = _read_toml(path)
    known = sections()
    _check_keys(data, known, str(path))
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ProfileError("must be a profile name or a path (a string)", path=str(path), key="extends")
    base = _load_raw(resolve_profile_path(parent, path.parent), (*seen, path))
    return _merge(base, data)


def _suggest(name: str, options: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _check_keys(data: dict[str, Any], known: dict[str, type], path: str) -> None:
    for key, value in data.items():
        if key == "extends":
            continue
        if key not in known:
            raise ProfileError(
                f"unknown section [{key}]{_suggest(key, known)}; known sections: "
                + ", ".join(f"[{k}]" for k in sorted(known)),
                path=path,
            )
        if not isinstance(value, dict):
            raise ProfileError("must be a table ([" + key + "])", path=path, key=key)
        _check_table_keys(known[key], value, path, f"[{key}]")


def _check_table_keys(cls: type, data: dict[str, Any], path: str, where: str) -> None:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in names:
            raise ProfileError(f"unknown key{_suggest(key, names)}", path=path, key=f"{where}.{key}")
        sub = _dataclass_in(hints[key])
        if sub is not None:
            if isinstance(value, dict):
                _check_table_keys(sub, value, path, f"{where}.{key}")
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        _check_table_keys(sub, item, path, f"{where}.{key}[{i}]")


def _dataclass_in(tp: Any) -> type | None:
    if dataclasses.is_dataclass(tp):
        return tp
    for arg in typing.get_args(tp):
        found = _dataclass_in(arg)
        if found is not None:
            return found
    return None


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, tuple):
        (arg,) = typing.get_args(tp)[:1] or (Any,)
        return f"a list of {_type_name(arg)}"
    if origin is dict:
        return "a table"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if dataclasses.is_dataclass(tp):
        return "a table"
    if tp is PathValue:
        return "a file path (string)"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        tp, getattr(tp, "__name__", str(tp))
    )


def _convert(tp: Any, value: Any, path: str, key: str, base_dir: Path | None) -> Any:
    origin = typing.get_origin(tp)
    bad = ProfileError(f"must be {_type_name(tp)}, not {value!r}", path=path, key=key)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise bad
        return value
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, path, key, base_dir)
            except ProfileError as exc:
                errors.append(exc)
        raise bad
    if origin is list:
        if not isinstance(value, list):
            raise bad
        (arg,) = typing.get_args(tp)
        return [_convert(arg, v, path, f"{key}[{i}]", base_dir) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise bad
        _, arg = typing.get_args(tp)
        return {k: _convert(arg, v, path, f"{key}.{k}", base_dir) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise bad
        return build(tp, value, path, key, base_dir)
    if tp is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if tp is PathValue:
        if not isinstance(value, str):
            raise bad
        p = Path(value).expanduser()
        if value and not p.is_absolute() and base_dir is not None:
            p = base_dir / p
        return PathValue(str(p) if value else "")
    if tp is str:
        if not isinstance(value, str):
            raise bad
        return value
    raise ProfileError(f"unsupported schema type {tp!r}", path=path, key=key)


def build(cls: type[T], data: dict[str, Any], path: str, where: str, base_dir: Path | None = None) -> T:
    """Build dataclass ``cls`` from a TOML table, checking keys and types."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in fields:
            raise ProfileError(f"unknown key{_suggest(key, fields)}", path=path, key=f"{where}.{key}")
        kwargs[key] = _convert(hints[key], value, path, f"{where}.{key}", base_dir)
    for name, f in fields.items():
        if (
            name not in kwargs
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING  # type: ignore[misc]
        ):
            raise ProfileError("missing required key", path=path, key=f"{where}.{name}")
    return cls(**kwargs)


def load_profile(ref: str | Path | None = None) -> Profile:
    """Load a profile by path, or by built-in name (``embedded`` is the default)."""
    path = resolve_profile_path(ref or EMBEDDED)
    data = _load_raw(path)
    known = sections()
    label = str(path)
    values: dict[str, Any] = {}
    for name, cls in known.items():
        values[name] = build(cls, data.get(name, {}), label, f"[{name}]", path.parent)
    builtin = path.parent.resolve() == BUILTIN_DIR.resolve()
    prof_name = path.stem if builtin else str(path)
    meta = values.get("profile")
    if meta is not None and getattr(meta, "name", ""):
        display = meta.name
    else:
        display = prof_name
    prof = Profile(display, None if builtin else path, values, data)
    prof._validate()
    return prof
