"""The PIN never leaks: run the card features with a distinctive PIN in $SMARTCARD_PIN and
search every output file (Allure results and attachments, JUnit XML with the captured
output and logs, the summary) and the run's own stdout/stderr for it: as text, and as
the hex a trace would show (with and without spaces, with the FF padding of a VERIFY)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "hardware"))


def _stack_reason() -> str:
    from hwtest_helpers import stack_available

    return stack_available()


def _pin() -> str:
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(8))
        if len(set(pin)) >= 5:
            return pin


def _patterns(pin: str) -> list[re.Pattern]:
    raw = pin.encode()
    forms = [raw.hex(), (raw + b"\xff" * (8 - len(raw))).hex()]
    pats = [re.compile(rb"(?<![0-9A-Fa-f])" + re.escape(raw) + rb"(?![0-9A-Fa-f])")]
    for h in forms:
        pats.append(re.compile(re.escape(h.encode()), re.I))
        spaced = " ".join(h[i:i + 2] for i in range(0, len(h), 2))
        pats.append(re.compile(re.escape(spaced.encode()), re.I))
    return pats


def _run(out: Path, pin: str, *args: str) -> subprocess.CompletedProcess:
    out.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--log-level=DEBUG",
           "-o", "junit_logging=all", f"--junitxml={out / 'junit.xml'}", f"--alluredir={out / 'allure-results'}",
           f"--summary-file={out / 'summary.json'}", f"--run-dir={out / 'run'}", "steps/test_card_bdd.py", *args]
    env = {**os.environ, "SMARTCARD_PIN": pin}
    env.pop("PYTEST_XDIST_WORKER", None)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
    (out / "stdout.txt").write_bytes(proc.stdout)
    (out / "stderr.txt").write_bytes(proc.stderr)
    return proc


def _leaks(folder: Path, pin: str) -> list[str]:
    found = []
    pats = _patterns(pin)
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        for p in pats:
            m = p.search(data)
            if m:
                found.append(f"{path.relative_to(folder)}: {data[max(0, m.start() - 60):m.end() + 20]!r}")
    return found


RUNS = [
    ("softhsm", ()),
    ("virtual-piv", ("--card", "virtual-piv")),
    ("virtual-cac", ("--card", "virtual-cac")),
]


@pytest.mark.parametrize("name, args", RUNS, ids=[r[0] for r in RUNS])
def test_a_distinctive_pin_appears_in_no_output(tmp_path, name, args):
    if name != "softhsm" and _stack_reason():
        pytest.skip(_stack_reason())
    pin = _pin()
    out = tmp_path / name
    proc = _run(out, pin, *args)
    summary = (out / "summary.json").read_text()
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-3000:]
    assert '"CARD-3"' in summary and (out / "junit.xml").exists()
    assert any((out / "allure-results").glob("*-attachment*")), "no attachments were written"
    # the PIN went to the card: the login scenario passed with it
    assert '"passed"' in summary
    leaks = _leaks(out, pin)
    assert not leaks, "the PIN leaked:\n" + "\n".join(leaks)


def test_the_search_would_find_a_leak(tmp_path):
    pin = _pin()
    (tmp_path / "a.txt").write_text(f"pin={pin}\n")
    (tmp_path / "b.txt").write_text("VERIFY 00 20 00 80 08 " + " ".join(f"{b:02X}" for b in pin.encode()) + " FF\n")
    (tmp_path / "c.txt").write_text("serial 1A" + pin + "0F and nothing else\n")  # inside hex: not a leak form
    leaks = _leaks(tmp_path, pin)
    assert any(x.startswith("a.txt") for x in leaks) and any(x.startswith("b.txt") for x in leaks)
    assert not any(x.startswith("c.txt") for x in leaks)
