"""The [card] profile section, --card, and how @hw scenarios behave without a reader."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from wscard.errors import ProfileError
from wscard.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]


def _profile(tmp_path: Path, body: str):
    p = tmp_path / "p.toml"
    p.write_text('extends = "embedded"\n' + body)
    return load_profile(p)


def test_embedded_default_is_the_automatic_card_with_the_user_certificate_in_9a():
    card = load_profile().card
    assert card.backend == "auto" and card.cards == 1 and card.pin_tries_left == 3
    assert [(o.slot, o.cert, o.key) for o in card.objects] == [("9A", "user", "")]


@pytest.mark.parametrize("body, key", [
    ("[card]\ncards = 3\n", "[card].cards"),
    ("[card]\npin_tries_left = 4\n", "[card].pin_tries_left"),
    ("[card]\npin_tries_max = 0\n", "[card].pin_tries_max"),
    ('[card]\nobjects = [{slot = "9A"}, {slot = "9A", cert = "user-good"}]\n', "[card].objects"),
    ('[card]\nbackend = "virtual-cac"\nobjects = [{slot = "9E"}]\n', "[card].objects"),
    ('[card]\nbackend = "smartcard"\n', "[card].backend"),
    ('[card]\npin = "123456"\n', "[card].pin"),
])
def test_bad_card_tables_are_refused(tmp_path, body, key):
    with pytest.raises(ProfileError) as e:
        _profile(tmp_path, body)
    assert key in str(e.value)


def test_there_is_no_place_for_a_pin_in_a_profile():
    from wscard.sections.card import CardSection

    assert not [f for f in CardSection.__dataclass_fields__ if "pin" in f and f not in
                ("pin_tries_left", "pin_tries_max", "wrong_pin", "demonstrate_wrong_pin")]


def test_every_card_field_is_documented():
    src = (ROOT / "wscard" / "sections" / "card.py").read_text()
    lines = src.splitlines()
    tree = ast.parse(src)
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        for stmt in cls.body:
            if isinstance(stmt, ast.AnnAssign):
                assert lines[stmt.lineno - 2].strip().startswith("#:"), f"{cls.name}.{stmt.target.id} is undocumented"


def _pytest(*args: str, env: dict | None = None, timeout: float = 300, quiet: bool = True) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *(["-q"] if quiet else []), *args],
                          cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def test_hw_scenarios_on_softhsm_are_not_evaluated_saying_how_to_run_them(tmp_path):
    r = _pytest("steps/test_card_bdd.py", "-m", "hw", "-rs", "--card", "softhsm", f"--run-dir={tmp_path}")
    assert r.returncode == 6, r.stdout[-2000:]  # not fully evaluated: never 0
    assert "--card virtual-piv" in r.stdout and "--card pcsc" in r.stdout
    assert " passed" not in r.stdout.splitlines()[-1]
    import json

    summary = json.loads((tmp_path / "compliance-summary.json").read_text())
    assert {e["status"] for e in summary["requirements"].values()} == {"not evaluated"}


def test_auto_is_the_virtual_piv_card_where_the_emulated_stack_is_installed_else_softhsm(monkeypatch):
    from hardware import backends

    monkeypatch.setattr(backends, "emulated_stack_problem", lambda: None)
    assert backends.resolve_auto("auto") == ("virtual-piv", "")
    monkeypatch.setattr(backends, "emulated_stack_problem", lambda: "the emulated card stack is not installed")
    assert backends.resolve_auto("auto") == ("softhsm", "the emulated card stack is not installed")
    assert backends.resolve_auto("pcsc") == ("pcsc", "")


def test_card_option_overrides_the_backend_and_refuses_unknown_ones(tmp_path):
    r = _pytest("steps/test_card_bdd.py", "--co", "--card", "virtual-cac", quiet=False)
    assert "wscard card backend: virtual-cac" in r.stdout
    bad = _pytest("steps/test_card_bdd.py", "--co", "--card", "nfc")
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_minus_m_hw_without_card_uses_the_real_readers(tmp_path):
    (tmp_path / "fake_reader_plugin.py").write_text(
        "import steps.card_plugin as cp\ncp.real_readers = lambda: ['Fake Reader 0']\n"
    )
    import os

    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    r = _pytest("steps/test_card_bdd.py", "--co", "-m", "hw", "-p", "fake_reader_plugin", quiet=False, env=env)
    assert "wscard card backend: pcsc (-m hw without --card: using the real readers (Fake Reader 0))" in r.stdout
    r = _pytest("steps/test_card_bdd.py", "--co", "-m", "not hw", "--card", "softhsm", "-p", "fake_reader_plugin",
                quiet=False, env=env)
    assert "wscard card backend: softhsm" in r.stdout
    r = _pytest("steps/test_card_bdd.py", "--co", "-m", "hw", "--card", "virtual-piv", "-p", "fake_reader_plugin",
                quiet=False, env=env)
    assert "wscard card backend: virtual-piv" in r.stdout


def test_the_harness_pin_is_chosen_once_per_backend_kind(monkeypatch):
    from hardware.backends import PcscBackend, SoftHsmBackend, VirtualPivBackend
    from hardware.pin import Pin
    from wscard.sections.card import CardSection

    for cls in (SoftHsmBackend, VirtualPivBackend):
        right = cls(CardSection())
        right.card_pin = Pin("12345678", "test")
        assert right.harness_pin() is right.card_pin and right.harness_pin() is right.card_pin
        wrong = cls(CardSection(wrong_pin=True))
        wrong.card_pin = Pin("12345678", "test")
        assert wrong.harness_pin() != wrong.card_pin and wrong.harness_pin() is wrong.harness_pin()
    monkeypatch.setenv("SMARTCARD_PIN", "24681357")
    real = PcscBackend(CardSection())
    assert real.harness_pin() == Pin("24681357", "$SMARTCARD_PIN") and real.harness_pin() is real.harness_pin()
