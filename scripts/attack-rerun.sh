#!/usr/bin/env bash
# The attacker's-eye test of the running system: run by `make attack` (not by CI: it takes
# minutes and locks demo accounts on purpose).
#
# A demo town in a fresh SQLite database in a temporary folder, as scripts/api-fuzz.sh builds it;
# the server runs as in production (DEBUG off, two-step verification off so the demo accounts
# can log in). The server trusts one proxy, so each part of the test sends its own
# X-Forwarded-For and the per-address login locks and throttles of one part do not block the
# next (the per-username limits, which the races test, are not affected). Then
# scripts/attack_rerun.py runs the races, the hostile payloads, the authorization sweep and
# matrix count, and Schemathesis (ATTACK_FUZZ_EXAMPLES, ATTACK_FUZZ_PHASES) against it; last,
# `verify_audit` walks the hash chain the test wrote. Extra arguments go to the Python script
# (--skip-matrix, --skip-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PORT="${ATTACK_PORT:-8098}"

# shellcheck source=scripts/demo-town.sh
. scripts/demo-town.sh
demo_town attack
export GRIDGOV_TRUSTED_PROXY_COUNT=1
demo_server

status=0
DEBUG=0 $PY scripts/attack_rerun.py --base "http://127.0.0.1:$PORT" --server-log "$work/server.log" "$@" || status=1

echo "== audit chain after the attack"
DEBUG=0 $PY manage.py verify_audit || status=1
exit $status
