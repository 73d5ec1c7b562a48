#!/usr/bin/env bash
# The scaled-out topology of deploy/compose.yaml as processes on loopback (no container engine needed):
# 3 clustered nats-server processes (JetStream, R3 streams), a PostgreSQL primary in its own cluster with a
# streaming replica, two API nodes (`serve` with PETITION_SERVE_CONSUMERS=false), two relays (one holds the
# lease, one stands by), two read-model processes (partitions 0/2 and 1/2) and a notifier.
#
#   scripts/cluster.sh start DIR      start everything under DIR (bounded: fails after CLUSTER_START_TIMEOUT s)
#   scripts/cluster.sh stop DIR       stop everything (SIGTERM, then SIGKILL after 20 s), keep DIR
#   scripts/cluster.sh status DIR     which process runs, and the bus status
#   scripts/cluster.sh kill DIR NAME [SIGNAL]   stop one process (default SIGKILL): nats-1, relay-1, api-2, …
#   scripts/cluster.sh run DIR NAME   start one process again with the command line it started with
#   scripts/cluster.sh pg stop|start DIR        stop (fast) or start the primary
#
# DIR/cluster.env holds every address, the tokens and the settings all processes share; `source` it to
# drive the cluster (API_1, API_2, TOKEN, NATS_URL, DATABASE_URL, ADMIN_URL, …). Logs are in DIR/logs.
# CLUSTER_BIN selects the binary (default target/debug/petition; build it with `cargo build -p petition`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${CLUSTER_BIN:-$ROOT/target/debug/petition}"
TIMEOUT="${CLUSTER_START_TIMEOUT:-90}"
PROCESSES=(api-1 api-2 relay-1 relay-2 read-model-0 read-model-1 notifier)

die() { echo "cluster.sh: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$d/initdb" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql (scripts/services.sh installs them)"
  echo "$d"
}

# initdb and postgres refuse to run as root: run them as `postgres` then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_until() { # SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local until=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $until ] || die "timed out after ${limit}s waiting for $what (logs in $DIR/logs)"
    sleep 0.2
  done
}

# A killed process whose parent has not reaped it yet (a zombie) is not alive: kill -0 still succeeds on it.
alive() {
  [ -f "$DIR/pids/$1.pid" ] || return 1
  local pid state
  pid="$(cat "$DIR/pids/$1.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null)"
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Starts DIR/cmds/NAME.sh in its own session; its pid goes to DIR/pids/NAME.pid.
run_one() {
  local name=$1
  [ -f "$DIR/cmds/$name.sh" ] || die "no process $name in $DIR"
  alive "$name" && die "$name is already running"
  setsid bash "$DIR/cmds/$name.sh" >>"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$DIR/pids/$name.pid"
}

# Writes the command line of one process (exec'd, so the pid is the process's own).
define() {
  local name=$1; shift
  { echo "set -a; source '$DIR/cluster.env'; set +a"; printf 'exec'; printf ' %q' "$@"; echo; } >"$DIR/cmds/$name.sh"
}

start_nats() {
  local ports=() cports=() mports=() i
  for i in 1 2 3; do ports+=("$(free_port)"); cports+=("$(free_port)"); mports+=("$(free_port)"); done
  for i in 1 2 3; do
    local routes="" j
    for j in 1 2 3; do [ "$j" = "$i" ] || routes+="nats-route://127.0.0.1:${cports[$((j-1))]} "; done
    mkdir -p "$DIR/nats-$i"
    cat >"$DIR/nats-$i.conf" <<EOF
server_name: n$i
listen: 127.0.0.1:${ports[$((i-1))]}
http: 127.0.0.1:${mports[$((i-1))]}
jetstream { store_dir: "$DIR/nats-$i", max_memory_store: 64MB, max_file_store: 2GB }
cluster {
  name: petition
  listen: 127.0.0.1:${cports[$((i-1))]}
  routes: [ $(echo "$routes" | sed 's/ $//; s/ /, /g') ]
}
EOF
    define "nats-$i" nats-server -c "$DIR/nats-$i.conf"
  done
  NATS_URL="nats://127.0.0.1:${ports[0]},nats://127.0.0.1:${ports[1]},nats://127.0.0.1:${ports[2]}"
  NATS_MONITOR=("${mports[@]}")
}

start_postgres() {
  local bin; bin="$(pg_bindir)"
  PG_PORT="$(free_port)"; PG_REPLICA_PORT="$(free_port)"
  mkdir -p "$DIR/pg"; chmod 777 "$DIR/pg"
  as_pg "$bin/initdb" -U postgres --auth=trust -E UTF8 -D "$DIR/pg/primary" >"$DIR/logs/initdb.log"
  cat >>"$DIR/pg/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$DIR/pg'
max_connections = 200
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
EOF
  as_pg "$bin/pg_ctl" -D "$DIR/pg/primary" -l "$DIR/pg/primary.log" -w -t 30 start >/dev/null
  as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$DIR/pg/replica" -R -X stream
  echo "port = $PG_REPLICA_PORT" >>"$DIR/pg/replica/postgresql.conf"
  as_pg "$bin/pg_ctl" -D "$DIR/pg/replica" -l "$DIR/pg/replica.log" -w -t 30 start >/dev/null
  ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  psql -q "$ADMIN_URL" -v ON_ERROR_STOP=1 -v owner=petition_owner -v service=petition_service \
    -v database=petition -v owner_password=owner -v service_password=service \
    -f "$ROOT/deploy/postgres/roles.sql" >/dev/null
}

cmd_start() {
  [ -x "$BIN" ] || die "no binary at $BIN (cargo build -p petition)"
  command -v nats-server >/dev/null || die "nats-server is not on PATH"
  mkdir -p "$DIR"/{logs,pids,cmds}
  [ -f "$DIR/cluster.env" ] && die "$DIR already holds a cluster (stop it and remove the directory first)"
  local started=$SECONDS
  start_nats
  for i in 1 2 3; do run_one "nats-$i"; done
  start_postgres
  API_PORTS=("$(free_port)" "$(free_port)"); METRICS_PORTS=("$(free_port)" "$(free_port)")
  TOKEN="cluster-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  local hash; hash="$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)"
  cat >"$DIR/cluster.env" <<EOF
# Shared by every process of the loopback cluster (scripts/cluster.sh).
PETITION_DATABASE_URL=postgres://petition_service:service@127.0.0.1:$PG_PORT/petition
PETITION_MIGRATION_DATABASE_URL=postgres://petition_owner:owner@127.0.0.1:$PG_PORT/petition
PETITION_DATABASE__POOLS__EVENT_STORE=${CLUSTER_DB_CONNECTIONS:-16}
PETITION_NATS_URL=$NATS_URL
PETITION_NATS_REPLICAS=3
PETITION_SERVE_CONSUMERS=false
PETITION_TOKENS=load:intake_officer+handling_officer+leader+inspectorate+auditor:*:$hash
PETITION_KEY_FILE=$DIR/keys.json
PETITION_LOG_FORMAT=json
PETITION_LOG=${PETITION_LOG:-info,sqlx=warn}
TOKEN=$TOKEN
API_1=http://127.0.0.1:${API_PORTS[0]}
API_2=http://127.0.0.1:${API_PORTS[1]}
METRICS_1=http://127.0.0.1:${METRICS_PORTS[0]}/metrics
METRICS_2=http://127.0.0.1:${METRICS_PORTS[1]}/metrics
NATS_URL=$NATS_URL
NATS_MONITOR="${NATS_MONITOR[*]}"
DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/petition
ADMIN_URL=$ADMIN_URL
REPLICA_URL=postgres://postgres@127.0.0.1:$PG_REPLICA_PORT/petition
PG_PORT=$PG_PORT
PG_REPLICA_PORT=$PG_REPLICA_PORT
PG_BIN=$(pg_bindir)
CLUSTER_BIN=$BIN
EOF
  chmod 600 "$DIR/cluster.env"
  (set -a; source "$DIR/cluster.env"; "$BIN" privacy init-keys >/dev/null && "$BIN" migrate >/dev/null) \
    || die "migrations failed"
  for i in 1 2 3; do wait_until 30 "nats-$i JetStream" curl -fs "http://127.0.0.1:${NATS_MONITOR[$((i-1))]}/healthz?js-enabled-only=true"; done
  # api-1 creates the transparency log's signing key; api-2 signs with the same one.
  for i in 1 2; do
    define "api-$i" env PETITION_LISTEN="127.0.0.1:${API_PORTS[$((i-1))]}" \
      PETITION_METRICS_LISTEN="127.0.0.1:${METRICS_PORTS[$((i-1))]}" PETITION_DATA_DIR="$DIR/api-$i" \
      $([ "$i" = 2 ] && echo PETITION_TLOG__KEY_FILE="$DIR/api-1/tlog-signing.key") "$BIN" serve
    define "relay-$i" env PETITION_DATA_DIR="$DIR/relay-$i" "$BIN" relay
  done
  for p in 0 1; do
    define "read-model-$p" env PETITION_DATA_DIR="$DIR/read-model-$p" "$BIN" projections run --partition "$p/2"
  done
  define notifier env PETITION_DATA_DIR="$DIR/notifier" "$BIN" notifier run
  # The first relay creates the R3 streams; the rest start once they exist.
  run_one relay-1
  for i in 1 2 3; do
    wait_until "$TIMEOUT" "the R3 streams on nats-$i" streams_on "${NATS_MONITOR[$((i-1))]}"
  done
  run_one api-1
  for name in "${PROCESSES[@]}"; do [ "$name" = relay-1 ] || [ "$name" = api-1 ] || [ "$name" = api-2 ] || run_one "$name"; done
  wait_until "$TIMEOUT" "api-1" curl -fs "http://127.0.0.1:${API_PORTS[0]}/ready"
  run_one api-2
  wait_until "$TIMEOUT" "api-2" curl -fs "http://127.0.0.1:${API_PORTS[1]}/ready"
  for p in 0 1; do wait_until "$TIMEOUT" "read-model-$p" grep -q "read models running" "$DIR/logs/read-model-$p.log"; done
  wait_until "$TIMEOUT" "the notifier" grep -q "notifier running" "$DIR/logs/notifier.log"
  echo "cluster up in $((SECONDS - started))s: API $(grep ^API_1 "$DIR/cluster.env" | cut -d= -f2) and $(grep ^API_2 "$DIR/cluster.env" | cut -d= -f2); env in $DIR/cluster.env"
}

# The events, dead-letter and lease streams exist on the node with the monitoring port $1.
streams_on() {
  curl -fs "http://127.0.0.1:$1/jsz" | python3 -c 'import sys, json; sys.exit(0 if json.load(sys.stdin).get("streams", 0) >= 3 else 1)'
}

stop_pid() { # NAME
  alive "$1" || return 0
  kill -TERM "$(cat "$DIR/pids/$1.pid")" 2>/dev/null || true
}

cmd_stop() {
  [ -d "$DIR/pids" ] || die "no cluster in $DIR"
  local name
  for name in "${PROCESSES[@]}"; do stop_pid "$name"; done
  local until=$((SECONDS + 20))
  for name in "${PROCESSES[@]}"; do
    while alive "$name" && [ $SECONDS -lt $until ]; do sleep 0.2; done
    alive "$name" && kill -KILL "$(cat "$DIR/pids/$name.pid")" 2>/dev/null || true
  done
  for name in nats-1 nats-2 nats-3; do stop_pid "$name"; done
  for name in nats-1 nats-2 nats-3; do
    while alive "$name" && [ $SECONDS -lt $((until + 10)) ]; do sleep 0.2; done
    alive "$name" && kill -KILL "$(cat "$DIR/pids/$name.pid")" 2>/dev/null || true
  done
  local bin; bin="$(pg_bindir)"
  # The replica first, then the primary and any other cluster a test made under DIR/pg (a restore's).
  for d in "$DIR/pg/replica" "$DIR"/pg/*/; do
    d="${d%/}"
    [ -f "$d/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$d" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  done
  echo "cluster in $DIR stopped"
}

cmd_status() {
  [ -d "$DIR/pids" ] || die "no cluster in $DIR"
  local name
  for name in nats-1 nats-2 nats-3 "${PROCESSES[@]}"; do
    if alive "$name"; then echo "$name: running (pid $(cat "$DIR/pids/$name.pid"))"; else echo "$name: stopped"; fi
  done
  for d in primary replica; do
    if [ -f "$DIR/pg/$d/postmaster.pid" ]; then echo "postgres-$d: running"; else echo "postgres-$d: stopped"; fi
  done
  (set -a; source "$DIR/cluster.env"; "$BIN" bus status --consumer case_list-p0of2 --consumer case_list-p1of2 \
    --consumer statistics-p0of2 --consumer statistics-p1of2 --consumer notifier) || true
}

[ $# -ge 2 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
case "$1" in
  pg) [ $# -ge 3 ] || die "pg stop|start DIR"; DIR="$(realpath -m "$3")"
      bin="$(pg_bindir)"
      case "$2" in
        stop) as_pg "$bin/pg_ctl" -D "$DIR/pg/primary" -m fast -w -t 30 stop >/dev/null ;;
        start) as_pg "$bin/pg_ctl" -D "$DIR/pg/primary" -l "$DIR/pg/primary.log" -w -t 30 start >/dev/null ;;
        *) die "pg stop|start DIR" ;;
      esac ;;
  start) DIR="$(realpath -m "$2")"; cmd_start ;;
  stop) DIR="$(realpath -m "$2")"; cmd_stop ;;
  status) DIR="$(realpath -m "$2")"; cmd_status ;;
  kill) DIR="$(realpath -m "$2")"; [ $# -ge 3 ] || die "kill DIR NAME [SIGNAL]"
        alive "$3" || die "$3 is not running"; kill "-${4:-KILL}" "$(cat "$DIR/pids/$3.pid")" ;;
  run) DIR="$(realpath -m "$2")"; [ $# -ge 3 ] || die "run DIR NAME"; run_one "$3" ;;
  *) die "unknown command $1 (start|stop|status|kill|run|pg)" ;;
esac
