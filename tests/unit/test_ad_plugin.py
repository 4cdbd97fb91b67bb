"""Without a directory (or without Samba) the @ad scenarios are skipped with one reason
that says how to fix it, not a traceback per scenario."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

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
