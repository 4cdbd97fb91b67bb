"""The [guest] profile section: defaults, the embedded world, rules across keys."""

from __future__ import annotations

import sys
import textwrap

import pytest

from wscard.errors import ProfileError
from wscard.profile import load_profile
from wscard.sections.guest import LINUX_BUILDS, WINDOWS_BUILDS


def write(tmp_path, text):
    p = tmp_path / "p.toml"
    p.write_text('extends = "embedded"\n' + textwrap.dedent(text))
    return p


def test_embedded_builds_both_guests():
    g = load_profile().guest
    assert g.build == "compliant" and g.os == ["linux", "windows"] and g.simulated


def test_every_build_variant_has_a_fault_profile():
    from pathlib import Path

    faults = Path(__file__).resolve().parents[2] / "profiles" / "faults"
    for variant in (*LINUX_BUILDS, *WINDOWS_BUILDS):
        assert (faults / f"guest-{variant}.toml").exists(), variant
        assert load_profile(faults / f"guest-{variant}.toml").guest.build == variant


def test_build_and_a_root_do_not_mix(tmp_path):
    with pytest.raises(ProfileError, match=r"\[guest\]\.root: .*cannot be combined with build"):
        load_profile(write(tmp_path, '[guest]\nroot = "/mnt/image"\n'))


def test_a_mounted_image_needs_the_home(tmp_path):
    with pytest.raises(ProfileError, match=r"\[guest\]\.home: the user's home inside the guest is needed"):
        load_profile(write(tmp_path, '[guest]\nbuild = ""\nos = ["linux"]\nroot = "/mnt/image"\n'))
    p = load_profile(write(tmp_path, '[guest]\nbuild = ""\nos = ["linux"]\nroot = "/mnt/image"\nhome = "/home/alice"\n'))
    assert p.guest.root == "/mnt/image"


def test_registry_file_is_resolved_against_the_profile(tmp_path):
    p = load_profile(write(tmp_path, '[guest]\nbuild = ""\nos = ["windows"]\n'
                                     '[guest.windows]\nregistry = "file"\nregistry_file = "ws.reg"\n'))
    assert p.guest.windows.registry_file == str(tmp_path / "ws.reg")


@pytest.mark.skipif(sys.platform == "win32", reason="winreg is available on Windows")
def test_winreg_off_windows_is_refused(tmp_path):
    with pytest.raises(ProfileError, match=r"\[guest.windows\]\.registry: winreg .* only on Windows"):
        load_profile(write(tmp_path, '[guest]\nbuild = ""\nos = ["windows"]\n'))


def test_unknown_variant_is_refused(tmp_path):
    with pytest.raises(ProfileError, match=r"\[guest\]\.build: must be one of"):
        load_profile(write(tmp_path, '[guest]\nbuild = "broken"\n'))


def test_no_guest_by_default(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[profile]\nname = "x"\n')
    assert load_profile(p).guest.os == []
