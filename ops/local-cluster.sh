#!/usr/bin/env bash
# A local 3-node distcron cluster on one machine, from the built jar, on PostgreSQL.
#
#   ops/local-cluster.sh start            start nodes 1..3 (those not running), wait until each is ready
#   ops/local-cluster.sh start N          start node N only
#   ops/local-cluster.sh stop             SIGTERM every node (drain, hand off, leave) and wait for exit
#   ops/local-cluster.sh stop N           the same for node N
#   ops/local-cluster.sh kill N           SIGKILL node N (a crash: the others down it after ~8 s)
#   ops/local-cluster.sh restart N        stop N, then start it again (one step of a rolling restart)
#   ops/local-cluster.sh status           pid and readiness of each node, and the cluster's members
#
# Node N listens on 127.0.0.1: HTTP 808N, cluster (Artery) 255N, management 855N. Each node's pid and log
# are in ops/.run/ (node-N.pid, node-N.log). The three cluster ports are the seed nodes; node 1 forms
# the cluster when it starts first.
#
# Environment: DISTCRON_JAR (default target/distcron.jar), DISTCRON_DB_URL (default: schema
# distcron_local of the local PostgreSQL's database "test", created with psql if missing),
# DISTCRON_DB_USER (postgres), DISTCRON_DB_PASSWORD (empty), JAVA_OPTS (-Xmx256m), NODES (3),
# and any other DISTCRON_* variable, passed on to every node.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RUN="$ROOT/ops/.run"
JAR="${DISTCRON_JAR:-$ROOT/target/distcron.jar}"
NODES="${NODES:-3}"
HOST=127.0.0.1
JAVA_OPTS="${JAVA_OPTS:--Xmx256m}"
SCHEMA=distcron_local
export DISTCRON_DB_URL="${DISTCRON_DB_URL:-jdbc:postgresql://127.0.0.1:5432/test?currentSchema=$SCHEMA}"
export DISTCRON_DB_USER="${DISTCRON_DB_USER:-postgres}"
export DISTCRON_DB_PASSWORD="${DISTCRON_DB_PASSWORD:-}"
START_TIMEOUT=60
# SIGTERM waits for runs in progress (drain-grace, 30 s by default) plus the rest of coordinated shutdown.
STOP_TIMEOUT="${STOP_TIMEOUT:-90}"

http_port() { echo $((8080 + $1)); }
cluster_port() { echo $((2550 + $1)); }
management_port() { echo $((8550 + $1)); }
pid_file() { echo "$RUN/node-$1.pid"; }
log_file() { echo "$RUN/node-$1.log"; }

# The seed nodes for node N: every node, those running first. Only a node that is first in its own
# list may form a new cluster, so a node started while others run always joins them and can never
# form a second cluster beside theirs (see ops/RUNBOOK.md, "Seed nodes").
seed_nodes() {
  local self="$1" running="" others="" n
  for n in $(seq 1 "$NODES"); do
    if [ "$n" != "$self" ] && [ -n "$(running_pid "$n")" ]; then
      running="$running${running:+,}$HOST:$(cluster_port "$n")"
    else
      others="$others${others:+,}$HOST:$(cluster_port "$n")"
    fi
  done
  echo "$running${running:+${others:+,}}$others"
}

die() { echo "local-cluster: $*" >&2; exit 1; }

check_node() {
  [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "no node '$1' (1..$NODES)"
}

# The pid of node N if that process is alive, else nothing.
running_pid() {
  local f pid
  f="$(pid_file "$1")"
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

ready() { curl -fsS -m 2 "http://$HOST:$(management_port "$1")/ready" >/dev/null 2>&1; }

ensure_schema() {
  # Only for the default URL: a URL given by the caller is the caller's to prepare.
  if [[ "$DISTCRON_DB_URL" == *"currentSchema=$SCHEMA"* ]]; then
    command -v psql >/dev/null || die "psql not found: create schema $SCHEMA yourself"
    psql -h 127.0.0.1 -U "$DISTCRON_DB_USER" -d test -qtAc "CREATE SCHEMA IF NOT EXISTS $SCHEMA" >/dev/null \
      || die "cannot create schema $SCHEMA in database test at 127.0.0.1:5432"
  fi
}

start_node() {
  local n="$1" pid
  pid="$(running_pid "$n")"
  if [ -n "$pid" ]; then echo "node $n already running (pid $pid)"; return 0; fi
  [ -f "$JAR" ] || die "$JAR not found: build it with mvn -B -q package -DskipTests"
  mkdir -p "$RUN"
  # The environment names the node; nohup + setsid: the node outlives this shell and its terminal.
  DISTCRON_HTTP_PORT="$(http_port "$n")" \
  DISTCRON_CLUSTER_HOST="$HOST" \
  DISTCRON_CLUSTER_PORT="$(cluster_port "$n")" \
  DISTCRON_MANAGEMENT_PORT="$(management_port "$n")" \
  DISTCRON_SEED_NODES="$(seed_nodes "$n")" \
    setsid nohup java $JAVA_OPTS -jar "$JAR" >>"$(log_file "$n")" 2>&1 </dev/null &
  echo $! >"$(pid_file "$n")"
  echo "node $n started (pid $!): api http://$HOST:$(http_port "$n")/api/v1," \
    "management http://$HOST:$(management_port "$n"), seeds $(seed_nodes "$n"), log $(log_file "$n")"
}

await_ready() {
  local n="$1" i
  for i in $(seq 1 "$START_TIMEOUT"); do
    if ready "$n"; then echo "node $n ready"; return 0; fi
    [ -n "$(running_pid "$n")" ] || die "node $n exited while starting; see $(log_file "$n")"
    sleep 1
  done
  die "node $n not ready after ${START_TIMEOUT}s; see $(log_file "$n")"
}

stop_node() {
  local n="$1" pid i
  pid="$(running_pid "$n")"
  if [ -z "$pid" ]; then echo "node $n not running"; rm -f "$(pid_file "$n")"; return 0; fi
  kill -TERM "$pid"
  for i in $(seq 1 "$STOP_TIMEOUT"); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$(pid_file "$n")"
      echo "node $n stopped"
      return 0
    fi
    sleep 1
  done
  die "node $n (pid $pid) still running ${STOP_TIMEOUT}s after SIGTERM; 'kill $n' ends it"
}

kill_node() {
  local n="$1" pid
  pid="$(running_pid "$n")"
  if [ -z "$pid" ]; then echo "node $n not running"; return 0; fi
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$(pid_file "$n")"
  echo "node $n killed (pid $pid)"
}

status() {
  local n pid any=""
  for n in $(seq 1 "$NODES"); do
    pid="$(running_pid "$n")"
    if [ -z "$pid" ]; then
      echo "node $n: down"
    else
      if ready "$n"; then echo "node $n: pid $pid, ready"; else echo "node $n: pid $pid, not ready"; fi
      [ -n "$any" ] || any="$n"
    fi
  done
  if [ -n "$any" ]; then
    echo "members (as node $any sees them):"
    curl -fsS -m 3 "http://$HOST:$(management_port "$any")/cluster/members" || echo "  (no answer)"
    echo
  fi
}

nodes_or() { if [ -n "${1:-}" ]; then check_node "$1"; echo "$1"; else seq 1 "$NODES"; fi; }

cmd="${1:-}"
case "$cmd" in
  start)
    ensure_schema
    targets="$(nodes_or "${2:-}")"
    for n in $targets; do start_node "$n"; done
    for n in $targets; do await_ready "$n"; done
    ;;
  stop)
    for n in $(nodes_or "${2:-}"); do stop_node "$n"; done
    ;;
  kill)
    [ -n "${2:-}" ] || die "usage: $0 kill N"
    check_node "$2"
    kill_node "$2"
    ;;
  restart)
    [ -n "${2:-}" ] || die "usage: $0 restart N"
    check_node "$2"
    ensure_schema
    stop_node "$2"
    start_node "$2"
    await_ready "$2"
    ;;
  status)
    status
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
