#!/usr/bin/env bash
# distcron benchmark: drives a real cluster of target/distcron.jar and prints its figures.
#
#   bench/run.sh [--jobs J] [--nodes N] [--seconds D] [--warmup W] [--kill] [--kill-node I]
#                [--db postgres|h2] [--action noop|shell] [--jfr] [--port-base P] [--clients C]
#                [--node-env NAME=VALUE]... [--scale [--scale-jobs K]] [--apply-batch B]
#
# Prints progress on stderr, a table on stdout and, as the last line of stdout, one JSON object.
# Everything it starts (nodes, a PostgreSQL schema) is stopped / dropped on exit. Logs, pids, JFR
# recordings of the last run stay in bench/.run/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
RUN=$HERE/.run
JAR=$ROOT/target/distcron.jar

JOBS=1000
NODES=3
DURATION=60
WARMUP=15
KILL=0
KILL_NODE=""
DB=postgres
ACTION=noop
JFR=0
SCALE=0
SCALE_JOBS=100000
PORT_BASE=${BENCH_PORT_BASE:-37100}
CLIENTS=""
APPLY_BATCH=0
PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
PG_PORT=${BENCH_PG_PORT:-5432}
PG_DB=${BENCH_PG_DB:-test}
PG_USER=${BENCH_PG_USER:-postgres}
NODE_JAVA_OPTS=${BENCH_JAVA_OPTS:-}
NODE_ENV=()

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS=$2; shift 2 ;;
    --nodes) NODES=$2; shift 2 ;;
    --seconds) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --kill) KILL=1; shift ;;
    --kill-node) KILL=1; KILL_NODE=$2; shift 2 ;;
    --db) DB=$2; shift 2 ;;
    --action) ACTION=$2; shift 2 ;;
    --jfr) JFR=1; shift ;;
    --scale) SCALE=1; shift ;;
    --scale-jobs) SCALE=1; SCALE_JOBS=$2; shift 2 ;;
    --port-base) PORT_BASE=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --apply-batch) APPLY_BATCH=$2; shift 2 ;;
    --node-env) NODE_ENV+=("$2"); shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
  esac
done

case "$DB" in postgres|h2) ;; *) echo "run.sh: --db postgres|h2" >&2; exit 2 ;; esac
case "$ACTION" in noop|shell) ;; *) echo "run.sh: --action noop|shell" >&2; exit 2 ;; esac
if [ "$DB" = h2 ] && [ "$NODES" != 1 ]; then
  echo "run.sh: H2 is a single-node database: use --nodes 1 with --db h2" >&2; exit 2
fi
if [ "$KILL" = 1 ] && [ "$NODES" -lt 3 ]; then
  echo "run.sh: --kill needs 3 or more nodes (the split brain resolver keeps the majority)" >&2; exit 2
fi
[ -n "$KILL_NODE" ] || KILL_NODE=$NODES
[ -n "$CLIENTS" ] || CLIENTS=$((4 * NODES))

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now_ms() { date +%s%3N; }
sleep_until_ms() {
  local left=$(( $1 - $(now_ms) ))
  if [ "$left" -gt 0 ]; then sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"; fi
}

# ---------------------------------------------------------------- setup

# Nodes read DISTCRON_* from the environment: start from a clean slate so the caller's shell cannot
# change what is measured (an admin token, roles, another database...).
for v in $(compgen -e | grep '^DISTCRON_' || true); do unset "$v"; done

mkdir -p "$RUN"
if [ -f "$RUN/bench.pid" ] && kill -0 "$(cat "$RUN/bench.pid")" 2>/dev/null; then
  echo "run.sh: another benchmark (pid $(cat "$RUN/bench.pid")) is using $RUN" >&2; exit 1
fi
rm -rf "${RUN:?}"/*
echo $$ > "$RUN/bench.pid"

if [ ! -f "$JAR" ]; then
  log "building $JAR"
  (cd "$ROOT" && { mvn -q -o -B package -DskipTests || mvn -q -B package -DskipTests; }) >&2
fi

for i in $(seq 1 "$NODES"); do
  for port in $((PORT_BASE + i)) $((PORT_BASE + 100 + i)) $((PORT_BASE + 200 + i)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "run.sh: port $port is in use; pick another range with --port-base" >&2; exit 1
    fi
  done
done

SCHEMA=""
APP_NAME="distcron_bench_$$"
if [ "$DB" = postgres ]; then
  SCHEMA="bench_$$_$RANDOM"
  DB_URL="jdbc:postgresql://$PG_HOST:$PG_PORT/$PG_DB?currentSchema=$SCHEMA&ApplicationName=$APP_NAME"
  DB_USER=$PG_USER
else
  DB_URL="jdbc:h2:file:$RUN/h2/distcron;DATABASE_TO_UPPER=false;AUTO_SERVER=TRUE"
  DB_USER=sa
fi
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" "$@"; }

pid_of() { local p=""; [ -f "$RUN/node-$1.pid" ] && read -r p < "$RUN/node-$1.pid"; echo "$p"; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Stops every node this script started: SIGTERM (coordinated shutdown), SIGKILL after a timeout.
stop_nodes() {
  local pids="" pid i
  for i in $(seq 1 "$NODES"); do
    pid=$(pid_of "$i")
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; pids="$pids $pid"; fi
  done
  [ -n "$pids" ] || return 0
  local deadline=$(( $(now_ms) + 40000 ))
  for pid in $pids; do
    while alive "$pid" && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.2; done
    if alive "$pid"; then log "node pid $pid did not stop in time: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  done
  for pid in $pids; do while alive "$pid"; do sleep 0.1; done; done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_nodes
  if [ -n "$SCHEMA" ] && [ "${BENCH_KEEP_SCHEMA:-0}" = 1 ]; then
    log "BENCH_KEEP_SCHEMA=1: kept schema $SCHEMA (drop it with: DROP SCHEMA $SCHEMA CASCADE)"
  elif [ -n "$SCHEMA" ]; then
    psql_ -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || log "could not drop schema $SCHEMA"
  fi
  rm -rf "$RUN/h2" "$RUN"/data-* "$RUN/bench.pid"
  [ "$rc" = 0 ] || log "failed (exit $rc); node logs are in $RUN/"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$DB" = postgres ]; then
  psql_ -c "CREATE SCHEMA $SCHEMA" >/dev/null
  log "PostgreSQL schema $SCHEMA in database $PG_DB on $PG_HOST:$PG_PORT"
fi

# The helper: compiled once per run against the jar (which carries the JDBC drivers).
CP="$RUN/classes:$JAR"
helper() { java -cp "$CP" Bench "$@"; }
# "maxOrdering journalRows snapshotRows": psql on PostgreSQL (no JVM start inside the window).
journal_mark() {
  if [ "$DB" = postgres ]; then
    psql_ -At -F ' ' -c "SET search_path TO $SCHEMA" \
      -c "SELECT COALESCE(MAX(ordering), 0), COUNT(*), (SELECT COUNT(*) FROM snapshot), (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint FROM event_journal"
  else
    helper mark "${DBARGS[@]}"
  fi
}
DBARGS=(--db-url "$DB_URL" --db-user "$DB_USER")

SEEDS=$(for i in $(seq 1 "$NODES"); do printf '127.0.0.1:%d,' $((PORT_BASE + i)); done)
SEEDS=${SEEDS%,}
API_URLS=$(for i in $(seq 1 "$NODES"); do printf 'http://127.0.0.1:%d/api/v1,' $((PORT_BASE + 100 + i)); done)
API_URLS=${API_URLS%,}
node_address() { echo "127.0.0.1:$((PORT_BASE + $1))"; }

start_node() {
  local i=$1
  # shellcheck disable=SC2086
  env DISTCRON_CLUSTER_PORT=$((PORT_BASE + i)) \
      DISTCRON_HTTP_PORT=$((PORT_BASE + 100 + i)) \
      DISTCRON_MANAGEMENT_PORT=$((PORT_BASE + 200 + i)) \
      DISTCRON_SEED_NODES="$SEEDS" \
      DISTCRON_DB_URL="$DB_URL" DISTCRON_DB_USER="$DB_USER" \
      DISTCRON_DATA_DIR="$RUN/data-$i" \
      DISTCRON_CHANGES_PER_SECOND=1000000 \
      DISTCRON_DRAIN_GRACE=5s \
      "${NODE_ENV[@]}" \
      nohup java $NODE_JAVA_OPTS -jar "$JAR" >>"$RUN/node-$i.log" 2>&1 &
  echo $! > "$RUN/node-$i.pid"
}

start_all() {
  local i
  for i in $(seq 1 "$NODES"); do start_node "$i"; done
}

wait_ready() {
  local deadline=$(( $(now_ms) + 240000 )) i
  for i in $(seq 1 "$NODES"); do
    until curl -sf -o /dev/null "http://127.0.0.1:$((PORT_BASE + 200 + i))/ready"; do
      if ! alive "$(pid_of "$i")"; then log "node $i died while starting:"; tail -20 "$RUN/node-$i.log" >&2; exit 1; fi
      if [ "$(now_ms)" -gt "$deadline" ]; then log "node $i not ready after 240 s"; tail -20 "$RUN/node-$i.log" >&2; exit 1; fi
      sleep 0.5
    done
  done
}

# Used heap in bytes after a full GC, one figure per node (comma-separated).
heap_used() {
  local out="" i pid kb
  for i in $(seq 1 "$NODES"); do
    pid=$(pid_of "$i")
    if ! alive "$pid"; then log "node $i (pid $pid) is gone:"; tail -5 "$RUN/node-$i.log" >&2; exit 1; fi
    jcmd "$pid" GC.run >/dev/null 2>&1 || true
    kb=$(jcmd "$pid" GC.heap_info 2>/dev/null | awk '/heap/ && /used/ { for (f = 1; f <= NF; f++) if ($f == "used") { v = $(f + 1); sub(/K.*/, "", v); print v; exit } }')
    if [ -z "$kb" ]; then log "could not read the heap of node $i (pid $pid)"; exit 1; fi
    out="$out$((kb * 1024)),"
  done
  echo "${out%,}"
}

# CPU accounting: one line "kind pid ticks" per process (utime+stime, plus reaped children for nodes:
# shell runs). kind: node = a distcron JVM, db = a backend of this run (by application_name),
# aux = PostgreSQL's own background processes (shared with anyone else using the server).
# The PostgreSQL processes to account: this run's backends (by application_name) and the server's own
# background processes. Looked up outside the measured window: a psql start costs time on a busy box.
db_pids_refresh() {
  : > "$RUN/db-pids"
  [ "$DB" = postgres ] || return 0
  psql_ -At -c "SELECT 'db ' || pid FROM pg_stat_activity WHERE application_name = '$APP_NAME'" >> "$RUN/db-pids"
  ps -u postgres -o pid=,args= | awk '/walwriter|checkpointer|background writer|autovacuum launcher/ { print "aux", $1 }' >> "$RUN/db-pids"
}
# One awk over /proc/<pid>/stat of every accounted process: cheap enough to run inside the window.
cpu_snapshot() {
  local map="" files=() i pid kind
  for i in $(seq 1 "$NODES"); do
    pid=$(pid_of "$i")
    if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then map="$map $pid=node"; files+=("/proc/$pid/stat"); fi
  done
  if [ -f "$RUN/db-pids" ]; then
    while read -r kind pid; do
      if [ -r "/proc/$pid/stat" ]; then map="$map $pid=$kind"; files+=("/proc/$pid/stat"); fi
    done < "$RUN/db-pids"
  fi
  [ "${#files[@]}" -gt 0 ] || return 0
  awk -v map="$map" '
    BEGIN { n = split(map, pairs, " "); for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); kind[kv[1]] = kv[2] } }
    { split(FILENAME, path, "/"); p = path[3]; sub(/^.*\) /, ""); print kind[p], p, $12 + $13 + $14 + $15 }' \
    "${files[@]}" 2>/dev/null || true
}
# Seconds per kind across the snapshot files: per process, last seen minus first seen (a process first
# seen after the first snapshot counts from 0).
cpu_seconds() {
  local hz; hz=$(getconf CLK_TCK)
  awk -v hz="$hz" -v kind="$1" 'FNR == 1 { file++ }
    $1 == kind { if (!($2 in first)) first[$2] = (file == 1 ? $3 : 0); last[$2] = $3 }
    END { s = 0; for (p in last) s += last[p] - first[p]; printf "%.2f\n", s / hz }' "${@:2}"
}

jfr_start() {
  [ "$JFR" = 1 ] || return 0
  local i
  for i in $(seq 1 "$NODES"); do jcmd "$(pid_of "$i")" JFR.start name="$1" settings=profile >/dev/null; done
}
jfr_stop() {
  [ "$JFR" = 1 ] || return 0
  local i pid recordings=""
  for i in $(seq 1 "$NODES"); do
    pid=$(pid_of "$i")
    if alive "$pid"; then
      jcmd "$pid" JFR.stop name="$1" filename="$RUN/$1-node-$i.jfr" >/dev/null
      recordings="$recordings$RUN/$1-node-$i.jfr,"
    fi
  done
  helper jfr --files "${recordings%,}" > "$RUN/$1-jfr-summary.txt"
  log "JFR profile summary ($1) in $RUN/$1-jfr-summary.txt (recordings: $RUN/$1-node-*.jfr)"
}

# ---------------------------------------------------------------- the run

log "starting $NODES node(s) of $JAR ($DB, ports $((PORT_BASE + 1))+ cluster, $((PORT_BASE + 101))+ API, $((PORT_BASE + 201))+ management)"
start_all
javac -nowarn -d "$RUN/classes" -cp "$JAR" "$HERE/Bench.java"
wait_ready
log "all $NODES node(s) ready"
sleep 2
HEAP_BEFORE=$(heap_used)
db_pids_refresh
# The cost of an idle cluster (heartbeats, gossip, load publishing), for comparison with the window.
cpu_snapshot > "$RUN/cpu-idle-0.txt"; IDLE0=$(now_ms)
sleep 5
cpu_snapshot > "$RUN/cpu-idle-1.txt"
IDLE_CPU=$(awk -v c="$(cpu_seconds node "$RUN/cpu-idle-0.txt" "$RUN/cpu-idle-1.txt")" -v ms=$(( $(now_ms) - IDLE0 )) 'BEGIN { printf "%.3f", c / (ms / 1000) }')
log "idle cluster: $IDLE_CPU CPU-seconds per second (all nodes)"

db_pids_refresh
cpu_snapshot > "$RUN/cpu-reg-0.txt"
jfr_start register
if [ "$SCALE" = 1 ]; then
  PER_SECOND=$(( SCALE_JOBS / 100 )); [ "$PER_SECOND" -ge 1 ] || PER_SECOND=1
  HOURLY=$(( SCALE_JOBS - PER_SECOND ))
  TOTAL_JOBS=$SCALE_JOBS
  log "scale mode: registering $HOURLY hourly + $PER_SECOND per-second $ACTION jobs"
  REG1=$(helper register --urls "$API_URLS" --prefix bench-h- --count "$HOURLY" --schedule "@hourly" --action "$ACTION" --concurrency "$CLIENTS" --apply-batch "$APPLY_BATCH")
  REG2=$(helper register --urls "$API_URLS" --prefix bench-s- --count "$PER_SECOND" --schedule "* * * * * ?" --action "$ACTION" --concurrency "$CLIENTS" --apply-batch "$APPLY_BATCH")
  REG_SECONDS=$(awk -v a="$REG1" -v b="$REG2" 'BEGIN { printf "%.3f", a + b }')
else
  PER_SECOND=$JOBS
  TOTAL_JOBS=$JOBS
  log "registering $JOBS per-second $ACTION jobs with $CLIENTS concurrent clients"
  REG_SECONDS=$(helper register --urls "$API_URLS" --prefix bench-s- --count "$JOBS" --schedule "* * * * * ?" --action "$ACTION" --concurrency "$CLIENTS" --apply-batch "$APPLY_BATCH")
fi

db_pids_refresh
cpu_snapshot > "$RUN/cpu-reg-1.txt"
jfr_stop register
REG_CPU=$(cpu_seconds node "$RUN/cpu-reg-0.txt" "$RUN/cpu-reg-1.txt")
REG_CPU_DB=$(cpu_seconds db "$RUN/cpu-reg-0.txt" "$RUN/cpu-reg-1.txt")
log "registration used $REG_CPU CPU-s in the nodes and $REG_CPU_DB in PostgreSQL backends"
log "warm-up ${WARMUP}s"
sleep "$WARMUP"
HEAP_AFTER=$(heap_used)
EXTRA=""

if [ "$SCALE" = 1 ]; then
  log "cold start: stopping all nodes"
  stop_nodes
  COLD_START_MS=$(now_ms)
  log "cold start: starting all nodes"
  start_all
  wait_ready
  READY_S=$(awk -v a="$(now_ms)" -v b="$COLD_START_MS" 'BEGIN { printf "%.1f", (a - b) / 1000 }')
  log "all nodes ready after ${READY_S}s; waiting for every per-second job to fire"
  COLD_S=$(helper wait-fired "${DBARGS[@]}" --prefix bench-s- --count "$PER_SECOND" --since "$COLD_START_MS" --timeout 600)
  log "every per-second job fired again ${COLD_S}s after the cold start"
  sleep 5
  HEAP_COLD=$(heap_used)
  EXTRA="perSecondJobs=$PER_SECOND,hourlyJobs=$HOURLY,registerSeconds=$REG_SECONDS,coldStartReadySeconds=$READY_S,coldStartSeconds=$COLD_S,heapUsedPerNodeAfterColdStartBytes=${HEAP_COLD//,/;}"
fi

# A loaded machine can starve the failure detector into downing nodes: measure only a whole cluster.
for i in $(seq 1 "$NODES"); do
  if ! curl -sf -o /dev/null "http://127.0.0.1:$((PORT_BASE + 200 + i))/ready"; then
    log "node $i is not ready before the window (alive: $(alive "$(pid_of "$i")" && echo yes || echo no)); see $RUN/node-$i.log"
    exit 1
  fi
done

db_pids_refresh
T0=$(( $(now_ms) / 1000 + 3 ))
T1=$(( T0 + DURATION ))
# Journal marks half a second before the window's edges, when per-second jobs are quiet, so the rows
# between them belong to whole ticks; CPU is read at the edges.
sleep_until_ms $(( T0 * 1000 - 500 ))
J0=$(journal_mark)
sleep_until_ms $(( T0 * 1000 ))
cpu_snapshot > "$RUN/cpu-0.txt"
jfr_start window
log "measuring ${DURATION}s"
CPU_FILES=("$RUN/cpu-0.txt")
KILL_ARGS=()
if [ "$KILL" = 1 ]; then
  KILL_AT_MS=$(( T0 * 1000 + DURATION * 500 ))
  KPID=$(pid_of "$KILL_NODE")
  sleep_until_ms "$KILL_AT_MS"
  # The killed node's CPU up to its death, then the kill itself: nothing slow in between.
  awk -v p="$KPID" '{ sub(/^.*\) /, ""); print "node", p, $12 + $13 + $14 + $15 }' "/proc/$KPID/stat" > "$RUN/cpu-kill.txt"
  kill -KILL "$KPID"
  KILL_AT_MS=$(now_ms)
  CPU_FILES+=("$RUN/cpu-kill.txt")
  log "SIGKILLed node $KILL_NODE (pid $KPID, $(node_address "$KILL_NODE"))"
  KILL_ARGS=(--kill-at "$KILL_AT_MS" --killed-node "$(node_address "$KILL_NODE")")
fi
sleep_until_ms $(( T1 * 1000 - 500 ))
J1=$(journal_mark)
sleep_until_ms $(( T1 * 1000 ))
cpu_snapshot > "$RUN/cpu-1.txt"
# Backends opened during the window count from zero (cpu_seconds), so look them up once more.
cp "$RUN/db-pids" "$RUN/db-pids-0"; db_pids_refresh
grep -v -x -F -f "$RUN/db-pids-0" "$RUN/db-pids" > "$RUN/db-pids-new" || true
mv "$RUN/db-pids-new" "$RUN/db-pids"; cpu_snapshot > "$RUN/cpu-1b.txt"
CPU_FILES+=("$RUN/cpu-1.txt" "$RUN/cpu-1b.txt")
LOST_NODES=""
for i in $(seq 1 "$NODES"); do
  [ "$KILL" = 1 ] && [ "$i" = "$KILL_NODE" ] && continue
  alive "$(pid_of "$i")" || LOST_NODES="$LOST_NODES node-$i"
done
[ -z "$LOST_NODES" ] || log "WARNING: these nodes stopped during the window:$LOST_NODES (see their logs in $RUN)"
jfr_stop window
log "window over; reading the runs table"

# Read-side lag: each projection batch records how long ago its oldest event was written
# (distcron_projection_lag, a histogram on every node's /metrics). Summed over the nodes, whole run.
read_lag() {
  for i in $(seq 1 "$NODES"); do
    [ "$KILL" = 1 ] && [ "$i" = "$KILL_NODE" ] && continue
    curl -sf "http://127.0.0.1:$((PORT_BASE + 200 + i))/metrics" || true
  done | awk '
    /^distcron_projection_lag_seconds_bucket/ {
      match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
      if (!(le in n)) order[++m] = le   # exposition lists buckets in increasing order
      n[le] += $NF
    }
    END {
      total = n["+Inf"]
      if (total == 0) { print "n/a n/a"; exit }
      p50 = "n/a"; p99 = "n/a"
      for (k = 1; k <= m; k++) {
        le = order[k]; if (le == "+Inf") continue
        if (p50 == "n/a" && n[le] >= 0.50 * total) p50 = le * 1000
        if (p99 == "n/a" && n[le] >= 0.99 * total) p99 = le * 1000
      }
      print p50, p99
    }'
}
read -r LAG_P50 LAG_P99 <<<"$(read_lag)"
EXTRA="${EXTRA:+$EXTRA,}readLagBatchP50Ms=$LAG_P50,readLagBatchP99Ms=$LAG_P99"

read -r J0_MAX _ _ J0_AT <<<"$J0"
read -r J1_MAX J1_ROWS J1_SNAPS J1_AT <<<"$J1"
# Heap of the nodes: before registering vs with the jobs (scale mode: the same, before the cold start).
helper analyze "${DBARGS[@]}" --prefix bench-s- --jobs "$PER_SECOND" --total-jobs "$TOTAL_JOBS" --nodes "$NODES" \
  --t0 "$T0" --t1 "$T1" \
  --cpu-nodes "$(cpu_seconds node "${CPU_FILES[@]}")" \
  --cpu-db "$(cpu_seconds db "${CPU_FILES[@]}")" \
  --cpu-db-shared "$(cpu_seconds aux "${CPU_FILES[@]}")" \
  --journal0 "$J0_MAX" --journal1 "$J1_MAX" --journal0-at "$J0_AT" --journal1-at "$J1_AT" \
  --journal-rows "$J1_ROWS" --snapshot-rows "$J1_SNAPS" --register-cpu "$REG_CPU" --register-cpu-db "$REG_CPU_DB" \
  --heap-before "$HEAP_BEFORE" --heap-after "$HEAP_AFTER" \
  --register-seconds "$REG_SECONDS" --registered "$TOTAL_JOBS" --idle-cpu "$IDLE_CPU" \
  ${EXTRA:+--extra "$EXTRA"} ${LOST_NODES:+--lost-nodes "${LOST_NODES# }"} "${KILL_ARGS[@]}" > "$RUN/result.txt"
if [ "$JFR" = 1 ]; then cat "$RUN/register-jfr-summary.txt" "$RUN/window-jfr-summary.txt" >&2; fi
cat "$RUN/result.txt"
