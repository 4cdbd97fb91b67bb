"""What the reports show about the guest under test (evidence, no secrets)."""

from __future__ import annotations

from .linux import LinuxGuest
from .windows import WindowsGuestConfig


def describe_linux(g: LinuxGuest) -> dict:
    return {
        "root": str(g.fs.root),
        "inside the guest": g.fs.is_live,
        "home": g.home,
        "user NSS database": g.user_nssdb,
        "image NSS database": g.image_nssdb,
        "OpenSC library (recommended)": g.library_to_recommend(),
    }


def describe_windows(w: WindowsGuestConfig) -> dict:
    t = w.registry.templates()
    return {
        "registry": w.registry.label,
        "WSP policy key": w.wsp_policy_key,
        "WSP policy template": "available" if t else "not available",
        "value names from the profile": {k: v for k, v in (
            ("smart card redirection", w.smartcard_redirection_value),
            ("disconnect on lock", w.disconnect_on_lock_value)) if v},
    }
