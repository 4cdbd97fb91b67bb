"""The PKCS#11 module named in the profile (or OpenSC's) is found in the usual install
folders: on a fake Windows (Program Files in a scratch folder) and here."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware import pkcs11 as p11
from hardware.backends import make_backend
from wscard.errors import EnvironmentProblem
from wscard.profile import load_profile


def put(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"MZ")
    return path


@pytest.fixture
def windows(tmp_path):
    """A Windows machine's environment whose Program Files and System32 are scratch folders."""
    return {"ProgramW6432": str(tmp_path / "Program Files"), "ProgramFiles": str(tmp_path / "Program Files"),
            "SystemRoot": str(tmp_path / "Windows")}


def test_opensc_msi_is_found_in_program_files(windows, tmp_path):
    dll = put(tmp_path / "Program Files" / "OpenSC Project" / "OpenSC" / "pkcs11" / "opensc-pkcs11.dll")
    assert p11.find_module("", "Windows", windows) == str(dll)


def test_64_bit_program_files_comes_before_the_32_bit_one(tmp_path):
    env = {"ProgramW6432": str(tmp_path / "PF64"), "ProgramFiles": str(tmp_path / "PF32")}
    put(tmp_path / "PF32" / "OpenSC Project" / "OpenSC" / "pkcs11" / "opensc-pkcs11.dll")
    dll64 = put(tmp_path / "PF64" / "OpenSC Project" / "OpenSC" / "pkcs11" / "opensc-pkcs11.dll")
    assert p11.find_module("", "Windows", env) == str(dll64)


def test_a_vendor_module_named_by_file_name_is_found(windows, tmp_path):
    dll = put(tmp_path / "Program Files" / "HID Global" / "ActivClient" / "acpkcs211.dll")
    # a bare name in a profile arrives resolved against the profile's folder
    assert p11.find_module(str(tmp_path / "profiles" / "acpkcs211.dll"), "Windows", windows) == str(dll)
    assert p11.find_module("acpkcs211.dll", "Windows", windows) == str(dll)


def test_system32_is_searched_last(windows, tmp_path):
    dll = put(tmp_path / "Windows" / "System32" / "opensc-pkcs11.dll")
    assert p11.find_module("", "Windows", windows) == str(dll)
    msi = put(tmp_path / "Program Files" / "OpenSC Project" / "OpenSC" / "pkcs11" / "opensc-pkcs11.dll")
    assert p11.find_module("", "Windows", windows) == str(msi)


def test_an_existing_path_is_taken_as_it_is(tmp_path, windows):
    dll = put(tmp_path / "elsewhere" / "vendor.dll")
    assert p11.find_module(str(dll), "Windows", windows) == str(dll)


def test_nothing_installed_is_none(windows):
    assert p11.find_module("", "Windows", windows) is None
    assert p11.find_module("acpkcs211.dll", "Windows", windows) is None


def test_windows_folders_without_environment_fall_back_to_c_windows():
    assert [str(f).replace("\\", "/") for f in p11.module_folders("Windows", {})] == ["C:/Windows/System32"]


def test_missing_vendor_module_names_itself_and_the_folders():
    profile = load_profile().replace("card", backend="pcsc", pkcs11_module="/nowhere/no-such-vendor-pkcs11.so")
    backend = make_backend(profile.card)
    with pytest.raises(EnvironmentProblem) as exc:
        backend.module_path()
    message = str(exc.value)
    assert "no-such-vendor-pkcs11.so" in message and str(p11.module_folders()[0]) in message
    assert "give the module's full path" in message
