#!/usr/bin/env bash
# The project's own tests: everything CI checks. Called by `./harness selftest` after the
# set-up (and by .ci/run). Each step prints its wall time; the first failure stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
TMP=$(mktemp -d -t wscard-selftest-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

step() {
    local name=$1; shift
    printf '\n\033[1m== %s\033[0m\n' "$name"
    local t0=$SECONDS
    "$@"
    printf '(%s: %ss)\n' "$name" $((SECONDS - t0))
}

# 1. The main job as a user runs it: the embedded suite, the report, the summary, in a run
#    folder of its own (reports/runs/<id>/); every catalogue requirement must pass and
#    every scenario reach a verdict (docs/verdicts.md), and the exit code must be 0.
MAIN="$TMP/main-run"
step "compliance suite, embedded AWS, with the HTML report" $PY -m wscard.cli check -q --run-dir="$MAIN"
$PY - "$MAIN/compliance-summary.json" <<'PY'
import json, sys
from wscard.requirements import catalogue
s = json.load(open(sys.argv[1]))
bad = {r: e["status"] for r, e in s["requirements"].items() if e["status"] != "passed"}
missing = sorted(set(catalogue()) - set(s["requirements"]))
unrun = {o: n for o, n in s["scenario_counts"].items() if n and o not in ("passed", "not applicable")}
if bad or missing or unrun or s["exit_code"] != 0:
    sys.exit(f"the embedded default is not fully compliant: not passed {bad}, not evaluated at all {missing}, "
             f"scenarios {unrun}, exit {s['exit_code']}")
print(f"summary: {len(s['requirements'])} requirements passed, scenarios {s['scenario_counts']}")
PY
# 2. The same suite against a moto server on 127.0.0.1 (real HTTP).
step "compliance suite, AWS through a moto server" $PY -m pytest -q --aws server --run-dir="$TMP/server-run"
$PY - "$TMP/server-run/compliance-summary.json" "$MAIN/compliance-summary.json" <<'PY'
import json, sys
def statuses(path):
    return {r: e["status"] for r, e in json.load(open(path))["requirements"].items()}
server, embedded = statuses(sys.argv[1]), statuses(sys.argv[2])
if embedded != server:
    diff = {r: (embedded.get(r), server.get(r)) for r in set(embedded) | set(server) if embedded.get(r) != server.get(r)}
    sys.exit(f"--aws server differs from embedded: {diff}")
print(f"--aws server gives the same verdicts as embedded for {len(server)} requirements")
PY
# 3. Extra suites contributed by the areas (hardware cards, ...): tools/selftest.d/*.sh
for extra in tools/selftest.d/*.sh; do
    [[ -e "$extra" ]] || continue
    step "$(basename "$extra" .sh)" bash "$extra"
done
# 4. Unit tests and self-tests (fault profiles); last, so its closing line ends the log.
step "unit tests and self-tests" $PY -m pytest tests -n 2 -p no:cacheprovider \
    -o addopts="--strict-markers" --alluredir="$TMP/tests-results"
