#!/usr/bin/env bash
# The project's own tests: everything CI checks. Called by `./harness selftest` after the
# set-up (and by .ci/run). Each step prints its wall time; the first failure stops it.
#
# One pytest session on every core (xdist, work stealing): the unit tests, the self-tests
# (each fault profile fails exactly its requirements), and the main job as a user runs it
# (tests/selftest/test_main_job.py: `wscard check` with its report, the AWS areas through
# a moto server, the card scenarios and the login model on a virtual CAC card). The
# longest tests are collected first (tests/selftest before tests/unit), so no worker is
# left with one long test at the end. Options after `selftest` go to pytest.
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

# 1. The emulated card stack the main job's virtual cards need (pcscd in a private network
#    namespace, vsmartcard, OpenSC): checked, with what is missing named, before any test.
step "emulated card stack" tools/ci-card-setup.sh
# 2. Everything else; last, so its closing line ends the log. One worker more than the
#    machine has cores (WSCARD_SELFTEST_WORKERS overrides): a run spends part of its time
#    waiting (the DC starting, pcscd seeing a card, the card's or the DC's turn), and the
#    extra worker fills it. Measured on 2 cores, the fault-profile self-test alone: 348 s
#    with 2 workers, 277 s with 3, 293 s with 4 (docs/ARCHITECTURE.md).
WORKERS=${WSCARD_SELFTEST_WORKERS:-$(( $(nproc 2>/dev/null || echo 1) + 1 ))}
step "unit tests, self-tests and the main job ($WORKERS workers)" $PY -m pytest tests/selftest tests/unit tests/hardware --durations=20 \
    -n "$WORKERS" --dist worksteal -p no:cacheprovider -o addopts="--strict-markers" \
    --alluredir="$TMP/tests-results" "$@"
