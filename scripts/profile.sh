#!/usr/bin/env bash
# Where the command path's time goes (docs/benchmarks.md, "Where the time goes"): runs `petition serve`
# (release, consumers off, as rows 1 of the bench table) on a scratch PostgreSQL database, loads it with wrk
# (`receive`, PROFILE_CONNECTIONS connections), and
#   1. counts the SQL statements PostgreSQL runs per request (log_statement=all on that database, a short run);
#   2. records a system-wide CPU profile (perf, cpu-clock) of a PROFILE_SECONDS run and prints the CPU split by
#      process and PostgreSQL's planning share; the samples stay in $OUT/perf.data for `perf report`.
# Needs perf, wrk, psql and a release build (`cargo build --release -p petition`); installs wrk and perf with
# apt-get when they are missing. PROFILE_DATABASE_URL is an admin URL (default TEST_DATABASE_URL or the local
# server); the PostgreSQL server log must be readable at PROFILE_PG_LOG for the statement count.
set -euo pipefail
cd "$(dirname "$0")/.."
ADMIN="${PROFILE_DATABASE_URL:-${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}}"
BIN="${PROFILE_BIN:-$PWD/target/release/petition}"
CONNECTIONS="${PROFILE_CONNECTIONS:-16}"
SECONDS_RUN="${PROFILE_SECONDS:-15}"
PG_LOG="${PROFILE_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}"
OUT="${PROFILE_OUT:-$PWD/target/profile}"
PORT="${PROFILE_PORT:-18555}"
TOKEN="profile-token-0123456789abcdef0123"

for tool in wrk perf; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    pkg="$tool"; [ "$tool" = perf ] && pkg="linux-perf"
    $SUDO apt-get install -y -qq "$pkg" >/dev/null
  fi
done
[ -x "$BIN" ] || { echo "profile.sh: no $BIN (cargo build --release -p petition)" >&2; exit 1; }
mkdir -p "$OUT"
DB="profile_$RANDOM$RANDOM"
base="${ADMIN%/*}"
URL="$base/$DB"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/petition-profile.XXXXXX")"
SERVE=""
cleanup() {
  [ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
  psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -q "$ADMIN" -c "CREATE DATABASE $DB"

# The body of bench/src/load.rs's complaint, numbered per request.
cat >"$WORK/post.lua" <<LUA
counter = 0
local learned = os.date("!%Y-%m-%d", os.time() - 3*86400)
request = function()
  counter = counter + 1
  local body = '{"kind":"complaint","channel":"in_person","receiving_agency":"UBND-HN.HOAN-KIEM","subject":"Compensation for recovered land ' .. counter .. '","content":"The petitioner contests the compensation decided for the recovery of a residential plot.","petitioners":{"signatories":[{"full_name":"Nguyễn Văn An","address":"12 Hàng Bạc, Hoàn Kiếm, Hà Nội","email":"an' .. counter .. '@example.vn"}]},"signatory_count":1,"decision_date_learned":"' .. learned .. '"}'
  return wrk.format("POST", "/api/v1/petitions", {["Content-Type"]="application/json", ["Authorization"]="Bearer $TOKEN"}, body)
end
LUA

start_serve() {
  mkdir -p "$WORK/data"
  local hash; hash="$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"
  (cd "$WORK" && exec env -i PATH="$PATH" HOME="$HOME" PETITION_LOG=warn PETITION_LISTEN="127.0.0.1:$PORT" \
    PETITION_DATA_DIR="$WORK/data" PETITION_TOKENS="profile:intake_officer:*:$hash" \
    PETITION_SERVE_CONSUMERS=false PETITION_DATABASE_URL="$URL" "$BIN" serve >>"$WORK/serve.log" 2>&1) &
  SERVE=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && return 0; sleep 0.2; done
  echo "profile.sh: serve never became ready; its log:" >&2; cat "$WORK/serve.log" >&2; exit 1
}
stop_serve() { kill "$SERVE"; wait "$SERVE" 2>/dev/null || true; SERVE=""; }
load() { wrk -t2 -c"$CONNECTIONS" -d"$1" --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT"; }

# 1. Statements per request (a short run with every statement logged; new sessions pick the setting up).
start_serve; load 2s >/dev/null; stop_serve
if [ -r "$PG_LOG" ]; then
  psql -q "$ADMIN" -c "ALTER DATABASE $DB SET log_statement = 'all'"
  start_serve; sleep 2
  from=$(($(wc -l <"$PG_LOG") + 1))
  load 3s >"$WORK/wrk-count.txt"
  sleep 1
  tail -n +"$from" "$PG_LOG" >"$WORK/statements.log"
  stop_serve
  psql -q "$ADMIN" -c "ALTER DATABASE $DB RESET log_statement"
  requests=$(grep -oE '^ +[0-9]+ requests' "$WORK/wrk-count.txt" | tr -dc 0-9)
  echo "== statements per request ($requests requests, $CONNECTIONS connections, statement text abbreviated)"
  grep -oE '(statement|execute [^:]*): .{0,80}' "$WORK/statements.log" \
    | sed -E 's/^execute [^:]*/execute/; s/\$[0-9]+/$/g; s/[0-9]{3,}/N/g; s/\(N(,N)*\)/(N…)/' \
    | sort | uniq -c | sort -rn \
    | awk -v r="$requests" '{n=$1; $1=""; t+=n; printf "%7.2f %s\n", n/r, $0} END {printf "%7.2f total\n", t/r}' | head -25
else
  echo "== statements per request: skipped ($PG_LOG is not readable; set PROFILE_PG_LOG)"
fi

# 2. The CPU profile.
start_serve; load 3s >/dev/null
perf record -a -g -e cpu-clock -F 499 -o "$OUT/perf.data" -- \
  wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_RUN}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT" \
  >"$OUT/wrk.txt" 2>/dev/null
stop_serve
echo "== load under the profile"; grep -E "Requests/sec|50%|99%|Non-2xx" "$OUT/wrk.txt"
echo "== CPU by process"
perf report -i "$OUT/perf.data" --no-children --sort comm -g none --stdio 2>/dev/null | grep -vE '^#|^$' | head -6
echo "== PostgreSQL: statement execution, planning, commit (share of all samples)"
perf report -i "$OUT/perf.data" --children --comm postgres --sort sym -g none --stdio 2>/dev/null \
  | grep -E " (PostgresMain|PortalRun|GetCachedPlan|pg_plan_query|CommitTransactionCommand|XLogFlush|plpgsql_exec_trigger|pg_parse_query)$" | head -8
echo "samples: $OUT/perf.data (perf report -i $OUT/perf.data)"
