# Sourced by scripts/api-fuzz.sh and scripts/attack-rerun.sh: a demo town in a fresh SQLite
# database in a temporary folder (the migrations and the Taiping demo: 60 cases, 40 orders),
# and its server run as in production (DEBUG off, two-step verification off so the demo
# accounts log in). The caller sets PY and PORT; `work` is the folder, `server` the server's
# process; both go when the script exits.

work="$(mktemp -d)"
server=""
demo_town_cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap demo_town_cleanup EXIT

# demo_town NAME: the settings, the database and the demo.
demo_town() {
  export GRIDGOV_VAR_DIR="$work"
  export DATABASE_URL="sqlite:///$work/$1.sqlite3"
  export SECRET_KEY="$1-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  GRIDGOV_FIELD_KEYS="$($PY -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
  export GRIDGOV_FIELD_KEYS
  export ALLOWED_HOSTS="127.0.0.1,localhost"
  export SECURE_COOKIES=0
  export GRIDGOV_STATIC_FINDERS=1
  export GRIDGOV_2FA_ROLES=""
  echo "== $1: a demo town in $work"
  DEBUG=1 $PY manage.py migrate --no-input -v 0
  DEBUG=1 $PY manage.py load_demo --cases 60 --hotline 40 --no-patrols > "$work/load.log"
}

# demo_server: the server on PORT, its log in $work/server.log; returns once it answers.
demo_server() {
  DEBUG=0 $PY manage.py runserver "127.0.0.1:$PORT" --noreload > "$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do
    curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "the server did not answer on port $PORT"
  return 1
}
