"""Control markers: ``-m`` selects the scenarios supporting a control of an auditor's
framework (wscard/data/controls.toml), like the requirement markers select by
requirement: ``-m ia-2.12`` (NIST SP 800-53 Rev. 5, OSCAL control IDs: pytest's ``-m``
takes no parentheses), ``-m CCI-001953`` (DISA SRG, by CCI), ``-m IA.L2-3.5.3`` (CMMC 2.0
Level 2). Logic lives in wscard.controls; this module only connects it to pytest.
"""

from __future__ import annotations

import pytest

from wscard.controls import controls_of, markers
from wscard.requirements import catalogue


def pytest_configure(config: pytest.Config) -> None:
    cat = catalogue()
    for name, doc in markers().items():
        if name not in cat:
            config.addinivalue_line("markers", f"{name}: {doc}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each scenario the markers of the controls its requirements support, before
    ``-m`` deselects (pytest's own hook runs after this one)."""
    cat = catalogue()
    for item in items:
        rids = {m.name for m in item.iter_markers() if m.name in cat}
        names = {c.marker for rid in rids for c in controls_of(rid)}
        for name in sorted(names):
            item.add_marker(name)
