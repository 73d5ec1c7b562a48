#!/usr/bin/env bash
# Browser check of the console: seeds the demo data into a fresh SQLite store, serves it on a loopback
# port, then drives Debian's chromium (headless, through playwright-core) over the overview and the
# petitioner page, failing on any console error (a CSP violation shows as one), and writes screenshots to
# docs/console/. Not part of CI: installing chromium takes minutes. Run: bash scripts/console-browser.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
( cd scripts/console-browser && npm install --no-audit --no-fund --silent )
cargo build -p petition --locked

work="$(mktemp -d)"
port="${CONSOLE_PORT:-18733}"
bin="$PWD/target/debug/petition"
( cd "$work" && "$bin" demo seed )
( cd "$work" && PETITION_LISTEN="127.0.0.1:$port" exec "$bin" serve >"$work/serve.log" 2>&1 ) &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
# Let the in-process consumers fold the seeded events into the read models.
sleep 2

mkdir -p docs/console
CONSOLE_URL="http://127.0.0.1:$port" CONSOLE_TOKEN="$(cat "$work/data/dev-token")" \
  SHOTS="$PWD/docs/console" USER_DATA_DIR="$work/chromium-profile" \
  node scripts/console-browser/check.mjs
