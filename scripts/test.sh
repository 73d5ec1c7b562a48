#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: starts (installing if needed) PostgreSQL and NATS,
# then runs the whole suite. PostgreSQL tests fail, never skip, when the database is unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/services.sh

# Trust auth ignores the password; a freshly installed cluster checks it (scripts/services.sh sets it).
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
export TEST_NATS_URL="${TEST_NATS_URL:-nats://127.0.0.1:4222}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install Rust from https://rustup.rs" >&2
  exit 1
fi

# The authentication tests run a real OpenID Connect provider (the npm package oidc-provider) under node.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "[test] installing node and npm from Debian's packages (for the OIDC provider of the tests)" >&2
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
# The e-mail end-to-end test delivers to a real SMTP server process: Debian's aiosmtpd.
if [ ! -x /usr/bin/aiosmtpd ]; then
  echo "[test] installing python3-aiosmtpd from Debian's packages (the SMTP server of the e-mail test)" >&2
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-aiosmtpd >/dev/null
fi
if [ ! -d tests/oidc/node_modules/oidc-provider ]; then
  npm ci --prefix tests/oidc --no-audit --no-fund
fi

# Two cores build everything: one build, then the tests.
cargo test --workspace --locked --no-fail-fast "$@"

# The console in a real browser (Debian's chromium, installed when absent), bounded in time. BROWSER=0 skips it.
if [ "${BROWSER:-1}" != "0" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    echo "[test] installing Debian's chromium (for the console's browser check)" >&2
    SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
  fi
  timeout "${BROWSER_TIMEOUT:-900}" bash scripts/console-browser.sh
fi

# The OpenAPI document as a contract, against the binary the tests just built: openapi-spec-validator and
# schemathesis (time-bounded) on SQLite and PostgreSQL. Set CONTRACT=0 to skip.
if [ "${CONTRACT:-1}" != "0" ]; then
  CONTRACT_BIN="$PWD/target/debug/petition" bash scripts/contract.sh
fi
