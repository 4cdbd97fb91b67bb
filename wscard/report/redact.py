"""Removing secrets before anything reaches a log, an attachment or a report."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "***redacted***"

#: Keys whose values are secrets wherever they appear (case-insensitive, substring match).
SECRET_KEY_PARTS = (
    "password",
    "secret",
    "token",
    "credential",
    "authorization",
    "pin",
    "puk",
    "privatekey",
    "private_key",
    "accesskey",
    "access_key",
    "x-amz-security-token",
    "cookie",
)
#: Keys that contain a secret part but are not secrets.
NOT_SECRET = {"nexttoken", "pinned", "spinner", "pin_tries_left", "pin_retries", "tries_left", "clienttoken"}

_AKID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
_SIG = re.compile(r"(Signature=)[0-9a-f]{64}")
_CRED = re.compile(r"(Credential=)[^,\s]+")


def is_secret_key(key: str) -> bool:
    k = key.lower().replace("-", "").replace("_", "")
    if k in {n.replace("_", "") for n in NOT_SECRET}:
        return False
    return any(part.replace("_", "").replace("-", "") in k for part in SECRET_KEY_PARTS)


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, REDACTED)
    text = _AKID.sub(REDACTED, text)
    text = _SIG.sub(r"\1" + REDACTED, text)
    text = _CRED.sub(r"\1" + REDACTED, text)
    return text


def redact(obj: Any, secrets: tuple[str, ...] = ()) -> Any:
    """A copy of ``obj`` (dicts, lists, strings, bytes) with secret values replaced."""
    if isinstance(obj, dict):
        return {
            k: (REDACTED if isinstance(k, str) and is_secret_key(k) and v not in (None, "") else redact(v, secrets))
            for k, v in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [redact(v, secrets) for v in obj]
    if isinstance(obj, str):
        return redact_text(obj, secrets)
    if isinstance(obj, bytes):
        return redact_text(obj.decode("utf-8", "replace"), secrets)
    return obj
