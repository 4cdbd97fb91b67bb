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
load or skip the module. The per-user folder (``~/.config/pkcs11/modules``) is read only
when ``/etc/pkcs11/pkcs11.conf`` allows user configuration and is not read here.

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
    """``key: value`` lines of a p11-kit module file (``#`` comments, blank lines skipped)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or ":" not in line:
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


def module_configs(fs: RootFS) -> list[ModuleConfig]:
    """The module files p11-kit reads (an ``/etc`` file replaces a package file of the same
    name). Files without ``module:`` are skipped."""
    by_name: dict[str, ModuleConfig] = {}
    for d in MODULE_CONFIG_DIRS:
        for fname in fs.listdir(d):
            if not fname.endswith(".module"):
                continue
            path = f"{d}/{fname}"
            text = fs.read_text(path)
            if text is None:
                continue
            kv = parse_module_file(text)
            if not kv.get("module"):
                by_name.pop(fname, None)
                continue
            split = lambda v: [p.strip() for p in v.replace(",", " ").split() if p.strip()]  # noqa: E731
            by_name[fname] = ModuleConfig(path, kv["module"], resolve_module(fs, kv["module"]),
                                          split(kv.get("enable-in", "")), split(kv.get("disable-in", "")))
    return list(by_name.values())


__all__ = ["is_proxy", "ModuleConfig", "module_configs", "parse_module_file", "resolve_module"]
