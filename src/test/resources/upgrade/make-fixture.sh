#!/usr/bin/env bash
# Regenerates the databases UpgradeTest starts on: each written by one node of a distcron jar (the
# version whose events, snapshots and read side a later version must still read).
#
#   src/test/resources/upgrade/make-fixture.sh [--jar PATH] [--db h2|postgres|both] [--seconds N]
#
# For each database: a node of the jar on a fresh database (H2 in a temp dir; PostgreSQL at
# 127.0.0.1:5432, database "test", in a temp schema), the jobs of define_jobs() created and changed
# through the API, N seconds (default 150) of running, then what the API shows is written to
# expected.json, the node is stopped with SIGTERM and its database kept:
#   h2/distcron.mv.db.gz        the H2 file, gzipped
#   postgres/fixture.sql.gz     pg_dump --inserts of the schema, gzipped; the schema's name is
#                               __SCHEMA__ and its CREATE SCHEMA is left out (the test makes it)
# Not run by the tests. Needs java, curl, jq, gzip and, for PostgreSQL, psql and pg_dump.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../../.." && pwd)
JAR=$ROOT/target/distcron.jar
DB=both
SECONDS_RUNNING=150
PORT_BASE=${FIXTURE_PORT_BASE:-37380}
HTTP_PORT=$PORT_BASE
CLUSTER_PORT=$((PORT_BASE + 1))
MANAGEMENT_PORT=$((PORT_BASE + 2))
# Nothing listens here: the HTTP job's runs fail with a refused connection.
CLOSED_PORT=${FIXTURE_CLOSED_PORT:-1}
PG_ADMIN=(env PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -p 5432 -U postgres -d test -v ON_ERROR_STOP=1 -qtA)
PG_SCHEMA=distcron_upgrade_fixture
API=http://127.0.0.1:$HTTP_PORT/api/v1

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --jar) JAR=$2; shift 2 ;;
    --db) DB=$2; shift 2 ;;
    --seconds) SECONDS_RUNNING=$2; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "make-fixture.sh: unknown argument $1" >&2; usage ;;
  esac
done
case "$DB" in h2|postgres|both) ;; *) echo "make-fixture.sh: --db h2|postgres|both" >&2; exit 2 ;; esac
[ -f "$JAR" ] || { echo "make-fixture.sh: no jar at $JAR (mvn -B -q package -DskipTests)" >&2; exit 2; }
if [ "$SECONDS_RUNNING" -lt 130 ]; then
  # The per-second job needs over 100 events: several snapshots (one every 20) and compactions.
  echo "make-fixture.sh: --seconds must be at least 130" >&2; exit 2
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$CLOSED_PORT") 2>/dev/null; then
  echo "make-fixture.sh: something listens on 127.0.0.1:$CLOSED_PORT; set FIXTURE_CLOSED_PORT" >&2; exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/distcron-fixture-XXXXXX")
NODE_PID=""

log() { printf '[fixture %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local rc=$?
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then kill -KILL "$NODE_PID" || true; fi
  "${PG_ADMIN[@]}" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
  if [ "$rc" = 0 ]; then rm -rf "$WORK"; else log "failed; node logs kept in $WORK"; fi
}
trap cleanup EXIT

# api METHOD PATH [BODY]: the response body on stdout; any status but 2xx fails the script.
api() {
  local out status
  out=$(mktemp "$WORK/response-XXXXXX")
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$API$2")
  if [ "${status:0:1}" != 2 ]; then
    echo "make-fixture.sh: $1 $2 -> $status $(cat "$out")" >&2
    exit 1
  fi
  cat "$out"
  rm -f "$out"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what=$1 deadline=$(( $(date +%s) + $2 ))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -gt "$deadline" ]; then
      echo "make-fixture.sh: timed out waiting for $what" >&2
      exit 1
    fi
    sleep 0.2
  done
}

run_status() { api GET "/runs/$1" | jq -r .status; }
is_running() { [ "$(run_status "$1")" = RUNNING ]; }
is_finished() { case "$(run_status "$1")" in PENDING|RUNNING) return 1 ;; *) return 0 ;; esac; }
has_run() { [ "$(api GET "/jobs/$1/runs?limit=500" | jq "[.items[] | select($2)] | length")" -ge "$3" ]; }

start_node() { # LOG ENV...
  local node_log=$1
  shift
  env "$@" DISTCRON_HTTP_PORT="$HTTP_PORT" DISTCRON_CLUSTER_PORT="$CLUSTER_PORT" \
    DISTCRON_MANAGEMENT_PORT="$MANAGEMENT_PORT" DISTCRON_COMPACT_INTERVAL=10s \
    java -Xmx512m -Ddistcron.job.snapshot-every=20 -jar "$JAR" >"$node_log" 2>&1 &
  NODE_PID=$!
  wait_for "the node's API" 90 curl -sf "$API/jobs"
  log "node $NODE_PID up, log $node_log"
}

stop_node() {
  log "SIGTERM to node $NODE_PID"
  kill -TERM "$NODE_PID"
  local rc=0
  wait "$NODE_PID" || rc=$?
  NODE_PID=""
  [ "$rc" = 0 ] || { echo "make-fixture.sh: the node exited $rc, not 0" >&2; exit 1; }
}

# Every kind of action, schedule syntax and policy; timings in the comments are from the start.
define_jobs() {
  # Per second, noop: one event per run, so > 100 events, a snapshot every 20 and compactions.
  api POST /jobs '{"name": "tick-noop", "description": "every second, no process",
    "labels": {"kind": "noop", "tier": "fast"}, "schedule": "* * * * * ?", "noop": {},
    "overlap": "ALLOW", "catchUp": {"policy": "LATEST", "window": "PT10M"}}' >/dev/null
  api POST /jobs '{"name": "shell-echo", "description": "greets every 10 seconds",
    "labels": {"team": "ops", "kind": "shell"}, "schedule": "*/10 * * * * ?", "timezone": "Europe/Berlin",
    "shell": {"command": "echo hello from $GREETING", "env": {"GREETING": "fixture"}, "workingDir": "/tmp"},
    "timeoutSeconds": 30, "overlap": "QUEUE_ONE", "catchUp": {"policy": "LATEST", "window": "PT30M"}}' >/dev/null
  # Fails every time: each tick is a run and two retries.
  api POST /jobs '{"name": "shell-retry", "labels": {"team": "ops", "kind": "shell"},
    "schedule": "5 * * * * ?", "shell": {"command": "echo attempt failing; exit 3"},
    "retry": {"maxAttempts": 3, "backoff": "PT2S", "multiplier": 2.0, "maxBackoff": "PT5S"},
    "catchUp": {"policy": "NONE"}}' >/dev/null
  api POST /jobs "{\"name\": \"http-closed\", \"labels\": {\"kind\": \"http\"}, \"schedule\": \"0/20 * * * * ?\",
    \"http\": {\"method\": \"POST\", \"url\": \"http://127.0.0.1:$CLOSED_PORT/hook\",
      \"headers\": {\"Content-Type\": \"application/json\", \"X-Fixture\": \"yes\"}, \"body\": \"{\\\"ping\\\": 1}\",
      \"timeoutSeconds\": 5, \"expectStatus\": [200, 204]},
    \"catchUp\": {\"policy\": \"ALL\", \"window\": \"PT2M\", \"maxRuns\": 3}}" >/dev/null
  api POST /jobs '{"name": "timeout-job", "schedule": "0/30 * * * * ?", "shell": {"command": "sleep 20"},
    "timeoutSeconds": 1, "catchUp": {"policy": "NONE"}}' >/dev/null
  api POST /jobs '{"name": "slow-job", "schedule": "@yearly", "timezone": "Asia/Tokyo",
    "shell": {"command": "echo started; sleep 300"}, "overlap": "REPLACE"}' >/dev/null
  api POST /jobs '{"name": "hourly-report", "description": "on the hour in New York", "labels": {"team": "finance"},
    "schedule": "@hourly", "timezone": "America/New_York", "shell": {"command": "date"},
    "timeoutSeconds": 600, "overlap": "REPLACE"}' >/dev/null
  api POST /jobs '{"name": "daily-backup", "description": "nightly dump", "labels": {"team": "ops"},
    "schedule": "30 2 * * *", "timezone": "Europe/Berlin", "shell": {"command": "echo backup done"},
    "catchUp": {"policy": "LATEST", "window": "PT6H"},
    "retry": {"maxAttempts": 5, "backoff": "PT1M", "multiplier": 1.5, "maxBackoff": "PT10M"}}' >/dev/null
  api POST /jobs '{"name": "second-tuesday", "schedule": "0 0 12 ? * TUE#2 2030-2099",
    "timezone": "Australia/Lord_Howe", "noop": {}}' >/dev/null
  api POST /jobs '{"name": "every-5m", "schedule": "@every 5m", "noop": {}, "labels": {"kind": "noop"}}' >/dev/null
  api POST /jobs '{"name": "defaults-noop", "schedule": "@daily", "noop": {}}' >/dev/null
  api POST /jobs '{"name": "paused-job", "labels": {"team": "ops"}, "schedule": "*/15 * * * * ?",
    "shell": {"command": "echo paused soon"}}' >/dev/null
  api POST /jobs '{"name": "disabled-job", "schedule": "* * * * *", "shell": {"command": "echo never"},
    "enabled": false}' >/dev/null
  api POST /jobs '{"name": "edited-job", "schedule": "0 9 * * MON-FRI", "shell": {"command": "echo v1"}}' >/dev/null
  api POST /jobs '{"name": "deleted-job", "labels": {"team": "ops"}, "schedule": "*/5 * * * * ?",
    "noop": {}}' >/dev/null
  api POST /jobs '{"name": "recreated-job", "labels": {"version": "1"}, "schedule": "*/5 * * * * ?",
    "shell": {"command": "echo v1"}}' >/dev/null
}

# Changes after the jobs ran a little: a kill, manual triggers, an edit, a delete, a re-create, a pause.
change_jobs() {
  local run
  run=$(api POST /jobs/slow-job/trigger | jq -r .runId)
  wait_for "slow-job's run to start" 30 is_running "$run"
  api POST "/runs/$run/kill" >/dev/null
  wait_for "slow-job's run to end" 30 is_finished "$run"
  run=$(api POST /jobs/daily-backup/trigger | jq -r .runId)
  wait_for "daily-backup's manual run" 30 is_finished "$run"
  api POST /jobs/shell-retry/trigger >/dev/null
  wait_for "shell-retry's manual run and its retries" 60 \
    has_run shell-retry '.reason == "RETRY" and .attempt == 3 and .status == "FAILED"' 1
  wait_for "runs of recreated-job v1" 30 has_run recreated-job '.status == "SUCCEEDED"' 2
  wait_for "runs of paused-job" 40 has_run paused-job '.status == "SUCCEEDED"' 1
  api PUT /jobs/edited-job '{"description": "edited once", "schedule": "0 9 * * MON-FRI",
    "timezone": "Europe/Paris", "shell": {"command": "echo v2"}, "timeoutSeconds": 120}' >/dev/null
  api DELETE /jobs/deleted-job >/dev/null
  api DELETE /jobs/recreated-job >/dev/null
  api POST /jobs '{"name": "recreated-job", "description": "second life", "labels": {"version": "2"},
    "schedule": "* * * * *", "noop": {}}' >/dev/null
  api POST /jobs/paused-job/pause >/dev/null
}

# Every job and run as the API shows them; the test compares the specs and the finished runs.
record_expected() {
  local out=$1 names jobs=() runs=() name page cursor
  names=$(api GET '/jobs?limit=500' | jq -r '.items[].name')
  for name in $names; do
    jobs+=("$(api GET "/jobs/$name")")
    page=$(api GET "/jobs/$name/runs?limit=500")
    local items
    items=$(jq '.items' <<<"$page")
    cursor=$(jq -r '.next // empty' <<<"$page")
    while [ -n "$cursor" ]; do
      page=$(api GET "/jobs/$name/runs?limit=500&cursor=$cursor")
      items=$(jq -s '.[0] + .[1].items' <(echo "$items") <(echo "$page"))
      cursor=$(jq -r '.next // empty' <<<"$page")
    done
    runs+=("$(jq -n --arg job "$name" --argjson items "$items" '{job: $job, runs: $items}')")
  done
  local outputs=() id
  # The output of the newest finished run of a few shell jobs.
  for name in shell-echo shell-retry daily-backup slow-job; do
    id=$(api GET "/jobs/$name/runs?limit=500" \
      | jq -r '[.items[] | select(.status != "PENDING" and .status != "RUNNING")][0].id')
    outputs+=("$(jq -n --arg id "$id" --arg text "$(api GET "/runs/$id/output"; echo x)" \
      '{id: $id, output: ($text | .[0:-1])}')")
  done
  jq -n \
    --arg recordedAt "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --argjson jobs "$(printf '%s\n' "${jobs[@]}" | jq -s .)" \
    --argjson runs "$(printf '%s\n' "${runs[@]}" | jq -s 'map({(.job): .runs}) | add')" \
    --argjson outputs "$(printf '%s\n' "${outputs[@]}" | jq -s .)" \
    --argjson teamOps "$(api GET '/jobs?label=team=ops&limit=500' | jq '[.items[].name]')" \
    '{
      recordedAt: $recordedAt,
      absent: ["deleted-job"],
      jobs: $jobs,
      labelQueries: {"team=ops": $teamOps},
      runs: $runs,
      outputs: $outputs
    }' >"$out"
}

scenario() { # LOG EXPECTED ENV...
  local node_log=$1 expected=$2 started
  shift 2
  start_node "$node_log" "$@"
  started=$(date +%s)
  define_jobs
  log "jobs defined"
  change_jobs
  log "changes made; running until $SECONDS_RUNNING s"
  while [ $(( $(date +%s) - started )) -lt "$SECONDS_RUNNING" ]; do sleep 1; done
  # Stop between ticks of the 5-second-ish jobs and well after shell-retry's attempts (second 5 to ~12).
  wait_for "a quiet second" 70 sh -c '[ $(( $(date +%-S) % 10 )) -ge 6 ] && [ "$(date +%-S)" -gt 20 ]'
  record_expected "$expected"
  stop_node
  log "runs per job: $(jq -c '.runs | map_values(length)' "$expected")"
}

make_h2() {
  local data=$WORK/h2
  mkdir -p "$data" "$HERE/h2"
  log "H2 scenario in $data"
  scenario "$WORK/h2-node.log" "$HERE/h2/expected.json" DISTCRON_DATA_DIR="$data"
  gzip -9 -n -c "$data/distcron.mv.db" >"$HERE/h2/distcron.mv.db.gz"
  log "h2: $(du -h "$data/distcron.mv.db" | cut -f1) -> $(du -h "$HERE/h2/distcron.mv.db.gz" | cut -f1)"
}

make_postgres() {
  mkdir -p "$HERE/postgres"
  "${PG_ADMIN[@]}" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" -c "CREATE SCHEMA $PG_SCHEMA" >/dev/null
  log "PostgreSQL scenario in schema $PG_SCHEMA"
  scenario "$WORK/postgres-node.log" "$HERE/postgres/expected.json" \
    DISTCRON_DB_URL="jdbc:postgresql://127.0.0.1:5432/test?currentSchema=$PG_SCHEMA" \
    DISTCRON_DB_USER=postgres DISTCRON_DB_PASSWORD=
  # INSERTs rather than COPY, and no psql meta-commands (\restrict), so JDBC can run the file;
  # the test creates the schema itself under a name of its own.
  pg_dump -h 127.0.0.1 -p 5432 -U postgres -d test --schema="$PG_SCHEMA" --no-owner --no-privileges \
    --inserts --rows-per-insert=100 \
    | grep -v '^\\' \
    | grep -v "^CREATE SCHEMA $PG_SCHEMA;\$" \
    | sed "s/\\b$PG_SCHEMA\\b/__SCHEMA__/g" \
    | gzip -9 -n >"$HERE/postgres/fixture.sql.gz"
  log "postgres: $(du -h "$HERE/postgres/fixture.sql.gz" | cut -f1)"
}

case "$DB" in
  h2) make_h2 ;;
  postgres) make_postgres ;;
  both) make_h2; make_postgres ;;
esac
log "done"
