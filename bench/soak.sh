#!/usr/bin/env bash
# Memory soak of `dun serve`: a steady mixed load that grows the book for M
# minutes, with the server's resident memory and the database's size
# sampled every 10 s. What it answers: does the server's memory plateau
# while the book keeps growing? Not a test: the machine is noisy and the
# throughput is whatever it gives; memory is what is measured.
#
# The load (wrk, one Lua script, requests in a fixed round) writes through
# the API with a token — payments, new customers, issued invoices, notes on
# customers — and reads lists, invoices, customers, the aging, the figures
# and a few web pages (dashboard, worklist, reports, customers) signed in.
#
#   bench/soak.sh [--minutes M] [--invoices N] [--postgres URL] [--json FILE]
#                 [--connections C] [--bin DUN]
#
# --bin runs that `dun` binary instead of building this checkout's (an
# earlier commit's, to compare).
#
# Server settings come from the environment as for `dun serve`
# (DUN_SQLITE_CACHE_MIB, DUN_SQLITE_MMAP_MIB, DUN_POOL_SIZE, …).
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30
invoices=100000
postgres=""
json=""
connections=8
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    --invoices) invoices="$2"; shift 2 ;;
    --postgres) postgres="$2"; shift 2 ;;
    --json) json="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    *) echo "unknown option $1 (accepted: --minutes M, --invoices N, --postgres URL, --json FILE, --connections C, --bin DUN)" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
sample_s=10

if [ -n "$bin" ]; then
  dun="$bin"
else
  cargo build --release -q -p dun
  dun="${CARGO_TARGET_DIR:-target}/release/dun"
fi
work="$(mktemp -d)"
server_pid=""
wrk_pid=""
db_name=""
cleanup() {
  [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && wait "$server_pid" 2>/dev/null || true
  if [ -n "$db_name" ]; then
    psql "$postgres" -qc "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "$postgres" ]; then
  db_name="dun_soak_$$"
  psql "$postgres" -qc "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null
  psql "$postgres" -qc "CREATE DATABASE $db_name" >/dev/null
  db="${postgres%/*}/$db_name"
  engine="PostgreSQL"
else
  db="$work/book.sqlite"
  engine="SQLite"
fi
export DUN_DATABASE_URL="$db"
email="soak@demo.example"
password="correct horse battery staple"

echo "Building a demo book of $invoices invoices on $engine…" >&2
"$dun" demo --invoices "$invoices" >/dev/null
DUN_PASSWORD="$password" "$dun" user add "$email" --name Soak --role owner >/dev/null
token="$("$dun" token create --user "$email" --name soak --role owner 2>/dev/null)"

RUST_LOG=warn DUN_LOG_FORMAT=json "$dun" serve --listen 127.0.0.1:0 --no-scheduler 2>"$work/serve.log" &
server_pid=$!
for _ in $(seq 1 300); do
  addr="$(grep -o 'serving http://[0-9.:]*' "$work/serve.log" | head -1 | sed 's#serving http://##')" || true
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }
base="http://$addr"
auth="Authorization: Bearer $token"

# A session for the web pages.
jar="$work/cookies"
curl -sf -o /dev/null -c "$jar" -H "Origin: $base" --data-urlencode "email=$email" \
  --data-urlencode "password=$password" "$base/sign-in" \
  || { echo "cannot sign in as $email" >&2; exit 1; }
cookie="$(awk '!/^#/ || /^#HttpOnly_/ { if (NF >= 7) printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 }' "$jar")"

# Customers to pay, note and invoice; invoices to read.
customers="$(curl -sf -H "$auth" "$base/api/v1/customers?limit=200" | python3 -c 'import json,sys; print(",".join(chr(34)+c["reference"]+chr(34) for c in json.load(sys.stdin)["items"]))')"
numbers="$(curl -sf -H "$auth" "$base/api/v1/invoices?limit=200" | python3 -c 'import json,sys; print(",".join(chr(34)+c["number"]+chr(34) for c in json.load(sys.stdin)["items"] if c.get("number")))')"
run="$(date +%s)"

cat > "$work/soak.lua" <<LUA
local customers = { $customers }
local numbers = { $numbers }
local token = "Bearer $token"
local cookie = "$cookie"
local run = "$run"
local n = 0
local id = 0
setup = function(thread)
  id = id + 1
  thread:set("id", id)
end
local function pick(list, k) return list[(k % #list) + 1] end
local function api(method, path, body)
  local headers = { ["Authorization"] = token }
  if body then headers["Content-Type"] = "application/json" end
  return wrk.format(method, path, headers, body)
end
local function page(path)
  return wrk.format("GET", path, { ["Cookie"] = cookie }, nil)
end
-- One round: 9 writes, 11 reads.
local round = {
  function(k) return api("POST", "/api/v1/payments", string.format('{"customer":"%s","amount":"1.00","method":"bank_transfer","reference":"soak-%s-%d-%d"}', pick(customers, k), run, id, k)) end,
  function(k) return api("GET", "/api/v1/invoices/" .. pick(numbers, k)) end,
  function(k) return api("POST", "/api/v1/invoices", string.format('{"customer":"%s","description":"soak %d","lines":[{"description":"Consulting, soak round %d","quantity":"3","unit_price":"125.50","tax_rate":"20"},{"description":"Travel","quantity":"1","unit_price":"40.00"}],"issue":true,"override_reason":"soak"}', pick(customers, k * 7), k, k)) end,
  function(k) return api("GET", "/api/v1/invoices?limit=50") end,
  function(k) return api("POST", "/api/v1/customers/" .. pick(customers, k * 3) .. "/contacts", string.format('{"kind":"note","summary":"Soak note %d: asked about the open invoices, will call back next week."}', k)) end,
  function(k) return api("GET", "/api/v1/customers/" .. pick(customers, k * 5)) end,
  function(k) return api("POST", "/api/v1/customers", string.format('{"reference":"SOAK-%s-%d-%d","name":"Soak Customer %d Ltd","email":"ap%d@soak.example","terms":"net30"}', run, id, k, k, k)) end,
  function(k) return api("GET", "/api/v1/customers?overdue=true&limit=50") end,
  function(k) return api("POST", "/api/v1/payments", string.format('{"customer":"%s","amount":"2.50","method":"card","reference":"soak-b-%s-%d-%d"}', pick(customers, k * 11), run, id, k)) end,
  function(k) return api("GET", "/api/v1/aging") end,
  function(k) return api("POST", "/api/v1/invoices", string.format('{"customer":"%s","lines":[{"description":"Subscription %d","quantity":"1","unit_price":"99.00"}],"issue":true,"override_reason":"soak"}', pick(customers, k * 13), k)) end,
  function(k) return api("GET", "/api/v1/figures") end,
  function(k) return api("POST", "/api/v1/customers/" .. pick(customers, k * 17) .. "/contacts", string.format('{"kind":"call","summary":"Soak call %d","outcome":"reached"}', k)) end,
  function(k) return page("/dashboard") end,
  function(k) return api("POST", "/api/v1/payments", string.format('{"customer":"%s","amount":"5.00","method":"bank_transfer","reference":"soak-c-%s-%d-%d"}', pick(customers, k * 19), run, id, k)) end,
  function(k) return page("/worklist") end,
  function(k) return api("POST", "/api/v1/customers", string.format('{"reference":"SOAK-B-%s-%d-%d","name":"Second Soak %d GmbH","terms":"net14"}', run, id, k, k)) end,
  function(k) return page("/reports") end,
  function(k) return page("/customers") end,
  function(k) return page("/invoices/" .. pick(numbers, k * 23)) end,
}
request = function()
  n = n + 1
  return round[(n % #round) + 1](n)
end
LUA

# Each kind of request once, to know the load does what it says.
cat > "$work/check.lua" <<'LUA'
run = run .. "-check"
response = function(status, headers, body)
  if status >= 300 then io.stderr:write(status .. " " .. body:sub(1, 300) .. "\n") end
end
LUA
cat "$work/soak.lua" "$work/check.lua" > "$work/first.lua"
wrk -t1 -c1 -d2s -s "$work/first.lua" "$base" > "$work/first.txt" 2> "$work/first.err" || true
if [ -s "$work/first.err" ]; then
  echo "some requests of the load are refused:" >&2
  sort "$work/first.err" | uniq -c | sort -rn | head -20 >&2
  exit 1
fi

file_bytes() { # the SQLite file and its WAL, or the PostgreSQL database
  if [ -n "$postgres" ]; then
    psql "$db" -Atc "SELECT pg_database_size(current_database())" 2>/dev/null || echo 0
  else
    local total=0 f
    for f in "$db" "$db-wal"; do
      [ -f "$f" ] && total=$(( total + $(stat -c %s "$f") ))
    done
    echo "$total"
  fi
}
status_kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }

commit="$(git rev-parse --short HEAD)"
[ -n "$bin" ] && commit="$commit, binary $bin"
echo "dun serve on $engine, $invoices-invoice demo book, $minutes min of wrk -t1 -c$connections, commit $commit, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)" >&2
wrk -t1 -c"$connections" -d"$(( minutes * 60 + 5 ))s" --timeout 30s -s "$work/soak.lua" "$base" > "$work/wrk.txt" 2>&1 &
wrk_pid=$!
started=$(date +%s)
: > "$work/samples.jsonl"
for (( i = 0; i <= minutes * 60 / sample_s; i++ )); do
  next=$(( started + i * sample_s ))
  while [ "$(date +%s)" -lt "$next" ]; do sleep 0.2; done
  kill -0 "$server_pid" 2>/dev/null || { echo "dun serve stopped" >&2; tail -20 "$work/serve.log" >&2; exit 1; }
  printf '{"t_s":%d,"vm_rss_kib":%s,"rss_anon_kib":%s,"rss_file_kib":%s,"threads":%s,"database_bytes":%s}\n' \
    $(( $(date +%s) - started )) "$(status_kib VmRSS)" "$(status_kib RssAnon)" "$(status_kib RssFile)" \
    "$(status_kib Threads)" "$(file_bytes)" >> "$work/samples.jsonl"
  if (( i % 6 == 0 )); then
    tail -1 "$work/samples.jsonl" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("  %4d s  RSS %6.1f MB (anon %6.1f, file %6.1f)  database %7.1f MB" % (s["t_s"], s["vm_rss_kib"]/1024, s["rss_anon_kib"]/1024, s["rss_file_kib"]/1024, s["database_bytes"]/1048576))' >&2
  fi
done
cat "/proc/$server_pid/smaps_rollup" > "$work/smaps_rollup.txt" 2>/dev/null || true
wait "$wrk_pid" || true
wrk_pid=""

python3 - "$work" "$engine" "$invoices" "$minutes" "$connections" "$commit" "${json:-}" <<'PY'
import json, os, re, sys
work, engine, invoices, minutes, connections, commit, out = sys.argv[1:8]
samples = [json.loads(l) for l in open(os.path.join(work, "samples.jsonl"))]
wrk = open(os.path.join(work, "wrk.txt")).read()
def grab(pattern):
    m = re.search(pattern, wrk)
    return m.group(1) if m else None
requests = grab(r"(\d+) requests in")
rps = grab(r"Requests/sec:\s+([\d.]+)")
non2xx = grab(r"Non-2xx or 3xx responses: (\d+)") or "0"
settings = {k: v for k, v in os.environ.items() if k.startswith("DUN_") and k not in ("DUN_DATABASE_URL", "DUN_PASSWORD")}
rollup = {}
try:
    for line in open(os.path.join(work, "smaps_rollup.txt")):
        parts = line.split()
        if len(parts) == 3 and parts[2] == "kB":
            rollup[parts[0].rstrip(":")] = int(parts[1])
except OSError:
    pass

def at(seconds):
    return min(samples, key=lambda s: abs(s["t_s"] - seconds))
mb = lambda kib: kib / 1024
print(f"\n{engine}, {invoices}-invoice demo book, {minutes} min, commit {commit}: "
      f"{requests} requests ({rps}/s), non-2xx {non2xx}")
print(f"{'minute':>6} {'RSS MB':>8} {'anon MB':>8} {'file MB':>8} {'database MB':>12}")
marks = [m for m in (0, 1, 5, 10, 20, 30, 60) if m <= int(minutes)]
if int(minutes) not in marks:
    marks.append(int(minutes))
for m in marks:
    s = at(m * 60)
    print(f"{m:>6} {mb(s['vm_rss_kib']):>8.1f} {mb(s['rss_anon_kib']):>8.1f} {mb(s['rss_file_kib']):>8.1f} {s['database_bytes']/1048576:>12.1f}")
half, last = at(int(minutes) * 30), samples[-1]
peak = max(s["vm_rss_kib"] for s in samples)
grew = last["vm_rss_kib"] - half["vm_rss_kib"]
print(f"over the last half ({half['t_s']} s to {last['t_s']} s): RSS {mb(grew):+.1f} MB "
      f"(anon {mb(last['rss_anon_kib'] - half['rss_anon_kib']):+.1f}, file {mb(last['rss_file_kib'] - half['rss_file_kib']):+.1f}), "
      f"database {(last['database_bytes'] - half['database_bytes'])/1048576:+.1f} MB; peak RSS {mb(peak):.1f} MB")
if out:
    json.dump({
        "engine": engine, "commit": commit, "invoices": int(invoices), "minutes": int(minutes),
        "wrk": f"-t1 -c{connections}", "cores": os.cpu_count(), "requests": int(requests or 0),
        "requests_per_s": float(rps or 0), "non_2xx": int(non2xx), "settings": settings,
        "sample_s": 10, "samples": samples, "smaps_rollup_kib_at_end": rollup,
        "last_half_growth_kib": {"vm_rss": grew,
                                 "rss_anon": last["rss_anon_kib"] - half["rss_anon_kib"],
                                 "rss_file": last["rss_file_kib"] - half["rss_file_kib"]},
    }, open(out, "w"), indent=1)
PY
