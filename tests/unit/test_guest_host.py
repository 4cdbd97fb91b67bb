"""The probes on this machine's real root (/) with a throwaway user home: the state the
user guide describes is built with modutil against the OpenSC library the distribution
installed, and the profile pointed at that home gives the right answer, before and after."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wscard.checks import Status
from wscard.guest import linux, nss, opensc, world
from wscard.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
HOST_OPENSC = opensc.host_library()
pytestmark = [
    pytest.mark.skipif(shutil.which("modutil") is None, reason="libnss3-tools not installed"),
    pytest.mark.skipif(HOST_OPENSC is None, reason="opensc-pkcs11 not installed"),
]


def profile_for(tmp_path: Path, home: Path) -> Path:
    p = tmp_path / "workspace-linux.toml"
    p.write_text(
        'extends = "embedded"\n\n[profile]\nname = "this machine, throwaway home"\n\n'
        f'[guest]\nbuild = ""\nos = ["linux"]\nroot = "/"\nhome = "{home}"\nopensc_library = "{HOST_OPENSC}"\n'
    )
    return p


def test_host_opensc_library_is_found_where_the_distribution_put_it():
    # Debian/Ubuntu: the multiarch folder; Amazon Linux/RHEL/Fedora: /usr/lib64 (or /lib64)
    assert Path(HOST_OPENSC).is_file()
    assert opensc.is_opensc_library(HOST_OPENSC)


def test_profile_pointed_at_a_real_home_gives_the_right_answer(tmp_path):
    home = tmp_path / "alice"
    nss.create_db(home / ".pki/nssdb")  # Chrome's first start
    prof = load_profile(profile_for(tmp_path, home))
    guest = world.linux_guest(prof)
    assert guest.fs.is_live and guest.home == str(home)

    before = linux.check_chrome_nssdb(guest)
    assert before.status is Status.FAILED
    assert f'modutil -dbdir sql:.pki/nssdb/ -add "OpenSC" -libfile {HOST_OPENSC}' in before.message()

    proc = nss.run_documented_add(home, HOST_OPENSC)
    assert 'Module "OpenSC" added to database.' in proc.stdout

    after = linux.check_chrome_nssdb(guest)
    assert after.status is Status.PASSED, after.message()
    # on the live root the probe also asks NSS to load the module
    assert [m["status"] for m in after.evidence["modules"]] == ["loaded"]


def test_the_feature_against_a_real_home(tmp_path):
    """End to end: the SESSION-3 scenario with --profile pointing at the throwaway home."""
    home = tmp_path / "bob"
    nss.create_db(home / ".pki/nssdb")
    prof = profile_for(tmp_path, home)

    def run(n: int) -> dict:
        out = tmp_path / f"run{n}"  # each run its own folder (a folder that holds a run is refused)
        summary = out / "compliance-summary.json"
        cmd = [sys.executable, "-m", "pytest", "steps/test_in_session_bdd.py", "-q", "-p", "no:cacheprovider",
               "--profile", str(prof), "-k", "registered_in_the_users_nss_database", f"--run-dir={out}"]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert summary.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
        return json.loads(summary.read_text())["requirements"]["SESSION-3"]

    first = run(1)
    assert first["status"] == "failed"
    assert "-libfile " + HOST_OPENSC in json.dumps(first)
    nss.run_documented_add(home, HOST_OPENSC)
    assert run(2)["status"] == "passed"
