#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL 15 cluster and TEST_DATABASE_URL pointing at it.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
# With no PostgreSQL server on the machine the command runs without one (the PostgreSQL
# contract tests then do not run), unless REQUIRE_POSTGRES=1, which installs it (as root).
set -euo pipefail

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  exec "$@"
fi

find_bin() {
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  return 1
}

BIN="$(find_bin || true)"
if [[ -z "$BIN" && "${REQUIRE_POSTGRES:-0}" == "1" && "$(id -u)" == "0" ]]; then
  echo "Installing PostgreSQL 15..." >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  BIN="$(find_bin || true)"
fi
if [[ -z "$BIN" ]]; then
  [[ "${REQUIRE_POSTGRES:-0}" == "1" ]] && { echo "PostgreSQL 15 is required but not installed." >&2; exit 1; }
  echo "No PostgreSQL server here: running the tests on SQLite only." >&2
  exec "$@"
fi

DIR="$(mktemp -d /tmp/preflight-pg.XXXXXX)"
RUN_AS=()
if [[ "$(id -u)" == "0" ]]; then
  # initdb refuses to run as root.
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$DIR"
  RUN_AS=(runuser -u postgres --)
fi
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

cleanup() {
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT

"${RUN_AS[@]}" "$BIN/initdb" -D "$DIR/data" -A trust -U preflight --no-sync >/dev/null
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
"${RUN_AS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U preflight preflight_test

export TEST_DATABASE_URL="postgresql://preflight@127.0.0.1:$PORT/preflight_test"
echo "PostgreSQL on 127.0.0.1:$PORT for this run." >&2
"$@"
