"""The parts a Windows lab PC needs (pcsc backend, card edges, PKCS#11) import none of the
Linux-only modules. What hardware/ may import (never pytest, the protocol apart from the
checks) is tests/unit/test_import_rules.py's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINUX_ONLY = ("hardware.pcscd", "hardware.netns", "hardware.softhsm", "hardware.virtual")


def test_the_pcsc_path_imports_no_linux_only_module():
    code = (
        "import sys, dataclasses\n"
        "import hardware, hardware.apdu, hardware.transport, hardware.pcsc, hardware.piv, hardware.cac\n"
        "import hardware.identify, hardware.pin, hardware.pkcs11, hardware.backends, hardware.session\n"
        "import hardware.checks, hardware.scenarios\n"
        "from wscard.profile import load_profile\n"
        "from hardware.backends import make_backend\n"
        "b = make_backend(dataclasses.replace(load_profile().card, backend='pcsc'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(%r)))\n" % (LINUX_ONLY,)
    )
    code = code.replace("m.startswith(%r)" % (LINUX_ONLY,), "m.startswith(%r)" % (LINUX_ONLY,))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
