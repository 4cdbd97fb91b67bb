"""Without a directory (or without Samba) the @ad scenarios are skipped with one reason
that says how to fix it, not a traceback per scenario."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from steps import ad_plugin
from wscard.ad import samba
from wscard.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]


def test_missing_samba_gives_the_install_command(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(samba, "which", lambda tool: None)
    reason = ad_plugin.skip_reason(load_profile())
    assert "apt-get install --no-install-recommends samba-ad-dc samba-ad-provision ldb-tools krb5-user" in reason


def test_samba_on_windows_says_linux_only_in_one_line(monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr("os.geteuid", raising=False)
    reason = ad_plugin.skip_reason(load_profile())
    assert reason.startswith("the simulated Samba AD domain controller runs only on Linux (this machine runs Windows): ")
    assert "mode = 'ldap'" in reason and "\n" not in reason


def test_profile_without_directory_skips_every_ad_scenario_with_one_reason(tmp_path):
    prof = tmp_path / "no-ad.toml"
    prof.write_text('extends = "embedded"\n[ad]\nmode = "none"\n')
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "steps/test_ad_bdd.py", "-p", "no:cacheprovider", "-rs",
         "--profile", str(prof), f"--run-dir={tmp_path / 'run'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    # nothing could be checked: not evaluated (exit 6), never passed (exit 0)
    assert p.returncode == 6, out[-2000:]
    summary = json.loads((tmp_path / "run" / "compliance-summary.json").read_text())
    assert {e["status"] for e in summary["requirements"].values()} == {"not evaluated"}
    # every scenario of features/ad (KCD-1..KCD-7, UC-7), none passed or failed
    assert re.search(r"= 9 skipped in ", out)
    assert out.count("[ad] mode = 'none'") >= 1 and "Traceback" not in out
    assert "wscard ad: @ad scenarios skipped" in out


COUNT_STARTS = '''
from wscard.ad import samba

_start = samba.start_for_profile
STARTS = []


def counted(*args, **kwargs):
    STARTS.append(1)
    return _start(*args, **kwargs)


samba.start_for_profile = counted


def pytest_unconfigure(config):
    print(f"simulated DC starts: {len(STARTS)}")
'''


AREAS = ("steps/test_ad_bdd.py", "steps/test_region_bdd.py", "steps/test_login_bdd.py")


def _run(tmp_path, *args: str, verbosity: str = "-v", areas=AREAS) -> tuple[subprocess.CompletedProcess, list[str]]:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "count_dc_starts.py").write_text(COUNT_STARTS)
    p = subprocess.run(
        [sys.executable, "-m", "pytest", *areas, "-p", "no:cacheprovider", "-p", "count_dc_starts", verbosity,
         f"--run-dir={tmp_path / 'run'}", f"--basetemp={tmp_path / 'tmp'}", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(tmp_path)})
    order = [m.group(1) for m in re.finditer(r"^steps/test_(\w+)_bdd\.py::", p.stdout, re.M)]
    return p, list(dict.fromkeys(order))


def test_the_modules_that_read_the_domain_share_one_simulated_dc(tmp_path):
    """The AD and login areas both read the domain: they run one after the other, at the
    last one's place (the region area given between them runs first), and one DC serves
    them, handed on from one module to the next (steps/ad_plugin.py), where each used to
    start its own."""
    why = samba.unavailable_reason()
    if why:
        pytest.skip(why)
    p, areas = _run(tmp_path, "--card=softhsm")
    out = p.stdout + p.stderr
    assert p.returncode in (0, 6), out[-3000:]  # 6: the card requirements partly, on SoftHSM
    assert "simulated DC starts: 1" in out, out[-3000:]
    assert areas == ["region", "ad", "login"], areas
    assert "wscard ad: domain controller" in out  # the DC's timings, as before


def test_with_a_virtual_card_the_dc_is_handed_on_only_once_the_readers_are_held(tmp_path):
    """A run takes the virtual readers' lock before the DC's. A DC kept into the login
    module, whose scenarios open the card, while the readers are not yet this run's would
    invert that order (a deadlock with a run that holds the readers and waits for the
    DC): then each module has its own DC. Once the card area has taken the readers (a
    whole run: it comes before the domain modules), the DC is handed on."""
    why = samba.unavailable_reason()
    if why:
        pytest.skip(why)
    p, areas = _run(tmp_path, "--card=virtual-piv", "-m", "ad")  # the @ad scenarios use no card
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    assert "simulated DC starts: 2" in out, out[-3000:]
    assert areas == ["ad", "login"], areas
    from hardware.backends import emulated_stack_problem

    why = emulated_stack_problem()
    if why:
        pytest.skip(why)
    p, areas = _run(tmp_path / "with-card", "--card=virtual-piv", "-m", "ad or hw",
                    areas=("steps/test_card_bdd.py", "steps/test_ad_bdd.py", "steps/test_login_bdd.py"))
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-3000:]
    assert areas == ["card", "ad", "login"], areas
    assert "simulated DC starts: 1" in out, out[-3000:]


def test_without_a_domain_nothing_is_moved(tmp_path):
    prof = tmp_path / "no-ad.toml"
    prof.write_text('extends = "embedded"\n[ad]\nmode = "none"\n')
    p, areas = _run(tmp_path, "--card=softhsm", "--collect-only", "--profile", str(prof), verbosity="-q")
    assert p.returncode == 0, (p.stdout + p.stderr)[-3000:]
    assert areas == ["ad", "region", "login"], areas


LOCK_ORDER = '''
from wscard import locks

_acquire = locks.acquire
ORDER = []


def acquire(path, *args, **kwargs):
    held = _acquire(path, *args, **kwargs)
    name = str(path)
    if "vpcd" in name or "samba-dc" in name:
        ORDER.append("readers" if "vpcd" in name else "dc")
    return held


locks.acquire = acquire


def pytest_unconfigure(config):
    print("lock order: " + " ".join(ORDER))
'''


def test_the_readers_are_taken_before_the_dc_when_the_ad_area_reads_the_card(tmp_path):
    """``[pki] user_source = "card"`` on a virtual card: the AD area's logon certificates
    come from the card session. The readers' lock is taken before the DC's, as in every
    run (otherwise the DC is held while this run waits for the readers: a deadlock with a
    run that holds them and waits for the DC, until a timeout)."""
    why = samba.unavailable_reason()
    if why:
        pytest.skip(why)
    from hardware.backends import emulated_stack_problem

    why = emulated_stack_problem()
    if why:
        pytest.skip(why)
    (tmp_path / "lock_order.py").write_text(LOCK_ORDER)
    prof = tmp_path / "card-users.toml"
    prof.write_text('extends = "embedded"\n[pki]\nuser_source = "card"\n')
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "steps/test_ad_bdd.py", "-p", "no:cacheprovider", "-p", "lock_order", "-q",
         "--card=virtual-piv", "--profile", str(prof), f"--run-dir={tmp_path / 'run'}",
         f"--basetemp={tmp_path / 'tmp'}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(tmp_path)})
    out = p.stdout + p.stderr
    assert "lock order: readers dc" in out, out[-3000:]
