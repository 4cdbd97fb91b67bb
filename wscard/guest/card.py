"""Is there a card OpenSC can see? (for the smoke scenario: what Chrome and Firefox see)

Asks OpenSC itself: ``pkcs11-tool --module <opensc-pkcs11.so> --list-token-slots``
lists the slots that hold a token. No reader, no pcscd or no card all mean "skip", with
the reason.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from . import opensc


@dataclass
class CardPresence:
    present: bool
    reason: str = ""
    library: str = ""
    slots: str = ""


def card_presence(timeout: float = 20) -> CardPresence:
    lib = opensc.host_library()
    if lib is None:
        return CardPresence(False, "OpenSC's PKCS#11 library is not installed (opensc-pkcs11)")
    tool = shutil.which("pkcs11-tool")
    if tool is None:
        return CardPresence(False, "pkcs11-tool (package opensc) is not installed", lib)
    try:
        proc = subprocess.run([tool, "--module", lib, "--list-token-slots"], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return CardPresence(False, f"pkcs11-tool did not answer within {timeout:.0f} s", lib)
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0 or "Slot " not in proc.stdout:
        return CardPresence(
            False,
            "no card reader with a card is available to OpenSC (" + (out.splitlines()[-1] if out else "no slots")
            + "): insert a card, or start the emulated card of the card layer",
            lib,
            out,
        )
    return CardPresence(True, "", lib, proc.stdout)


def token_certificate_count(library: str, timeout: float = 20) -> int | None:
    """How many certificate objects OpenSC's tokens show without a login
    (``pkcs11-tool --list-objects --type cert``); None when it cannot be told."""
    tool = shutil.which("pkcs11-tool")
    if tool is None or not library:
        return None
    try:
        proc = subprocess.run([tool, "--module", library, "--list-objects", "--type", "cert"], capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.count("Certificate Object")
