"""Plain helpers of the step modules (no steps, no fixtures: those shared by several
areas are in ``steps/conftest.py``)."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def shown(evidence: Any, title: str, description: Any, thing: T) -> T:
    """``thing``, after attaching ``description`` (JSON-able) to the scenario's evidence
    as ``title``: what a "Given <the thing> under test" step returns."""
    evidence.attach_json(title, description)
    return thing
