"""Removing secrets before anything reaches a log, an attachment or a report."""

from __future__ import annotations

import functools
import re
from typing import Any

REDACTED = "***redacted***"

#: Keys whose values are secrets wherever they appear (case-insensitive, substring match).
SECRET_KEY_PARTS = (
    "password",
    "passwd",
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
NOT_SECRET = {
    "nexttoken", "pinned", "spinner", "pin_tries_left", "pin_retries", "tries_left", "clienttoken",
    # words that merely contain "pin"
    "mapping", "mappings", "shipping", "typing", "ping", "spinning", "opinion", "pinpoint",
}

_AKID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
_SIG = re.compile(r"(Signature=)[0-9a-f]{64}")
_CRED = re.compile(r"(Credential=)[^,\s]+")
#: A PEM private key (PKCS#1, PKCS#8, encrypted, EC, OpenSSH, PGP): the body goes, the
#: markers stay so a reader sees what was there. An unterminated block goes to the end.
_PEM_PRIVATE = re.compile(
    r"(-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY[A-Z0-9 ]*)-----)[\s\S]*?(?:(-----END (?P=kind)-----)|\Z)")
#: HTTP authorization schemes followed by a credential (not by an ordinary word).
_AUTH_SCHEME = re.compile(r"\b(Bearer|Basic|Negotiate|Digest)(\s+)([A-Za-z0-9._~+/=-]{8,})")
#: ``scheme://user:password@host``
_URL_PASSWORD = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:)([^\s@/]+)(@)")
#: AWS STS session tokens (their base64 starts with these prefixes).
_AWS_SESSION_TOKEN = re.compile(r"\b(?:FwoGZXIvYXdz|FQoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9+/=]{16,}")
#: ``key=value``, ``key: value``, ``"key": "value"`` in free text; redacted when the key is a secret key.
_KEY_VALUE = re.compile(
    r"""(?P<key>\b[A-Za-z][\w.-]*)(?P<sep>["']?[ \t]*[:=][ \t]*)"""
    r"""(?:(?P<q>["'])(?P<qvalue>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)|(?P<value>[^\s"',;&<>]+))""")
_NOT_A_VALUE = {"", "null", "none", "true", "false", "[]", "{}"}


_NOT_SECRET_NORMAL = frozenset(n.replace("_", "") for n in NOT_SECRET)
_SECRET_PARTS_NORMAL = tuple(part.replace("_", "").replace("-", "") for part in SECRET_KEY_PARTS)


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """True when ``key`` names a secret (see ``SECRET_KEY_PARTS`` and ``NOT_SECRET``).
    Cached: every attachment asks it of the same few hundred keys."""
    k = key.lower().replace("-", "").replace("_", "")
    if k in _NOT_SECRET_NORMAL:
        return False
    return any(part in k for part in _SECRET_PARTS_NORMAL)


def _looks_like_credential(token: str) -> bool:
    """A word of letters only ("authentication") is prose; a credential has digits,
    symbols or mixed case."""
    return bool(re.search(r"[0-9+/=._~-]", token)) or (token != token.lower() and token != token.upper()
                                                     and not token.istitle())


def _auth(m: re.Match) -> str:
    return f"{m.group(1)}{m.group(2)}{REDACTED}" if _looks_like_credential(m.group(3)) else m.group(0)


def _redact_key_values(text: str) -> str:
    """Redact the values of secret keys. A match of a non-secret key gives back all but
    its key and separator, so a key inside its value (a URL's query) is looked at too."""
    out: list[str] = []
    pos = 0
    while True:
        m = _KEY_VALUE.search(text, pos)
        if m is None:
            out.append(text[pos:])
            return "".join(out)
        quoted = m.group("q") is not None
        value = m.group("qvalue") if quoted else m.group("value")
        if not is_secret_key(m.group("key")) or value.strip().lower() in _NOT_A_VALUE or REDACTED in value:
            out.append(text[pos:m.end("sep")])
            pos = m.end("sep")
            continue
        q = m.group("q") or ""
        out.append(f"{text[pos:m.start()]}{m.group('key')}{m.group('sep')}{q}{REDACTED}{q}")
        pos = m.end()


def redact_text(text: str, secrets: tuple[str, ...] = ()) -> str:
    text = _PEM_PRIVATE.sub(lambda m: f"{m.group(1)}\n{REDACTED}\n{m.group(3) or ''}", text)
    for s in secrets:
        if s:
            text = text.replace(s, REDACTED)
    text = _AKID.sub(REDACTED, text)
    text = _SIG.sub(r"\1" + REDACTED, text)
    text = _CRED.sub(r"\1" + REDACTED, text)
    text = _AWS_SESSION_TOKEN.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(r"\1" + REDACTED + r"\3", text)
    text = _AUTH_SCHEME.sub(_auth, text)
    text = _redact_key_values(text)
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
