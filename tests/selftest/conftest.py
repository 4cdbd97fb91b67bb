"""Shared by the self-tests: one fork server per xdist worker (wscard.selftest.ForkServer),
which imports the harness once and forks a child per suite run."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from wscard.selftest import ForkServer, area_inputs, fork_available


@pytest.fixture(scope="session")
def selftest_server():
    """The worker's fork server, or None where there is no os.fork (Windows) or with
    WSCARD_SELFTEST_SUBPROCESS=1: then each run is a ``python -m pytest`` of its own."""
    if os.environ.get("WSCARD_SELFTEST_SUBPROCESS") == "1" or not fork_available():
        yield None
        return
    with ForkServer() as server:
        yield server


@pytest.fixture(scope="session")
def inputs(selftest_server):
    """The profile sections each area reads on the embedded default (wscard.selftest.
    area_inputs), or None without the fork server (then every run is of the whole suite)."""
    if selftest_server is None:
        return None
    return area_inputs(selftest_server, Path(tempfile.gettempdir()))
