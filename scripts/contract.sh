#!/usr/bin/env bash
# The OpenAPI document is a contract: `petition serve` runs on SQLite and then on PostgreSQL (a fresh data
# directory / database each, a known token), a few cases are seeded so the operations on `{id}` reach
# real cases, then openapi-spec-validator must report no error and schemathesis (time-bounded) must
# find no failure of its server-error, schema, status-code, content-type and positive/negative-data
# checks. Used by scripts/test.sh after the cargo tests; runs alone too (it builds the binary if needed).
#
#   CONTRACT_MAX_EXAMPLES  examples per operation and phase (default 12)
#   CONTRACT_MAX_TIME      schemathesis' time budget per backend, in seconds (default 80)
#   CONTRACT_BACKENDS      `sqlite postgres` (default) or one of them
#   TEST_DATABASE_URL  an admin URL of the PostgreSQL server (default: postgres@127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

OSV_VERSION="0.9.0"
ST_VERSION="4.32.5"
VENV="$ROOT/target/contract-venv"
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-12}"
MAX_TIME="${CONTRACT_MAX_TIME:-80}"
BACKENDS="${CONTRACT_BACKENDS:-sqlite postgres}"
ADMIN_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
TOKEN="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
# Static tokens are configured by their SHA-256 only, with roles and a scope (docs/access-control.md): every
# role for the whole state, so that the policy lets schemathesis reach every operation.
TOKEN_ENTRY="contract:intake_officer+handling_officer+leader+inspectorate+auditor+identity_custodian+system:*:$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)"
CHECKS="not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,positive_data_acceptance,negative_data_rejection"

log() { printf '[contract] %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------------
venv_ready() {
  [ -x "$VENV/bin/st" ] && [ -x "$VENV/bin/openapi-spec-validator" ] &&
    "$VENV/bin/python" - "$OSV_VERSION" "$ST_VERSION" <<'EOF'
import sys
from importlib.metadata import version
sys.exit(0 if (version("openapi-spec-validator"), version("schemathesis")) == tuple(sys.argv[1:]) else 1)
EOF
}
if ! venv_ready; then
  log "installing openapi-spec-validator $OSV_VERSION and schemathesis $ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "openapi-spec-validator==$OSV_VERSION" "schemathesis==$ST_VERSION"
fi

BIN="${CONTRACT_BIN:-$ROOT/target/debug/petition}"
if [ -z "${CONTRACT_BIN:-}" ]; then cargo build --quiet --locked -p petition; fi

# --- one backend -------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

SERVER_PID=""
DB_NAME=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
  if [ -n "$DB_NAME" ]; then psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true; fi
  DB_NAME=""
}
trap cleanup EXIT

api() { # METHOD PATH [BODY] -> prints the body, fails on a non-2xx answer
  local method="$1" path="$2" body="${3:-}"
  curl -sS --fail-with-body -X "$method" "$BASE$path" -H "Authorization: Bearer $TOKEN" \
    ${body:+-H 'Content-Type: application/json' --data "$body"}
}
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

seed() {
  local received case_id
  # A complaint taken to verification: the lifecycle operations meet a case in an ordinary state.
  received="$(api POST "/api/v1/petitions?occurred_on=2026-02-12" '{
    "kind": "complaint", "channel": "in_person", "receiving_agency": "UBND-HN.HOAN-KIEM",
    "subject": "Compensation for recovered land", "content": "Contests the compensation.",
    "petitioners": { "signatories": [ { "full_name": "Trần Thị Bình" } ] },
    "signatory_count": 1, "decision_date_learned": "2026-01-20" }')"
  case_id="$(json_field case_id <<<"$received")"
  TRACKING_CODE="$(json_field tracking_code <<<"$received")"
  api POST "/api/v1/petitions/$case_id/classify?occurred_on=2026-02-12" '{"within_competence": true}' >/dev/null
  api POST "/api/v1/petitions/$case_id/accept?occurred_on=2026-03-04" '{}' >/dev/null
  api POST "/api/v1/petitions/$case_id/start-verification?occurred_on=2026-03-05" '{}' >/dev/null
  CASE_ID="$case_id"
  # A denunciation just received, for the read models' lists.
  api POST "/api/v1/petitions" '{
    "kind": "denunciation", "channel": "mail", "receiving_agency": "UBND-HN",
    "subject": "Misuse of public land", "content": "Reports a misuse.",
    "petitioners": { "signatories": [ { "full_name": "Lê Văn An" } ] }, "signatory_count": 1 }' >/dev/null
}

run_backend() {
  local backend="$1" work port db_url
  work="$(mktemp -d "$ROOT/target/contract-$backend.XXXXXX")"
  port="$(free_port)"
  BASE="http://127.0.0.1:$port"
  case "$backend" in
    sqlite) db_url="sqlite://$work/data/petition.db" ;;
    postgres)
      DB_NAME="petition_contract_$$_$RANDOM"
      psql -q "$ADMIN_URL" -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
      db_url="${ADMIN_URL%/*}/$DB_NAME"
      ;;
    *) log "unknown backend $backend"; exit 2 ;;
  esac
  mkdir -p "$work/data"
  log "$backend: petition serve on $BASE (log in $work/server.log)"
  (
    cd "$work"
    exec env -u PETITION_NATS_URL -u PETITION_CONFIG PETITION_LISTEN="127.0.0.1:$port" \
      PETITION_DATA_DIR="$work/data" PETITION_DATABASE_URL="$db_url" \
      PETITION_TOKENS="$TOKEN_ENTRY" PETITION_LOG="${PETITION_LOG:-warn}" "$BIN" serve
  ) >"$work/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "$BASE/health" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$work/server.log" >&2; log "$backend: the server exited"; exit 1; }
    sleep 0.1
  done
  seed
  curl -sSf "$BASE/api/v1/openapi.json" -o "$work/openapi.json"

  log "$backend: openapi-spec-validator"
  "$VENV/bin/openapi-spec-validator" --validation-errors all "$work/openapi.json"

  log "$backend: schemathesis (at most $MAX_EXAMPLES examples per operation and phase, ${MAX_TIME}s)"
  # Run from the work directory, which is removed afterwards: schemathesis keeps its cache in `.schemathesis`.
  (cd "$work" && CASE_ID="$CASE_ID" TRACKING_CODE="$TRACKING_CODE" TOKEN="$TOKEN" \
    "$VENV/bin/st" --config-file "$ROOT/scripts/schemathesis.toml" run "$work/openapi.json" \
    --url "$BASE" --checks "$CHECKS" --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" \
    --generation-deterministic --no-color --request-timeout 10 \
    --report junit --report-dir "$work/report")

  # (The stateful phase is left out: the document declares no links, schemathesis would infer them from
  # names, and it would take the time budget from the phases above.)
  # The server must still be up and healthy after the run.
  curl -sf "$BASE/health" >/dev/null || { log "$backend: the server stopped answering"; exit 1; }
  cleanup
  rm -rf "$work"
}

for backend in $BACKENDS; do run_backend "$backend"; done
log "contract holds on: $BACKENDS"
