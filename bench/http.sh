#!/usr/bin/env bash
# HTTP benchmark of `dun serve`, measured with wrk from a second process on
# loopback. Prints requests/s and latency percentiles for
#   GET  /api/v1/invoices/{number}   (one invoice with its history)
#   POST /api/v1/payments            (a durable payment, allocated oldest-due first)
# on a demo book. Not a test: the machine is noisy; figures go in the README.
#
#   bench/http.sh [--invoices N] [--postgres URL] [--seconds S] [--connections C] [--json FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

invoices=100000
postgres=""
seconds=10
connections=32
json=""
while [ $# -gt 0 ]; do
  case "$1" in
    --invoices) invoices="$2"; shift 2 ;;
    --postgres) postgres="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    *) echo "unknown option $1 (accepted: --invoices N, --postgres URL, --seconds S, --connections C, --json FILE)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build --release -q -p dun
target="${CARGO_TARGET_DIR:-target}"
dun="$target/release/dun"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "$postgres" ]; then
  name="dun_http_bench"
  psql "$postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  psql "$postgres" -qc "CREATE DATABASE $name" >/dev/null
  db="${postgres%/*}/$name"
  engine="PostgreSQL"
else
  db="$work/book.sqlite"
  engine="SQLite"
fi
export DUN_DATABASE_URL="$db"

echo "Building a demo book of $invoices invoices on $engine…" >&2
"$dun" demo --invoices "$invoices" >/dev/null
DUN_PASSWORD="correct horse battery" "$dun" user add bench@demo.example --name Bench --role owner >/dev/null
token="$("$dun" token create --user bench@demo.example --name bench --role owner 2>/dev/null)"

RUST_LOG=warn DUN_LOG_FORMAT=json "$dun" serve --listen 127.0.0.1:0 --no-scheduler 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 1 100); do
  addr="$(grep -o 'serving http://[0-9.:]*' "$work/serve.log" | head -1 | sed 's#serving http://##')" || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }
base="http://$addr"
auth="Authorization: Bearer $token"
number="$(curl -sf -H "$auth" "$base/api/v1/invoices?status=open&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["number"])')"
# Payments go round the customers who owe, as a day's receipts would.
customers="$(curl -sf -H "$auth" "$base/api/v1/customers?overdue=true&limit=500" | python3 -c 'import json,sys; print(",".join(chr(34)+c["reference"]+chr(34) for c in json.load(sys.stdin)["items"]))')"

cat > "$work/payment.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local customers = { $customers }
local n = 0
local thread_seed = 0
setup = function(thread)
  thread_seed = thread_seed + 1
  thread:set("offset", thread_seed * 7919)
end
request = function()
  n = n + 1
  local customer = customers[((n + (offset or 0)) % #customers) + 1]
  local body = string.format('{"customer":"%s","amount":"1.00","method":"bank_transfer","reference":"wrk-%d"}', customer, n)
  return wrk.format(nil, "/api/v1/payments", nil, body)
end
LUA

run_wrk() { # label, then wrk arguments
  local label="$1"; shift
  local out="$work/wrk.txt"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" > "$out"
  local rps p50 p99 non2xx
  rps="$(awk '/Requests\/sec/ {print $2}' "$out")"
  p50="$(awk '$1=="50%" {print $2}' "$out")"
  p99="$(awk '$1=="99%" {print $2}' "$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$out")"
  printf '%-34s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$label" "$rps" "$p50" "$p99" "${non2xx:-0}"
  echo "{\"job\":\"$label\",\"engine\":\"$engine\",\"requests_per_s\":$rps,\"p50\":\"$p50\",\"p99\":\"$p99\",\"non_2xx\":${non2xx:-0}}" >> "$work/results.jsonl"
}

echo "dun serve on $engine, $invoices-invoice demo book, wrk -t2 -c$connections -d${seconds}s, commit $(git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
run_wrk "GET /api/v1/invoices/{number}" -H "$auth" "$base/api/v1/invoices/$number"
run_wrk "POST /api/v1/payments" -s "$work/payment.lua" "$base"
if [ -n "$json" ]; then
  python3 - "$work/results.jsonl" "$json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump(rows, open(sys.argv[2], "w"), indent=2)
PY
fi
