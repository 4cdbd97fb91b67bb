"""p11-kit: PKCS#11 modules an NSS database reaches through ``p11-kit-proxy``.

Fedora and RHEL (crypto-policies) register ``p11-kit-proxy.so`` in NSS databases instead
of each card module: the proxy loads every module p11-kit is configured with, so OpenSC
is reached through it when p11-kit has a module file for it (the opensc package ships
``/usr/share/p11-kit/modules/opensc.module``: ``module: opensc-pkcs11.so``).

Where p11-kit reads its configuration (p11-kit's ``pkcs11.conf(5)``): module files
``*.module`` in ``/usr/share/p11-kit/modules`` (packages) and ``/etc/pkcs11/modules``
(the administrator's, which replace a package file of the same name). Each file has
``key: value`` lines; ``module`` is the library, an absolute path or a name in p11-kit's
module folder (``/usr/lib64/pkcs11`` on Fedora/RHEL, ``/usr/lib/<multiarch>/pkcs11`` on
Debian/Ubuntu); ``enable-in`` / ``disable-in`` list the programs (by process name) that
load or skip the module. The user's own files (``~/.config/pkcs11/modules``) are merged
over the system's, key by key, unless ``/etc/pkcs11/pkcs11.conf`` says ``user-config:
none`` (``only``: the user's files alone); ``merge`` is p11-kit's default.

Read-only: nothing here loads a library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .rootfs import RootFS

#: Module-file folders, the later replacing a file of the same name from the earlier.
MODULE_CONFIG_DIRS = ("/usr/share/p11-kit/modules", "/etc/pkcs11/modules")
#: p11-kit's module folder (relative ``module:`` names are looked up here).
MODULE_PATHS = ("/usr/lib64/pkcs11", "/usr/lib/pkcs11")
MODULE_PATH_GLOBS = ("usr/lib/*-linux-gnu/pkcs11",)


def is_proxy(library: str) -> bool:
    """Is this NSS module's library p11-kit's proxy (``p11-kit-proxy.so``, any folder)?"""
    name = library.rsplit("/", 1)[-1].lower()
    return name.startswith("p11-kit-proxy")


@dataclass
class ModuleConfig:
    """One p11-kit module file."""

    #: the file (guest path)
    path: str
    #: the ``module:`` value as written
    module: str
    #: the library it resolves to in the guest ("" when it does not exist)
    library: str = ""
    enable_in: list[str] = field(default_factory=list)
    disable_in: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1].rsplit(".module", 1)[0]

    def loaded_in(self, program: str) -> bool:
        """Does p11-kit load this module in ``program`` (process name: ``chrome``, ``firefox``)?"""
        if self.enable_in:
            return program in self.enable_in
        return program not in self.disable_in

    def summary(self) -> dict:
        return {"file": self.path, "module": self.module, "library": self.library or None,
                "enable-in": self.enable_in, "disable-in": self.disable_in}


def parse_module_file(text: str) -> dict[str, str]:
    """``key: value`` lines of a p11-kit config file (lines starting with ``#`` and blank
    lines skipped; a ``#`` after a value is part of the value, as pkcs11.conf(5) says)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        out[key.strip().lower()] = value.strip()
    return out


def module_dirs(fs: RootFS) -> list[str]:
    """p11-kit's module folders present in the guest (guest paths)."""
    dirs = list(MODULE_PATHS)
    for pattern in MODULE_PATH_GLOBS:
        dirs += [fs.guest_path(p) for p in sorted(fs.root.glob(pattern))]
    return dirs


def resolve_module(fs: RootFS, module: str) -> str:
    """The guest path of a ``module:`` value ("" when no such file)."""
    if module.startswith("/"):
        return module if fs.is_file(module) else ""
    for d in module_dirs(fs):
        if fs.is_file(f"{d}/{module}"):
            return f"{d}/{module}"
    return ""


GLOBAL_CONFIG = "/etc/pkcs11/pkcs11.conf"
USER_MODULES = ".config/pkcs11/modules"


def _read_dir(fs: RootFS, d: str, into: dict[str, tuple[str, dict[str, str]]], merge: bool) -> None:
    for fname in fs.listdir(d):
        if not fname.endswith(".module"):
            continue
        text = fs.read_text(f"{d}/{fname}")
        if text is None:
            continue
        kv = parse_module_file(text)
        if merge and fname in into:
            kv = {**into[fname][1], **kv}
        into[fname] = (f"{d}/{fname}", kv)


def module_configs(fs: RootFS, home: str = "") -> list[ModuleConfig]:
    """The module files p11-kit reads: the package folder, then ``/etc/pkcs11/modules``
    (a file replaces the package's file of the same name), then the user's
    ``~/.config/pkcs11/modules`` merged over them key by key when ``home`` is given and
    ``user-config`` allows it. Files without ``module:`` are skipped."""
    user_config = parse_module_file(fs.read_text(GLOBAL_CONFIG) or "").get("user-config", "merge").lower()
    files: dict[str, tuple[str, dict[str, str]]] = {}
    if user_config != "only" or not home:
        for d in MODULE_CONFIG_DIRS:
            _read_dir(fs, d, files, merge=False)
    if home and user_config in ("merge", "only"):
        _read_dir(fs, f"{home.rstrip('/')}/{USER_MODULES}", files, merge=True)
    out = []
    for path, kv in files.values():
        if not kv.get("module"):
            continue

        def split(v: str) -> list[str]:
            return [p.strip() for p in v.replace(",", " ").split() if p.strip()]

        out.append(ModuleConfig(path, kv["module"], resolve_module(fs, kv["module"]),
                                split(kv.get("enable-in", "")), split(kv.get("disable-in", ""))))
    return out


__all__ = ["is_proxy", "ModuleConfig", "module_configs", "parse_module_file", "resolve_module"]
