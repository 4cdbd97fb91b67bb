"""The requirement catalogue (``wscard/data/requirements.toml``) and area names."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"

AREA_TITLES = {
    "KCD": "Kerberos constrained delegation",
    "CA": "CA certificates in AD Connector",
    "AUTH": "Smart card authentication on the directory",
    "UC": "User certificates",
    "OCSP": "Revocation checking (OCSP)",
    "CARD": "Smart card and reader",
    "WSP": "Streaming protocol and WorkSpaces",
    "CLIENT": "WorkSpaces client",
    "REGION": "Regions",
    "LOGIN": "Pre-session login flow",
    "SESSION": "In-session use",
}


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    url: str


@dataclass(frozen=True)
class Requirement:
    id: str
    area: str
    statement: str
    sources: tuple[Source, ...]
    severity: str  # allure severities: critical, normal, minor
    #: a sentence quoted word for word from ``quote_source`` ("" where none could be quoted
    #: from a stored copy of the source: docs/evidence.md)
    quote: str = ""
    quote_source: Source | None = None
    #: the one short title of the requirement: the default title of every check of it
    #: (:class:`wscard.checks.CheckResult`), in reports and messages
    title: str = ""
    #: the usual fix when the requirement fails ("" where each check says its own)
    fix: str = ""

    @property
    def url(self) -> str:
        return self.sources[0].url


@functools.cache
def catalogue() -> dict[str, Requirement]:
    """The requirement catalogue (``wscard/data/requirements.toml``, the project's copy of
    ``../shared/spec/requirements.md``): ID -> :class:`Requirement` (area, statement,
    sources, severity, quote, title, default fix), in the catalogue's order. Raises OSError or
    tomllib.TOMLDecodeError when the data file is missing or broken (a broken checkout)."""
    with (DATA / "requirements.toml").open("rb") as fh:
        data = tomllib.load(fh)
    sources = {
        k.replace("_", "-"): Source(k.replace("_", "-"), v["title"], v["url"]) for k, v in data["sources"].items()
    }
    return {
        rid: Requirement(rid, r["area"], r["statement"], tuple(sources[s] for s in r["sources"]), r["severity"],
                         r.get("quote", ""), sources[r["quote_source"]] if r.get("quote_source") else None,
                         r["title"], r.get("fix", ""))
        for rid, r in data["requirement"].items()
    }


def requirement_title(rid: str) -> str:
    """The catalogue's title of requirement ``rid`` (``"CA-3"``), the default title of its
    checks. Raises KeyError naming the ID when the catalogue has no such requirement."""
    try:
        return catalogue()[rid].title
    except KeyError:
        raise KeyError(f"{rid!r} is not a requirement of the catalogue (wscard/data/requirements.toml): "
                       "give the check a title, or use a catalogue ID") from None


def default_fix(rid: str) -> str:
    """The catalogue's usual fix for requirement ``rid`` ("" where it has none, or the ID
    is not in the catalogue)."""
    req = catalogue().get(rid)
    return req.fix if req is not None else ""


def is_requirement_tag(tag: str) -> bool:
    return tag in catalogue()


def sort_key(rid: str) -> tuple[int, int]:
    order = list(AREA_TITLES)
    area, _, num = rid.partition("-")
    return (order.index(area) if area in order else 99, int(num) if num.isdigit() else 0)
