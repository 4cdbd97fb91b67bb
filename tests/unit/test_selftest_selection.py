"""Which areas a fault profile's self-test runs (wscard.selftest): the sections a profile
changes, the areas that read them, one whole-suite run per family."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wscard import selftest as S

INPUTS = {"ad": {"ad", "aws", "pki"}, "client": {"client", "workspaces"}, "in_session": {"guest", "pki"},
          "region": {"aws"}, "odd": None}


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / f"{name}.toml"
    p.write_text(text)
    return p


def test_a_profile_runs_the_areas_that_read_a_section_it_changes_and_those_never_measured():
    assert S.selected_areas({"guest"}, INPUTS) == ["in_session", "odd"]
    assert S.selected_areas({"aws"}, INPUTS) == ["ad", "odd", "region"]
    assert S.selected_areas({"aws", "client"}, INPUTS) == ["ad", "client", "odd", "region"]


def test_the_whole_suite_when_nothing_is_known_or_nothing_reads_the_change():
    assert S.selected_areas(None, INPUTS) is None  # extends nothing
    assert S.selected_areas({"guest"}, None) is None  # no measurement (no fork server)
    assert S.selected_areas({"login"}, {"region": {"aws"}}) is None  # nothing reads it: compare() says why


def test_the_profile_table_counts_only_when_it_sets_more_than_labels(tmp_path):
    labels = write(tmp_path, "a", 'extends = "embedded"\n[profile]\nname = "x"\ndescription = "y"\n[pki]\nkey_type = "ec-p256"\n')
    baseline = write(tmp_path, "b", 'extends = "embedded"\n[profile]\nname = "x"\nbaseline = "admin-guide"\n[client]\nos = "macos"\n')
    assert S.changed_inputs(labels) == {"pki"}
    assert S.changed_inputs(baseline) == {"client", "profile"}
    assert S.changed_inputs(write(tmp_path, "c", '[profile]\nname = "standalone"\n')) is None


def test_one_profile_of_each_family_runs_the_whole_suite(tmp_path):
    a1 = write(tmp_path, "a1", 'extends = "embedded"\n[pki]\nkey_type = "ec-p256"\n')
    a2 = write(tmp_path, "a2", 'extends = "embedded"\n[pki]\nupn = ""\n')
    b1 = write(tmp_path, "b1", 'extends = "embedded"\n[pki]\nupn = ""\n[aws]\nregion = "us-east-1"\n')
    c1 = write(tmp_path, "c1", 'extends = "embedded"\n[profile]\nbaseline = "admin-guide"\n[pki]\nupn = ""\n')
    assert S.family_heads([a2, b1, a1, c1]) == {a1, b1, c1}


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
