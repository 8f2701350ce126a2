#!/usr/bin/env bash
# What this machine's PostgreSQL does by itself, without Dun: pgbench with
# the same concurrency as bench/http.sh (32 clients, 2 threads), prepared
# statements, on the same cores. It bounds what any client of this server
# can reach here:
#   select-only  one indexed SELECT per transaction (1 round trip)
#   simple-write BEGIN; UPDATE; SELECT; INSERT; COMMIT (pgbench -N, durable)
# Not a test: figures go in the README beside bench/http.sh's.
#
#   bench/postgres-ceiling.sh [--postgres URL] [--seconds S] [--connections C]
set -euo pipefail

postgres="postgres://postgres@127.0.0.1:5432/postgres"
seconds=10
connections=32
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) postgres="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    *) echo "unknown option $1 (accepted: --postgres URL, --seconds S, --connections C)" >&2; exit 2 ;;
  esac
done
command -v pgbench >/dev/null || { echo "pgbench is not installed (apt-get install postgresql-client)" >&2; exit 1; }

name="dun_pgbench_ceiling"
db="${postgres%/*}/$name"
psql "$postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1
psql "$postgres" -qc "CREATE DATABASE $name" >/dev/null
trap 'psql "$postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null' EXIT
pgbench -q -i -s 10 "$db" >/dev/null 2>&1

echo "PostgreSQL $(psql "$db" -Atc 'SHOW server_version') alone, pgbench -M prepared -c$connections -j2 -T$seconds, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
run() { # label, then pgbench arguments
  local label="$1"; shift
  local out tps lat
  out="$(pgbench -M prepared -c "$connections" -j 2 -T "$seconds" "$@" "$db" 2>/dev/null)"
  tps="$(awk -F'= ' '/^tps/ {split($2, a, " "); printf "%.0f", a[1]}' <<<"$out")"
  lat="$(awk -F'= ' '/latency average/ {print $2}' <<<"$out")"
  printf '%-54s %8s tx/s   latency average %s\n' "$label" "$tps" "$lat"
}
run "select-only (one SELECT, 1 round trip)" -S
run "simple-write (BEGIN; UPDATE; SELECT; INSERT; COMMIT)" -N
