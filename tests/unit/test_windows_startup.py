"""The harness's start-up as a Windows lab PC sees it (issue 13): nothing POSIX-only is
imported or called when pytest loads the plugins and collects ``-m hw``, the card layer's
unit tests pass on the transport seam, and the Linux-only parts say so in one line.

Each run goes through ``tools/simulate_windows.py`` in a subprocess: ``fcntl``, ``pwd``,
``grp``, ``termios`` and ``resource`` blocked, ``os.geteuid``/``getuid``/``fork``/``setsid``
(and the rest Windows lacks) removed, ``sys.platform == "win32"``. The last tests show the
simulation catches what it is there to catch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wscard import host

ROOT = Path(__file__).resolve().parents[2]
SIMULATE = ROOT / "tools" / "simulate_windows.py"
VIOLATION_STATUS = 97  # tools/simulate_windows.py


def as_windows(tmp_path: Path, *pytest_args: str, extra_path: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m pytest ARGS`` under the simulation; results and summary go to tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SMARTCARD_PIN"))}
    # this machine's cache (the simulated Windows one would be ~/AppData/Local/wscard/cache)
    env["WSCARD_CACHE_DIR"] = str(host.cache_root())
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH", "")]))
    cmd = [sys.executable, str(SIMULATE), "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=--strict-markers",
           f"--run-dir={tmp_path / 'run'}", *pytest_args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def test_plugins_load_and_hw_scenarios_collect_as_on_windows(tmp_path):
    run = as_windows(tmp_path, "--collect-only", "-m", "hw")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "platform win32" in out
    assert "<Module test_card_bdd.py>" in out and "<Function test_" in out
    # the @ad scenarios are skipped with one line saying why, instead of an INTERNALERROR
    assert "wscard ad: @ad scenarios skipped: the simulated Samba AD domain controller runs only on Linux" in out


def test_card_layer_unit_tests_pass_on_the_transport_seam_as_on_windows(tmp_path):
    run = as_windows(tmp_path, "-q", "tests/hardware/test_apdu.py", "tests/hardware/test_safety.py",
                     "tests/hardware/test_virtual_cards.py")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert " passed" in out and "failed" not in out and "error" not in out.lower()


def test_virtual_cards_selected_on_windows_say_linux_only_in_one_line(tmp_path):
    run = as_windows(tmp_path, "steps/test_card_bdd.py", "-m", "hw", "--card", "virtual-piv",
                     "-k", "exactly_one_card")
    out = run.stdout + run.stderr
    line = ("Environment problem: the card backend 'virtual-piv' (virtual cards in vsmartcard's vpcd reader behind "
            "pcscd) runs only on Linux (this machine runs Windows)")
    assert run.returncode == 6, out[-4000:]  # the scenario cannot run: not evaluated, neither passed nor failed
    assert line in out
    assert "Traceback" not in out and "INTERNALERROR" not in out


# --- the simulation catches what it is there to catch ----------------------------------------

def with_plugin(tmp_path: Path, name: str, code: str) -> subprocess.CompletedProcess:
    """``--collect-only -m hw`` under the simulation with one more plugin, ``code``."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / f"{name}.py").write_text(code)
    return as_windows(tmp_path, "--collect-only", "-q", "-m", "hw", "-p", name, extra_path=plugins)


def test_a_posix_only_import_at_start_up_fails_the_check_even_when_caught(tmp_path):
    run = with_plugin(tmp_path, "posix_plugin", "try:\n"
                                               "    import fcntl  # a POSIX-only import on the start-up path\n"
                                               "except ImportError:\n"
                                               "    fcntl = None\n")
    assert run.returncode == VIOLATION_STATUS, run.stdout[-2000:] + run.stderr[-2000:]
    assert "import of 'fcntl' at" in run.stderr and "posix_plugin.py:2" in run.stderr


def test_a_posix_only_call_at_start_up_fails_the_check(tmp_path):
    run = with_plugin(tmp_path, "euid_plugin", "import os\n\n"
                                             "def pytest_configure(config):\n"
                                             "    os.geteuid()  # not on Windows\n")
    assert run.returncode != 0
    assert "has no attribute 'geteuid'" in run.stdout + run.stderr


@pytest.mark.parametrize("module", ["fcntl", "pwd", "grp", "termios", "resource"])
def test_every_posix_only_module_is_refused(tmp_path, module):
    (tmp_path / "probe.py").write_text(f"import {module}\n")
    run = subprocess.run([sys.executable, str(SIMULATE), "-m", "probe"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert run.returncode != 0
    assert f"No module named '{module}' (simulated Windows)" in run.stderr
    assert f"import of '{module}' at {tmp_path / 'probe.py'}:1" in run.stderr
