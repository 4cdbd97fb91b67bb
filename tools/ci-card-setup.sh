#!/usr/bin/env bash
# Prepares a CI machine (Debian/Ubuntu container, no systemd) for the card scenarios on
# the emulated stack, then smoke-tests it. Idempotent; installs nothing (the bootstrap
# installs tools/apt-packages.txt: pcscd, vsmartcard-vpcd, opensc, opensc-pkcs11,
# softhsm2, libnss3-tools, libpcsclite-dev...; pyscard comes with the venv).
#
# What it does, and why:
#  1. checks the programs and libraries the card layer needs, naming the missing packages;
#  2. checks that this machine lets root create a network namespace (unshare --net): the
#     harness starts pcscd in a private namespace whose only interface is loopback, so
#     vpcd's ports 35963/35964 (which Debian's vsmartcard-vpcd 3.3 opens on 0.0.0.0, with
#     no setting for the address) cannot be reached from any network;
#  3. refuses to go on if a pcscd is already running whose vpcd the network can reach
#     (for example one started from the stock /etc/reader.conf.d/vpcd): the harness would
#     reuse it. Stop it; nothing under /etc is changed by this script or by the harness;
#  4. creates /run/pcscd (pcscd's socket directory) if it is missing;
#  5. smoke test: starts the harness's pcscd, inserts a virtual PIV and a virtual CAC card,
#     checks that opensc-tool -n names them, and stops everything it started.
#
# Usage: tools/ci-card-setup.sh [--check-only]   (exit 0: ready; 1: not ready, with why)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CHECK_ONLY=${1:-}

fail() { printf '\033[1m[ci-card-setup]\033[0m NOT READY: %s\n' "$*" >&2; exit 1; }
say() { printf '\033[1m[ci-card-setup]\033[0m %s\n' "$*" >&2; }

# 1. programs and libraries ---------------------------------------------------------------
missing=()
have() { command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" || -x "/sbin/$1" ]]; }
any_file() { local f; for f in "$@"; do [[ -e "$f" ]] && return 0; done; return 1; }
have pcscd || missing+=("pcscd")
have opensc-tool || missing+=("opensc")
have pkcs11-tool || missing+=("opensc")
have softhsm2-util || missing+=("softhsm2")
have unshare || missing+=("util-linux")
any_file /usr/lib/pcsc/drivers/serial/libifdvpcd.so /usr/lib/*/pcsc/drivers/serial/libifdvpcd.so \
    || missing+=("vsmartcard-vpcd")
any_file /usr/lib/*/opensc-pkcs11.so /usr/lib*/opensc-pkcs11.so || missing+=("opensc-pkcs11")
any_file /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so || missing+=("softhsm2")
((${#missing[@]} == 0)) || fail "missing Debian packages: $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')(add them to tools/apt-packages.txt / run the bootstrap)"
[[ -x "$PY" ]] || fail "$PY not found: run the bootstrap (./harness) first"
"$PY" -c 'import smartcard, pkcs11' 2>/dev/null \
    || fail "pyscard or python-pkcs11 missing in the venv ($PY -m pip install -e .; pyscard builds with gcc, swig, libpcsclite-dev)"

# 2. network namespaces ------------------------------------------------------------------------
running=$("$PY" -c 'from hardware import pcscd; print(int(pcscd.running()))')
if [[ "$running" == 0 ]]; then
    [[ $(id -u) -eq 0 ]] || fail "no pcscd runs, and starting one in a private network namespace needs root"
    unshare --net true 2>/dev/null \
        || fail "this machine refuses 'unshare --net' (container without CAP_SYS_ADMIN?): run the job privileged, or start pcscd yourself in an isolated network namespace"
fi

# 3. an already running pcscd must not expose vpcd -----------------------------------------------
if [[ "$running" == 1 ]]; then
    "$PY" - <<'PY' || exit 1
import sys
from hardware.pcscd import PcscdHelper
from wscard.errors import EnvironmentProblem
try:
    ep = PcscdHelper().vpcd_endpoint()
except EnvironmentProblem as exc:
    sys.exit(f"[ci-card-setup] NOT READY: {exc}")
if not ep.loopback_only:
    sys.exit("[ci-card-setup] NOT READY: a pcscd is running whose vpcd accepts cards from the network "
             f"({', '.join(ep.listening)}:35963). Stop it (it was not started by the harness); the harness "
             "then starts its own in a private network namespace.")
print("[ci-card-setup] a running pcscd is reused: its vpcd is reachable from loopback only", file=sys.stderr)
PY
fi

# 4. pcscd's socket directory --------------------------------------------------------------------
if [[ "$running" == 0 && ! -d /run/pcscd ]]; then
    mkdir -p /run/pcscd
    say "created /run/pcscd"
fi

[[ "$CHECK_ONLY" == "--check-only" ]] && { say "ready (checks only)"; exit 0; }

# 5. smoke test ------------------------------------------------------------------------------------
"$PY" - <<'PY'
import dataclasses, shutil, subprocess, sys, time
from wscard.profile import load_profile
from wscard.pki import get_pki
from hardware.backends import make_backend
from hardware.session import CardSession

profile = load_profile()
pki = get_pki(profile.pki)
for backend, name in (("virtual-piv", "Personal Identity Verification Card"), ("virtual-cac", "Common Access Card (CAC)")):
    t0 = time.monotonic()
    s = CardSession(make_backend(dataclasses.replace(profile.card, backend=backend), pki.get))
    try:
        s.start()
        out = subprocess.run([shutil.which("opensc-tool") or "opensc-tool", "-n"], capture_output=True, text=True,
                             timeout=30).stdout
        if name not in out:
            sys.exit(f"[ci-card-setup] NOT READY: opensc-tool -n does not name the {backend} card: {out!r}")
        vpcd = s.backend.describe().get("vpcd", {})
    finally:
        s.stop()
    print(f"[ci-card-setup] {backend}: OpenSC sees '{name}' ({time.monotonic() - t0:.2f} s; vpcd {vpcd})",
          file=sys.stderr)
PY
say "ready: run .venv/bin/pytest -m hw --card virtual-piv (and --card virtual-cac)"
