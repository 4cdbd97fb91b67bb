"""Parameter constraint checks shared by the extension's services, in the style of moto's
``moto/ds/validations.py``: each check returns the violations it finds as
``(parameter path, value, constraint)`` tuples, so that a call can accumulate all of them
and raise one exception (AWS reports every violated constraint of a request together):
``"N validation error(s) detected: Value 'x' at 'y' failed to satisfy constraint: Member
must ..."``. Which exception carries them is the service's (``ds_models._validate``,
``workspaces_models._validate``); :func:`raise_violations` raises it.

The constraints are the service models' (botocore's ``service-2.json``: ``pattern``,
``enum``, ``min``/``max``).
"""

from __future__ import annotations

import re
from typing import Any, Callable

#: One violated constraint: (parameter path as AWS names it, the value, what the member must do).
Violation = tuple[str, Any, str]


def check_pattern(name: str, value: Any, pattern: str, *, required: bool = False) -> list[Violation]:
    """``value`` must be a string matching ``pattern`` (``re.match``). None passes unless
    ``required`` (then it fails the pattern); a value that is not a string fails it."""
    if value is None and not required:
        return []
    if not isinstance(value, str) or not re.match(pattern, value):
        return [(name, value, f"satisfy regular expression pattern: {pattern}")]
    return []


def check_enum(name: str, value: Any, allowed: tuple[str, ...]) -> list[Violation]:
    """``value`` must be one of ``allowed`` (None passes)."""
    if value is not None and value not in allowed:
        return [(name, value, f"satisfy enum value set: [{', '.join(allowed)}]")]
    return []


def check_range(name: str, value: Any, low: int, high: int) -> list[Violation]:
    """A number must be within ``low``..``high`` inclusive (None passes)."""
    if value is None:
        return []
    if value < low:
        return [(name, value, f"have value greater than or equal to {low}")]
    if value > high:
        return [(name, value, f"have value less than or equal to {high}")]
    return []


def check_length(name: str, value: Any, low: int, high: int) -> list[Violation]:
    """A string's or list's length must be within ``low``..``high`` inclusive (None
    passes); a long string or a list is shown by its length, not its content."""
    if value is None:
        return []
    if not low <= len(value) <= high:
        shown = value if isinstance(value, str) and len(value) <= 64 else f"<{len(value)} items>"
        return [(name, shown, f"have length between {low} and {high}")]
    return []


def raise_violations(errors: list[Violation], framework: Callable[[list[Violation]], Exception],
                     modeled: Callable[[str], Exception] | None = None) -> None:
    """Raise one exception for all ``errors`` (nothing when there are none): the
    framework's accumulated ValidationException built by ``framework``, or, when
    ``modeled`` is given (``ExtensionConfig.constraint_violations == "modeled"``), the
    service's modeled error code with the same message."""
    if not errors:
        return
    exc = framework(errors)
    if modeled is not None:
        raise modeled(exc.message)  # type: ignore[attr-defined]
    raise exc
