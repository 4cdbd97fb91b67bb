"""WorkSpaces client version numbers: parsed and compared numerically.

Client versions are dotted numbers ("3.1.1", "3.1.10", "5.22.1.4879", "2024.0"), sometimes
with a suffix in what an installer reports ("3.1.9 (build 1553)", "v5.4.0"). They are
compared component by component as integers, missing components counting as 0, so
3.1.10 > 3.1.9, 5.0 > 3.1.10, and 3.1.1 == 3.1.1.0. (``packaging.version`` would do the
same for these numbers, but it is not a declared dependency of the library and its
PEP 440 rules add nothing for purely numeric versions.)

A leaf module (stdlib only): the profile section ``[client]``, ``wscard.client`` and
``wscard.limits`` use it, and it imports none of them (docs/ARCHITECTURE.md, "What each
package may import").
"""

from __future__ import annotations

import functools
import re

_NUMBER = re.compile(r"(\d+(?:\.\d+)*)")


@functools.total_ordering
class ClientVersion:
    """A client version; compare with <, ==, >= against another version or a string."""

    __slots__ = ("text", "parts")

    def __init__(self, text: str):
        match = _NUMBER.search(str(text or ""))
        if match is None:
            raise ValueError(f"not a version number: {text!r}")
        self.text = str(text).strip()
        self.parts = tuple(int(p) for p in match.group(1).split("."))

    def _key(self, length: int) -> tuple[int, ...]:
        return self.parts + (0,) * (length - len(self.parts))

    @staticmethod
    def _coerce(other: object) -> "ClientVersion":
        if isinstance(other, ClientVersion):
            return other
        if isinstance(other, str):
            return ClientVersion(other)
        return NotImplemented  # type: ignore[return-value]

    def __eq__(self, other: object) -> bool:
        o = self._coerce(other)
        if o is NotImplemented:
            return NotImplemented
        n = max(len(self.parts), len(o.parts))
        return self._key(n) == o._key(n)

    def __lt__(self, other: object) -> bool:
        o = self._coerce(other)
        if o is NotImplemented:
            return NotImplemented
        n = max(len(self.parts), len(o.parts))
        return self._key(n) < o._key(n)

    def __hash__(self) -> int:
        parts = list(self.parts)
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return hash(tuple(parts))

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)

    def __repr__(self) -> str:
        return f"ClientVersion({self.text!r})"


def at_least(version: str | ClientVersion, minimum: str | ClientVersion) -> bool:
    """Whether ``version`` is ``minimum`` or later."""
    v = version if isinstance(version, ClientVersion) else ClientVersion(version)
    return v >= minimum
