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
if [ -n "$postgres" ] && command -v pgbench >/dev/null; then
  # The same two statements a GET of the invoice runs (the credential, as
  # dun-store's AUTH_BY_TOKEN; the view, as invoices.rs's VIEW), executed by
  # pgbench alone — no HTTP, no Dun — against the same database: what
  # PostgreSQL itself allows a GET here.
  hash="$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)"
  org="$(psql "$db" -Atc "SELECT org_id FROM api_tokens WHERE secret_sha256 = '$hash'")"
  cat > "$work/get.sql" <<SQL
SELECT t.id, t.org_id, t.role, m.role, u.id, u.email, o.id, o.name, o.currency, o.timezone, o.invoice_prefix, o.credit_note_prefix, o.aging_edges FROM api_tokens t JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id JOIN users u ON u.id = t.user_id JOIN organisations o ON o.id = t.org_id WHERE t.secret_sha256 = '$hash' AND t.revoked_at IS NULL;
SELECT i.id, i.number, i.customer_id, i.currency, i.status, i.issue_date, i.due_date, i.total_minor, i.schedule, c.ref, c.name, i.terms, i.description, i.lines, i.subtotal_minor, i.tax_minor, CAST(0 AS BIGINT), NULL FROM invoices i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id WHERE i.org_id = $org AND i.number = '$number' UNION ALL SELECT e.id, e.kind, e.customer_id, e.currency, e.recorded_at, e.effective_date, e.ar_minor, e.credit_minor, NULL, NULL, NULL, NULL, NULL, NULL, e.invoice_id, e.payment_id, CAST(1 AS BIGINT), e.document_id FROM ledger_entries e JOIN invoices i ON i.id = e.invoice_id AND i.org_id = e.org_id WHERE e.org_id = $org AND i.org_id = $org AND i.number = '$number' ORDER BY 17, 1;
SQL
  kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=""
  tps="$(pgbench -n -M prepared -c "$connections" -j 2 -T "$seconds" -f "$work/get.sql" "$db" 2>/dev/null | awk -F'= ' '/^tps/ {split($2, a, " "); printf "%.0f", a[1]}')"
  printf '%-34s %10s req/s   (pgbench alone: the GET'"'"'s two statements, no HTTP)\n' "PostgreSQL alone, GET statements" "$tps"
  echo "{\"job\":\"pgbench: the GET's statements\",\"engine\":\"$engine\",\"requests_per_s\":$tps}" >> "$work/results.jsonl"
fi
if [ -n "$json" ]; then
  python3 - "$work/results.jsonl" "$json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
json.dump(rows, open(sys.argv[2], "w"), indent=2)
PY
fi
