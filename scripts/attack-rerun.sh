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

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export GRIDGOV_VAR_DIR="$work"
export DATABASE_URL="sqlite:///$work/attack.sqlite3"
export SECRET_KEY="attack-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GRIDGOV_FIELD_KEYS="$($PY -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
export ALLOWED_HOSTS="127.0.0.1,localhost"
export SECURE_COOKIES=0
export GRIDGOV_STATIC_FINDERS=1
export GRIDGOV_2FA_ROLES=""
export GRIDGOV_TRUSTED_PROXY_COUNT=1

echo "== attack: a demo town in $work"
DEBUG=1 $PY manage.py migrate --no-input -v 0
DEBUG=1 $PY manage.py load_demo --cases 60 --hotline 40 --no-patrols > "$work/load.log"

DEBUG=0 $PY manage.py runserver "127.0.0.1:$PORT" --noreload > "$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
  sleep 0.5
done

status=0
DEBUG=0 $PY scripts/attack_rerun.py --base "http://127.0.0.1:$PORT" --server-log "$work/server.log" "$@" || status=1

echo "== audit chain after the attack"
DEBUG=0 $PY manage.py verify_audit || status=1
exit $status
