#!/usr/bin/env bash
# Server time of the web UI's pages on a big demo book: `dun serve`
# (release) on loopback, each page fetched --runs times one after another
# by curl with a signed-in session; prints the first fetch (what a page
# costs before anything is kept for it) and p50, p95 and the slowest of the
# rest, in ms (curl's time to the whole answer, on loopback ≈ the server's
# time). The server is started with the dashboard warming in the
# background; the script waits for it before fetching.
# Not a test: the machine is noisy; figures go in the README.
#
#   bench/pages.sh [--invoices N] [--postgres URL] [--book FILE] [--keep FILE]
#                  [--runs R] [--json FILE] [--bin DUN]
#
# --keep FILE keeps the SQLite book it makes; --book FILE reuses one (it
# must have the owner bench@demo.example this script adds); --bin uses a
# dun binary built already instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

invoices=1000000
postgres=""
book=""
runs=20
json=""
keep=""
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --invoices) invoices="$2"; shift 2 ;;
    --postgres) postgres="$2"; shift 2 ;;
    --book) book="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "unknown option $1 (accepted: --invoices N, --postgres URL, --book FILE, --keep FILE, --runs R, --json FILE, --bin DUN)" >&2; exit 2 ;;
  esac
done

if [ -n "$bin" ]; then
  dun="$bin"
else
  cargo build --release -q -p dun
  dun="${CARGO_TARGET_DIR:-target}/release/dun"
fi
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

email="bench@demo.example"
password="correct horse battery"
if [ -n "$postgres" ]; then
  name="dun_pages_bench"
  psql "$postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  psql "$postgres" -qc "CREATE DATABASE $name" >/dev/null
  db="${postgres%/*}/$name"
  engine="PostgreSQL"
  fresh=1
elif [ -n "$book" ]; then
  db="$book"
  engine="SQLite"
  fresh=""
else
  db="${keep:-$work/book.sqlite}"
  rm -f "$db" "$db-wal" "$db-shm"
  engine="SQLite"
  fresh=1
fi
export DUN_DATABASE_URL="$db"

if [ -n "$fresh" ]; then
  echo "Building a demo book of $invoices invoices on $engine…" >&2
  started=$(date +%s)
  "$dun" demo --invoices "$invoices" >/dev/null
  DUN_PASSWORD="$password" "$dun" user add "$email" --name Bench --role owner >/dev/null
  # Today's collections run, so the worklist has its tasks.
  "$dun" run >/dev/null
  echo "  built and run in $(( $(date +%s) - started )) s" >&2
fi

RUST_LOG=warn DUN_LOG_FORMAT=json "$dun" serve --listen 127.0.0.1:0 --no-scheduler 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 1 300); do
  addr="$(grep -o 'serving http://[0-9.:]*' "$work/serve.log" | head -1 | sed 's#serving http://##')" || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }
base="http://$addr"

jar="$work/cookies"
curl -sf -o /dev/null -c "$jar" --data-urlencode "email=$email" --data-urlencode "password=$password" "$base/sign-in" \
  || { echo "cannot sign in as $email" >&2; exit 1; }

# An overdue customer and their oldest open invoice: full pages.
customer="$(curl -sf -b "$jar" "$base/api/v1/customers?overdue=true&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["reference"])')"
number="$(curl -sf -b "$jar" "$base/api/v1/invoices?customer=$customer&status=open&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["number"])')"
portal="$("$dun" customer portal-link "$customer" --public-url http://bench.invalid | sed 's#http://bench.invalid##')"

pages=(
  "/dashboard"
  "/customers"
  "/customers?overdue=1"
  "/customers/$customer"
  "/invoices"
  "/invoices?status=open"
  "/invoices/$number"
  "/invoices/new"
  "/worklist"
  "/policy"
  "/policy/versions"
  "/reports"
  "/settings"
)
[ -n "$portal" ] && pages+=("$portal")

echo "dun serve on $engine, $invoices-invoice demo book, $runs sequential fetches per page, commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
# Let `dun serve` finish warming the dashboard (it starts computing at once).
sleep "${DUN_BENCH_WARM_S:-15}"
printf '%-44s %6s %9s %8s %8s %8s\n' "page" "status" "first ms" "p50 ms" "p95 ms" "max ms"
: > "$work/results.jsonl"
for path in "${pages[@]}"; do
  label="$path"
  case "$path" in /portal/*) label="/portal/{token}" ;; esac
  read -r status first < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$jar" "$base$path")
  first="$(python3 -c "print(f'{float(\"$first\") * 1000:.1f}')")"
  for _ in $(seq 1 "$runs"); do
    curl -s -o /dev/null -w '%{time_total}\n' -b "$jar" "$base$path"
  done > "$work/times.txt"
  read -r p50 p95 max < <(python3 - "$work/times.txt" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]) if x.strip())
pick = lambda q: t[min(len(t) - 1, int(round(q * (len(t) - 1))))]
print(f"{pick(0.5):.1f} {pick(0.95):.1f} {t[-1]:.1f}")
PY
)
  printf '%-44s %6s %9s %8s %8s %8s\n' "$label" "$status" "$first" "$p50" "$p95" "$max"
  echo "{\"page\":\"$label\",\"engine\":\"$engine\",\"status\":$status,\"first_ms\":$first,\"p50_ms\":$p50,\"p95_ms\":$p95,\"max_ms\":$max}" >> "$work/results.jsonl"
done
if [ -n "$json" ]; then
  python3 - "$work/results.jsonl" "$json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump(rows, open(sys.argv[2], "w"), indent=2)
PY
fi
