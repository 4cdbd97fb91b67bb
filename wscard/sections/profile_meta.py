"""``[profile]``: what the profile is, and ``[expect]``: what a fault profile breaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..errors import ProfileError
from ..profile import section

Use = Literal["pre-session", "in-session"]


@section("profile")
@dataclass
class ProfileMeta:
    #: Short name shown in reports (defaults to the file name).
    name: str = ""
    #: One or two sentences: what environment this is.
    description: str = ""
    #: Which documented baseline to check against: ``seed`` (the seed documents),
    #: ``admin-guide`` (the WorkSpaces administration guide of 2021) or ``current`` (the
    #: documents as read on 2026-11-30, wscard/data/limits.toml). ``--baseline`` overrides it.
    baseline: Literal["seed", "admin-guide", "current"] = "seed"
    #: How smart cards are used in this environment. Pre-session rules (AUTH-5,
    #: OCSP-7...) apply only when "pre-session" is listed.
    authentication: list[Use] = field(default_factory=lambda: ["pre-session", "in-session"])


@section("expect")
@dataclass
class Expectation:
    """For fault profiles: what the harness must report on this environment.
    The self-tests run the suite on the profile and compare."""

    #: Requirement IDs that must fail (and no others may).
    failed: list[str] = field(default_factory=list)
    #: Requirement IDs that must end with a warning (and no others may).
    warning: list[str] = field(default_factory=list)
    #: Requirement IDs that must end not evaluated because the environment the profile
    #: describes cannot be examined (an environment problem on purpose). Any other
    #: requirement with a scenario ending in an environment problem or a harness error
    #: fails the self-test.
    not_evaluated: list[str] = field(default_factory=list)
    #: Requirement IDs that must pass outright (not skipped): what a trap (a correct
    #: environment a careless check would flag, ``failed = []``) exists to show. Without
    #: it a trap whose scenario was skipped would count as passing.
    passed: list[str] = field(default_factory=list)
    #: Texts that must appear in the failure (or warning) messages.
    messages: list[str] = field(default_factory=list)
    #: Limit the self-test to scenarios matching this pytest -m expression.
    markers: str = ""

    def validate(self, profile) -> None:
        from ..requirements import catalogue

        known = catalogue()
        for key, ids in (("failed", self.failed), ("warning", self.warning), ("not_evaluated", self.not_evaluated),
                         ("passed", self.passed)):
            for rid in ids:
                if rid not in known:
                    raise ProfileError(f"unknown requirement ID {rid!r}", key=f"[expect].{key}")
        both = set(self.passed) & (set(self.failed) | set(self.warning))
        if both:
            raise ProfileError(f"{', '.join(sorted(both))} cannot both pass and fail or warn", key="[expect].passed")
