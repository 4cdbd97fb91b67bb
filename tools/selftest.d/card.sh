#!/usr/bin/env bash
# The @hw scenarios on the emulated card stack (pcscd + vsmartcard + OpenSC), on a
# virtual PIV card and on a virtual CAC card, as CI runs them (see docs/card.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d -t wscard-card-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
tools/ci-card-setup.sh
for card in virtual-piv virtual-cac; do
    echo "-- pytest -m hw --card $card"
    .venv/bin/python -m pytest -q -p no:cacheprovider -m hw --card "$card" \
        --run-dir="$TMP/$card"
    .venv/bin/python - "$TMP/$card/compliance-summary.json" "$card" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ran = {r: e["status"] for r, e in s["requirements"].items()}
bad = {r: st for r, st in ran.items() if st != "passed"}
if not ran or bad:
    sys.exit(f"-m hw --card {sys.argv[2]}: expected every requirement passed, got {ran}")
print(f"-m hw --card {sys.argv[2]}: {len(ran)} requirements passed: {', '.join(ran)}")
PY
done
