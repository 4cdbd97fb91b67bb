"""Which areas a fault profile's self-test runs (wscard.selftest): the profile keys a
profile changes, the areas that read them (or the whole of their section), one
whole-suite run per family of profiles that change the same sections."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wscard import selftest as S

INPUTS = {"ad": {"ad.spn", "aws.directory", "pki"}, "client": {"client.os", "workspaces.protocol"},
          "in_session": {"guest.build", "pki"}, "region": {"aws.region", "aws.directory"}, "odd": None}


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


def test_a_profile_runs_the_areas_that_read_a_key_it_changes_and_those_never_measured():
    assert S.selected_areas({"guest.build"}, INPUTS) == ["in_session", "odd"]
    assert S.selected_areas({"aws.directory"}, INPUTS) == ["ad", "odd", "region"]
    assert S.selected_areas({"aws.region", "client.os"}, INPUTS) == ["client", "odd", "region"]


def test_a_key_no_area_reads_leaves_out_the_areas_that_read_other_keys_of_its_section():
    """The trap: [aws].region is read by the region area only; the ad area reads another
    [aws] key, so a profile that moves the Region does not run it."""
    assert S.selected_areas({"aws.region"}, INPUTS) == ["odd", "region"]
    assert S.selected_areas({"guest.home"}, INPUTS) == ["odd"]


def test_an_area_that_read_a_whole_section_runs_for_any_key_of_it():
    """The fault case: profile.values["pki"] (or vars() of the section) is a read of every
    key, so a change of any [pki] key runs the areas that did it."""
    assert S.selected_areas({"pki.user_validity"}, INPUTS) == ["ad", "in_session", "odd"]


def test_the_whole_suite_when_nothing_is_known_or_nothing_reads_the_change():
    assert S.selected_areas(None, INPUTS) is None  # extends nothing
    assert S.selected_areas({"guest.build"}, None) is None  # no measurement (no fork server)
    assert S.selected_areas({"login.user"}, {"region": {"aws.region"}}) is None  # nothing reads it: compare() says why


def test_the_profile_table_counts_only_when_it_sets_more_than_labels(tmp_path):
    labels = write(tmp_path, "a", 'extends = "embedded"\n[profile]\nname = "x"\ndescription = "y"\n[pki]\nkey_type = "ec-p256"\n')
    baseline = write(tmp_path, "b", 'extends = "embedded"\n[profile]\nname = "x"\nbaseline = "admin-guide"\n[client]\nos = "macos"\n')
    assert S.changed_inputs(labels) == {"pki.key_type"}
    assert S.changed_inputs(baseline) == {"client.os", "profile.baseline"}
    nested = write(tmp_path, "n", 'extends = "embedded"\n[aws.directory]\nuser_name = "x"\n[aws]\nregion = "us-east-1"\n')
    assert S.changed_inputs(nested) == {"aws.directory", "aws.region"}
    assert S.changed_inputs(write(tmp_path, "c", '[profile]\nname = "standalone"\n')) is None


def test_one_profile_of_each_area_family_runs_the_whole_suite(tmp_path):
    """The family is the name's area prefix; its head is the member that changes the most
    sections; a section no head changes gets a head of its own."""
    a1 = write(tmp_path, "pki-a1", 'extends = "embedded"\n[pki]\nkey_type = "ec-p256"\n')
    a2 = write(tmp_path, "pki-a2", 'extends = "embedded"\n[pki]\nupn = ""\n[aws]\nregion = "us-east-1"\n')
    a3 = write(tmp_path, "pki-a3", 'extends = "embedded"\n[pki]\nupn = ""\n')
    b1 = write(tmp_path, "ws-b1", 'extends = "embedded"\n[profile]\nbaseline = "admin-guide"\n[pki]\nupn = ""\n')
    b2 = write(tmp_path, "ws-b2", 'extends = "embedded"\n[workspaces]\npage_size = 5\n')
    assert S.family_heads([a3, b1, a1, a2, b2]) == {a2, b1, b2}
    assert S.family_heads([a1, a3]) == {a1}


def test_every_area_file_is_an_area_of_features():
    areas = S.area_files()
    assert areas and all((S.ROOT / "features" / a).is_dir() for a in areas), sorted(areas)


def test_the_self_test_module_imports_nothing_posix_only_at_start_up():
    """Windows is first-class: fcntl, resource and the fork server's imports stay inside functions."""
    tree = ast.parse((S.ROOT / "wscard" / "selftest.py").read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {a.name.split(".")[0] for n in top for a in n.names} | {n.module.split(".")[0] for n in top
                                                                    if isinstance(n, ast.ImportFrom) and n.module}
    assert not names & {"fcntl", "resource", "pytest", "signal", "termios"}, names


def test_without_fork_the_server_refuses_to_start(monkeypatch):
    monkeypatch.setattr(S, "fork_available", lambda: False)
    with pytest.raises(RuntimeError, match="os.fork"):
        S.ForkServer()
