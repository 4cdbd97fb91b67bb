"""Where OpenSC's PKCS#11 library is.

Amazon Linux 2 (the Linux WorkSpaces) has it at ``/usr/lib64/opensc-pkcs11.so``, reached
as ``/lib64/opensc-pkcs11.so`` (``/lib64`` is a link to ``usr/lib64``): the path in the
user guide's command. Debian and Ubuntu's ``opensc-pkcs11`` package puts it in the
multiarch folder (``/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so``); Fedora also has
``/usr/lib64/pkcs11/opensc-pkcs11.so``.
"""

from __future__ import annotations

from pathlib import Path

from .rootfs import RootFS

#: The path the WorkSpaces user guide uses.
DOCUMENTED = "/lib64/opensc-pkcs11.so"
CANDIDATES = (
    DOCUMENTED,
    "/usr/lib64/opensc-pkcs11.so",
    "/usr/lib64/pkcs11/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
    "/usr/lib/pkcs11/opensc-pkcs11.so",
)
MULTIARCH_GLOBS = ("usr/lib/*-linux-gnu/opensc-pkcs11.so", "usr/lib/*-linux-gnu/pkcs11/opensc-pkcs11.so")


def is_opensc_library(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    return "opensc-pkcs11" in name


def find(fs: RootFS, preferred: str = DOCUMENTED) -> str | None:
    """The guest path of an OpenSC library that exists in the guest (``preferred`` first)."""
    for cand in (preferred, *CANDIDATES):
        if cand and fs.is_file(cand):
            return cand
    for pattern in MULTIARCH_GLOBS:
        for hit in sorted(fs.root.glob(pattern)):
            if hit.is_file():
                return fs.guest_path(hit)
    return None


def host_library() -> str | None:
    """OpenSC's library on this machine (None when opensc-pkcs11 is not installed)."""
    return find(RootFS(Path("/")))
