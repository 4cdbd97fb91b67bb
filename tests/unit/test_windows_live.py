"""On a real Windows machine (the windows.yml workflow, or a lab PC): the live registry
readers of the client detection (``detect = true``) and of the in-session checks
(``registry = "winreg"``), the cache folder, the file locks and WinSCard through pyscard.
Linux CI can only simulate these (tests/unit/test_windows_startup.py), so here they are
skipped everywhere else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wscard import host, locks
from wscard.errors import EnvironmentProblem

pytestmark = pytest.mark.skipif(sys.platform != "win32", reason="needs Windows (the windows.yml workflow runs it)")

ROOT = Path(__file__).resolve().parents[2]


def test_client_detection_reads_the_live_registry():
    from wscard.client.detect import UNINSTALL_KEYS, WinRegReader, detect_windows

    reader = WinRegReader()
    assert reader.subkeys(UNINSTALL_KEYS[0]), "a Windows machine has uninstall entries"
    found = detect_windows(reader)
    assert found.platform == "windows" and found.source == "Windows registry"
    assert found.architecture in ("x86_64", "arm64")  # the OS's, from the system environment key
    assert found.details["PROCESSOR_ARCHITECTURE"] in ("AMD64", "ARM64")
    for entry in found.details["entries"]:  # whatever WorkSpaces clients are installed
        assert entry["DisplayName"].startswith("Amazon WorkSpaces")


def test_in_session_registry_reads_values_and_files_of_this_machine():
    from wscard.guest.windows import WinRegRegistry

    reg = WinRegRegistry()
    values = reg.values(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion")
    assert values is not None and values["CurrentBuild"].type == "REG_SZ" and values["CurrentBuild"].value.isdigit()
    assert reg.values(r"HKLM\SOFTWARE\wscard\no such key") is None
    assert reg.file_exists(r"%SystemRoot%\System32\kernel32.dll") is True
    assert reg.file_exists(r"%SystemRoot%\System32\no-such-pkcs11.dll") is False


def test_cache_folder_is_local_app_data(monkeypatch):
    monkeypatch.delenv("WSCARD_CACHE_DIR", raising=False)
    assert host.cache_root("pki") == Path(os.environ["LOCALAPPDATA"]) / "wscard" / "cache" / "pki"
    assert host.running_as_root() is False


def test_file_locks_keep_another_process_out(tmp_path):
    path = tmp_path / "x.lock"
    with locks.acquire(path):
        code = (f"from wscard import locks\ntry:\n    locks.acquire({str(path)!r}, 0.3, busy='BUSY')\n"
                "    print('TAKEN')\nexcept Exception as e:\n    print(e)\n")
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == "Environment problem: BUSY", out.stderr


def test_winscard_through_pyscard_lists_readers_or_says_why_not():
    from hardware import pcsc

    try:
        readers = pcsc.list_readers()
    except EnvironmentProblem as exc:  # a runner has no reader: the Smart Card service is not running
        assert "Smart Card" in str(exc) and "SCardSvr" in str(exc)
    else:
        assert isinstance(readers, list)
