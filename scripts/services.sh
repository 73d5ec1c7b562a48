#!/usr/bin/env bash
# Makes sure PostgreSQL and NATS (with JetStream) answer on 127.0.0.1, installing them from Debian's
# packages and starting them when they are absent. Safe to run repeatedly; used by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT="${PG_PORT:-5432}"
NATS_PORT="${NATS_PORT:-4222}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '[services] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 60); do port_open "$1" && return 0; sleep 0.5; done
  return 1
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open "$PG_PORT"; then log "PostgreSQL answers on 127.0.0.1:$PG_PORT"; return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL from Debian's packages"
    apt_install postgresql postgresql-client
  fi
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  log "starting PostgreSQL $version"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || $SUDO pg_ctlcluster "$version" main start
  wait_port "$PG_PORT" || { log "PostgreSQL did not open port $PG_PORT"; exit 1; }
  # A fresh Debian cluster asks TCP clients for a password: give the postgres role the one the tests use.
  $SUDO -u postgres psql -q -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null 2>&1 \
    || su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
}

ensure_nats() {
  # The tests also start their own nats-server processes (to stop and restart them), so the binary must be
  # installed even when some server already answers on the standard port.
  if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
    log "installing nats-server from Debian's packages"
    apt_install nats-server
  fi
  if port_open "$NATS_PORT"; then log "NATS answers on 127.0.0.1:$NATS_PORT"; return; fi
  local bin
  bin="$(command -v nats-server || echo /usr/sbin/nats-server)"
  local store_dir="${NATS_STORE_DIR:-/var/lib/nats-server}"
  $SUDO mkdir -p "$store_dir"
  log "starting nats-server with JetStream"
  $SUDO start-stop-daemon --start --oknodo --background --exec "$bin" -- \
    -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$store_dir" -l /tmp/nats-server.log
  wait_port "$NATS_PORT" || { log "NATS did not open port $NATS_PORT"; exit 1; }
}

psql_admin() {
  PGPASSWORD="${PGPASSWORD:-postgres}" psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

# Least privilege, as in production (deploy/postgres/): a `petition` database owned by `petition_owner`, which
# runs the migrations, and `petition_service`, which serves. Local passwords only; never reuse them.
ensure_roles() {
  if [ "$(psql_admin -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname IN ('petition_owner', 'petition_service')")" = 2 ]; then
    log "roles petition_owner and petition_service exist"; return
  fi
  log "creating the roles petition_owner, petition_service and the database petition"
  psql_admin -d postgres -v owner=petition_owner -v service=petition_service -v database=petition \
    -v owner_password=petition-owner -v service_password=petition-service -f deploy/postgres/roles.sql
}

ensure_postgres
ensure_roles
ensure_nats
