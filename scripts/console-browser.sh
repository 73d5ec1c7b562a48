#!/usr/bin/env bash
# Browser check of the console, run by scripts/test.sh after the cargo tests: seeds the demo data into a fresh
# SQLite store, starts the test OpenID Connect provider (tests/oidc/server.mjs) with a client for the console,
# serves the console on loopback ports with both sign-ins (the token form and the authorization-code flow),
# then drives Debian's chromium (headless, through playwright-core) over every page: charts, filters, paging,
# the language switch, the auditor page and its download, both sign-ins, a Hà Nội inspectorate refused a Hồ Chí
# Minh City case, no console error (a CSP violation is one), and axe-core with no serious or critical
# violation. Writes the screenshots of docs/console/. Run: bash scripts/console-browser.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ! -x /usr/bin/chromium ]; then
  echo "[browser] installing Debian's chromium" >&2
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
( cd scripts/console-browser && npm ci --no-audit --no-fund --silent )
if [ ! -d tests/oidc/node_modules/oidc-provider ]; then
  npm ci --prefix tests/oidc --no-audit --no-fund --silent
fi
cargo build -p petition --locked

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work="$(mktemp -d)"
port="${CONSOLE_PORT:-$(free_port)}"
idp_port="$(free_port)"
bin="$PWD/target/debug/petition"
token="browser-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
secret="console-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

cat >"$work/clients.json" <<JSON
[{"client_id": "console", "client_secret": "$secret", "redirect_uris": ["http://127.0.0.1:$port/console/login/callback"]}]
JSON
cat >"$work/accounts.json" <<'JSON'
[{"account_id": "thanh-tra-hn", "claims": {"roles": ["inspectorate"], "agency": "TT-HN"}},
 {"account_id": "kiem-toan", "claims": {"roles": ["auditor"], "agency": "*"}}]
JSON
PORT="$idp_port" KEYS_FILE="$work/idp-keys.json" CLIENTS_FILE="$work/clients.json" \
  ACCOUNTS_FILE="$work/accounts.json" node tests/oidc/server.mjs >"$work/idp.log" 2>&1 &
pids+=($!)
cat >"$work/petition.toml" <<TOML
[oidc]
issuer = "http://127.0.0.1:$idp_port"
audience = ["urn:petition-ledger"]

[console.oidc]
client_id = "console"
client_secret = "$secret"
redirect_uri = "http://127.0.0.1:$port/console/login/callback"
scopes = ["openid", "petitions"]
provider_name = "Test IdP"
TOML
export PETITION_TOKENS="inspector:inspectorate+intake_officer:*:$(printf %s "$token" | sha256sum | cut -d' ' -f1)"

( cd "$work" && "$bin" demo seed )
( cd "$work" && PETITION_LISTEN="127.0.0.1:$port" exec "$bin" serve >"$work/serve.log" 2>&1 ) &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 \
    && curl -fsS "http://127.0.0.1:$idp_port/.well-known/openid-configuration" >/dev/null 2>&1 && break
  sleep 0.2
done
# Let the in-process consumers fold the seeded events into the read models.
sleep 3

mkdir -p docs/console
status=0
CONSOLE_URL="http://127.0.0.1:$port" CONSOLE_TOKEN="$token" \
  SHOTS="$PWD/docs/console" USER_DATA_DIR="$work/chromium-profile" DOWNLOADS="$work/downloads" \
  node scripts/console-browser/check.mjs || status=$?
if [ "$status" -ne 0 ]; then
  echo "[browser] failed; the server's log:" >&2
  tail -n 40 "$work/serve.log" >&2 || true
fi
exit "$status"
