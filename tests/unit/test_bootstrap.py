"""tools/bootstrap.py, the Python part of the set-up that harness.ps1 (Windows) calls:
what it would run on a fake Windows and a fake Debian machine, and a real --dry-run here."""

from __future__ import annotations

import ast
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("wscard_bootstrap", ROOT / "tools" / "bootstrap.py")
bootstrap = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bootstrap  # dataclasses look their module up there
_spec.loader.exec_module(bootstrap)


@pytest.fixture
def repo(tmp_path):
    """The files the set-up reads, in a scratch copy of the repository."""
    root = tmp_path / "repo"
    for rel in ("pyproject.toml", "reports/package-lock.json", "tools/apt-packages.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, root / rel)
    return root


def fake_path(tmp_path, *commands) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in commands:
        exe = bin_dir / (name + (".cmd" if sys.platform == "win32" else ""))  # found through PATHEXT there
        exe.write_text("#!/bin/sh\nexit 0\n")
        exe.chmod(0o755)
    return str(bin_dir)


def machine(repo, *, windows, path="", **kw):
    python = r"C:\Python312\python.exe" if windows else "/usr/bin/python3"
    return bootstrap.Machine(windows=windows, root=repo, python=python, env={"PATH": path}, **kw)


# --- where things are ----------------------------------------------------------------------

def test_venv_python_is_scripts_python_exe_on_windows_and_bin_python_elsewhere(repo):
    assert machine(repo, windows=True).venv_python == repo / ".venv" / "Scripts" / "python.exe"
    assert machine(repo, windows=False).venv_python == repo / ".venv" / "bin" / "python"


# --- a fresh Windows PC ----------------------------------------------------------------------

def test_fresh_windows_setup_creates_the_venv_installs_and_the_report_tools(repo, tmp_path, capsys):
    m = machine(repo, windows=True, path=fake_path(tmp_path, "npm"))
    run = bootstrap.Runner(m, dry_run=True)
    bootstrap.setup(run)
    venv_py = str(repo / ".venv" / "Scripts" / "python.exe")
    assert run.commands == [
        [r"C:\Python312\python.exe", "-m", "venv", str(repo / ".venv")],
        [venv_py, "-m", "pip", "install", "-q", "--upgrade", "pip"],
        [venv_py, "-m", "pip", "install", "-q", "-e", "."],
        [shutil.which("npm", path=str(tmp_path / "bin")), "ci", "--prefix", "reports", "--no-audit", "--no-fund",
         "--loglevel=error"],
    ]
    err = capsys.readouterr().err
    assert "Windows: no system packages to install" in err
    assert not (repo / ".venv").exists()  # a dry run changes nothing


def test_windows_without_npm_sets_up_python_and_says_the_report_needs_node(repo, capsys):
    m = machine(repo, windows=True)
    run = bootstrap.Runner(m, dry_run=True)
    bootstrap.setup(run)
    assert [c[1:3] for c in run.commands] == [["-m", "venv"], ["-m", "pip"], ["-m", "pip"]]  # no npm ci
    assert "npm not found: the HTML report cannot be generated" in capsys.readouterr().err


def test_windows_check_runs_wscard_check_with_the_pytest_options(repo, capsys):
    m = machine(repo, windows=True)
    assert bootstrap.main(["--dry-run", "check", "-m", "hw", "--profile", "lab.toml"], machine=m) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == subprocess.list2cmdline(
        [str(repo / ".venv" / "Scripts" / "python.exe"), "-m", "wscard.cli", "check", "-m", "hw", "--profile",
         "lab.toml"])


def test_windows_selftest_runs_the_unit_tests_and_collects_the_hw_scenarios(repo, tmp_path):
    steps = bootstrap.selftest_commands(machine(repo, windows=True), tmp_path)
    flat = [" ".join(map(str, s)) for s in steps]
    assert "tests/unit tests/hardware" in flat[0]
    assert "--collect-only -q -m hw" in flat[1]
    assert all(f"--alluredir={tmp_path}" in s for s in flat)  # never the repository's results


def test_a_set_up_machine_runs_nothing_again(repo):
    m = machine(repo, windows=True, path="")
    m.venv_python.parent.mkdir(parents=True)
    m.venv_python.write_text("")
    (m.venv / ".wscard-installed").write_text(bootstrap.stamp(repo / "pyproject.toml") + "\n")
    run = bootstrap.Runner(m, dry_run=True)
    bootstrap.setup(run)
    assert run.commands == []
    (repo / "pyproject.toml").write_text((repo / "pyproject.toml").read_text() + "\n# changed\n")
    bootstrap.setup(run)
    assert [c[-1] for c in run.commands] == ["pip", "."]  # pyproject.toml changed: reinstall


def test_skip_bootstrap_runs_only_the_command(repo, capsys):
    m = machine(repo, windows=True)
    m.env["WSCARD_SKIP_BOOTSTRAP"] = "1"
    assert bootstrap.main(["--dry-run", "check"], machine=m) == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        subprocess.list2cmdline([str(repo / ".venv" / "Scripts" / "python.exe"), "-m", "wscard.cli", "check"])]


@pytest.mark.parametrize("kw, message", [
    ({"bits": 32}, "32-bit Python: install the 64-bit Python from python.org"),
    ({"version": (3, 10)}, "Python 3.11 or later is needed"),
])
def test_unusable_python_is_refused_with_the_fix(repo, capsys, kw, message):
    m = machine(repo, windows=True, **kw)
    assert bootstrap.main(["--dry-run", "setup"], machine=m) == 2
    assert message in capsys.readouterr().err


# --- Debian, as ./harness does it ---------------------------------------------------------------

def test_debian_packages_whose_command_is_on_path_are_not_needed(repo, tmp_path):
    m = machine(repo, windows=False, path=fake_path(tmp_path, "node", "npm", "dpkg-query"))
    missing = bootstrap.missing_apt_packages(m, installed=lambda pkg: pkg != "softhsm2" and pkg != "nodejs")
    assert missing == ["softhsm2"]  # nodejs: node is on PATH


def test_debian_without_root_or_sudo_names_the_install_command(repo, tmp_path, capsys):
    m = machine(repo, windows=False, path=fake_path(tmp_path, "dpkg-query"), is_root=False)
    run = bootstrap.Runner(m, dry_run=True)
    with pytest.raises(bootstrap.SetupError, match=r"sudo apt-get install --no-install-recommends softhsm2\)"):
        bootstrap.system_packages(run, installed=lambda pkg: pkg != "softhsm2")
    assert run.commands == []


def test_debian_as_root_installs_the_missing_packages_without_recommends(repo, tmp_path):
    m = machine(repo, windows=False, path=fake_path(tmp_path, "dpkg-query"), is_root=True)
    run = bootstrap.Runner(m, dry_run=True)
    bootstrap.system_packages(run, installed=lambda pkg: pkg not in ("softhsm2", "krb5-user"))
    assert run.commands == [["apt-get", "update", "-qq"],
                            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "softhsm2", "krb5-user"]]


def test_linux_selftest_is_what_ci_runs(repo, tmp_path):
    assert bootstrap.selftest_commands(machine(repo, windows=False), tmp_path) == [["bash", "tools/selftest.sh"]]


# --- the real thing, here ----------------------------------------------------------------------

def test_bootstrap_imports_only_the_standard_library():
    tree = ast.parse((ROOT / "tools" / "bootstrap.py").read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names - {"__future__"} <= set(sys.stdlib_module_names), names - set(sys.stdlib_module_names)


def test_a_real_dry_run_without_site_packages_prints_the_check_command_and_changes_nothing():
    stamp = ROOT / ".venv" / ".wscard-installed"
    before = stamp.stat().st_mtime_ns if stamp.exists() else None
    # -S: no site-packages, as a system Python on a fresh PC has none of the project's
    out = subprocess.run([sys.executable, "-S", "tools/bootstrap.py", "--dry-run", "check", "-m", "hw", "-k", "a and b"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "WSCARD_SKIP_BOOTSTRAP": ""})
    assert out.returncode == 0, out.stderr
    venv_py = ROOT / ".venv" / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    show = subprocess.list2cmdline if sys.platform == "win32" else shlex.join
    assert out.stdout.strip().splitlines()[-1] == show(
        [str(venv_py), "-m", "wscard.cli", "check", "-m", "hw", "-k", "a and b"])
    assert (stamp.stat().st_mtime_ns if stamp.exists() else None) == before


def test_no_command_prints_the_usage():
    out = subprocess.run([sys.executable, "-S", "tools/bootstrap.py"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    assert "tools/bootstrap.py [--dry-run] check [pytest options]" in out.stderr
