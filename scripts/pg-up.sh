#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers for the test suite and prints its admin URL on stdout.
#
# 1. If BUERGERAMT_TEST_DATABASE_URL is set and answers, use it.
# 2. If the machine's cluster on 127.0.0.1:5432 answers, use it; if it exists but is down, start it
#    (pg_ctlcluster --skip-systemctl-redirect 15 main start).
# 3. Otherwise start a throwaway cluster under target/pg-throwaway with the installed server
#    binaries, installing Debian's postgresql package first if they are missing.
# It never lets the suite skip PostgreSQL: if nothing works it exits non-zero with the reason.
set -euo pipefail
log() { echo "pg-up: $*" >&2; }

answers() { # url
  psql "$1" -Atqc 'select 1' >/dev/null 2>&1
}

if [ -n "${BUERGERAMT_TEST_DATABASE_URL:-}" ]; then
  if answers "$BUERGERAMT_TEST_DATABASE_URL"; then
    echo "$BUERGERAMT_TEST_DATABASE_URL"; exit 0
  fi
  log "BUERGERAMT_TEST_DATABASE_URL is set but does not answer; trying the local cluster"
fi

default_url="postgres://postgres@127.0.0.1:5432/postgres"
if ! command -v psql >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's postgresql package"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 \
      || log "apt-get install postgresql failed"
  fi
fi

# BUERGERAMT_PG_THROWAWAY=1 skips the machine's cluster (used to test the throwaway path).
if [ "${BUERGERAMT_PG_THROWAWAY:-0}" != 1 ]; then
if answers "$default_url"; then echo "$default_url"; exit 0; fi

if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r version name port status _; do
    [ "$port" = 5432 ] || continue
    if [ "$status" != online ]; then
      log "starting cluster $version/$name"
      pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start >&2 || true
    fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
  for _ in $(seq 1 30); do
    if answers "$default_url"; then echo "$default_url"; exit 0; fi
    sleep 1
  done
fi
fi

# A throwaway cluster of our own.
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  log "no PostgreSQL server binaries found and none could be installed"; exit 1
fi
root_dir=$(cd "$(dirname "$0")/.." && pwd)
dir="$root_dir/target/pg-throwaway"
port=55432
url="postgres://postgres@127.0.0.1:$port/postgres"
if answers "$url"; then echo "$url"; exit 0; fi
run_as=()
if [ "$(id -u)" = 0 ]; then run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups); fi
mkdir -p "$dir"
if [ ! -f "$dir/data/PG_VERSION" ]; then
  rm -rf "$dir/data"; mkdir -p "$dir/data"
  [ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$dir"
  "${run_as[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 \
    || { log "initdb failed, see $dir/initdb.log"; exit 1; }
fi
[ "$(id -u)" = 0 ] && chown -R nobody:nogroup "$dir"
rm -f "$dir/data/postmaster.pid"
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=on -c synchronous_commit=on" \
  -w start >&2 || { log "pg_ctl start failed, see $dir/server.log"; exit 1; }
if answers "$url"; then log "throwaway cluster on port $port"; echo "$url"; exit 0; fi
log "the throwaway cluster does not answer"; exit 1
