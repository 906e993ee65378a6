#!/usr/bin/env bash
# Smoke test of the image and docker-compose.yml, on a machine with a Docker engine:
#   build and start PostgreSQL + 3 nodes, wait until every node is ready, create a job that runs every
#   second, see it succeed, SIGKILL node2, see the cluster remove node2 and the job go on running on the
#   other nodes, then tear everything down (volumes included).
#
#   docker/smoke.sh            # KEEP=1 docker/smoke.sh leaves the cluster running afterwards
#
# Needs docker (with the compose plugin), curl and jq. Exits non-zero, with the nodes' logs, on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
compose=(docker compose -p distcron-smoke -f "$here/docker-compose.yml")
export DISTCRON_ADMIN_TOKEN="${DISTCRON_ADMIN_TOKEN:-smoke-test-token}"
api=http://127.0.0.1:8081/api/v1
job=smoke-every-second

log() { printf '%s smoke: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

for tool in docker curl jq; do
  command -v "$tool" >/dev/null || { log "$tool is required"; exit 2; }
done

cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    log "FAILED (exit $rc); state and recent logs follow"
    "${compose[@]}" ps -a || true
    "${compose[@]}" logs --no-color --tail=100 || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    log "KEEP=1: the cluster stays up; stop it with: ${compose[*]} down -v"
  else
    "${compose[@]}" down -v --remove-orphans || true
  fi
  exit "$rc"
}
trap cleanup EXIT

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 2 s until it succeeds; fails after SECONDS.
wait_for() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 2
  done
  log "ok: $what"
}

# Authenticated request (the nodes listen on non-loopback addresses inside their containers).
call() { curl -fsS --max-time 5 -H "Authorization: Bearer $DISTCRON_ADMIN_TOKEN" "$@"; }

ready() { curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$1/ready"; }

# members_up N: node1's Pekko Management sees exactly N members Up.
members_up() {
  call http://127.0.0.1:8551/cluster/members \
    | jq -e --argjson n "$1" '[.members[] | select(.status == "Up")] | length == $n' >/dev/null
}

node2_gone() {
  call http://127.0.0.1:8551/cluster/members \
    | jq -e '[.members[].node | select(contains("@node2:"))] | length == 0' >/dev/null
}

# succeeded_since EPOCH N: at least N SUCCEEDED runs of the job scheduled after EPOCH, none of them on node2.
succeeded_since() {
  call "$api/jobs/$job/runs?limit=50" \
    | jq -e --argjson t "$1" --argjson n "$2" '
        [.items[]
         | select(.status == "SUCCEEDED")
         | select((.node // "") | startswith("node2:") | not)
         | select((.scheduledAt | sub("\\.[0-9]+"; "") | fromdateiso8601) > $t)]
        | length >= $n' >/dev/null
}

log "building and starting PostgreSQL and node1..node3"
"${compose[@]}" up -d --build

for i in 1 2 3; do
  wait_for 180 "node$i ready (127.0.0.1:855$i/ready)" ready "855$i"
done
wait_for 60 "3 members Up" members_up 3

log "creating job $job (@every 1s) through node1"
# The command's $DISTCRON_SCHEDULED_AT is expanded by the job's shell, not by this script.
body=$(jq -n --arg name "$job" '{
  name: $name,
  schedule: "@every 1s",
  shell: {command: "echo tick $DISTCRON_SCHEDULED_AT"},
  timeoutSeconds: 30
}')
call -XPOST "$api/jobs" -H 'Content-Type: application/json' -d "$body" >/dev/null

start=$(date +%s)
wait_for 60 "3 SUCCEEDED runs" succeeded_since "$((start - 5))" 3

log "runs by node before the kill: $(call "$api/jobs/$job/runs?limit=50" \
  | jq -c '[.items[] | .node] | group_by(.) | map({(.[0] // "none"): length}) | add')"

log "killing node2 (SIGKILL, no graceful leave)"
"${compose[@]}" kill node2
wait_for 60 "node2 removed from the cluster (split brain resolver)" node2_gone
removed=$(date +%s)

wait_for 90 "3 SUCCEEDED runs scheduled after node2 left, on node1/node3" succeeded_since "$removed" 3

log "runs by node after the kill: $(call "$api/jobs/$job/runs?limit=50" \
  | jq -c '[.items[] | .node] | group_by(.) | map({(.[0] // "none"): length}) | add')"
log "PASSED"
