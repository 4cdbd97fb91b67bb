"""Documented limits (``wscard/data/limits.toml``): one place, each with its source."""

from __future__ import annotations

import functools
import tomllib
from typing import Any

from .requirements import DATA


@functools.cache
def limits() -> dict[str, Any]:
    with (DATA / "limits.toml").open("rb") as fh:
        return tomllib.load(fh)


def smart_card_regions() -> list[str]:
    return list(limits()["smart_card_api_regions"]["regions"])


def ca_limits() -> dict[str, Any]:
    return dict(limits()["ca_certificates"])
