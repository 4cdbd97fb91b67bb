#!/usr/bin/env bash
# The pre-session login model (features/login) on the emulated card stack: the
# environment's sign-in goes through pcscd, OpenSC and PKCS#11 to a virtual PIV card and a
# virtual CAC card, as it goes to the SoftHSM token in the main suite (docs/workspaces.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d -t wscard-login-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
tools/ci-card-setup.sh >/dev/null
for card in virtual-piv virtual-cac; do
    echo "-- pytest steps/test_login_bdd.py --card $card"
    .venv/bin/python -m pytest -q -p no:cacheprovider steps/test_login_bdd.py --card "$card" \
        --run-dir="$TMP/$card"
    .venv/bin/python - "$TMP/$card/compliance-summary.json" "$card" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ran = {r: e["status"] for r, e in s["requirements"].items()}
want = {"LOGIN-1", "LOGIN-2", "LOGIN-3"}
bad = {r: st for r, st in ran.items() if st not in ("passed", "not applicable", "not evaluated", "partially evaluated")
       or (r in want and st != "passed")}
if not want <= set(ran) or bad:
    sys.exit(f"login model with --card {sys.argv[2]}: expected LOGIN-1..3 passed, got {ran}")
print(f"login model with --card {sys.argv[2]}: {', '.join(f'{r} {st}' for r, st in ran.items())}")
PY
done
