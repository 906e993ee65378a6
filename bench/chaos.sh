#!/usr/bin/env bash
# The chaos test (src/test/java/io/distcron/ChaosIT.java) with random faults — SIGSTOP past the
# hand-off timeout, SIGSTOP until downed, SIGKILL, SIGTERM restarts — for M minutes instead of the
# suite's fixed sequence. Three nodes of the built jar on the local PostgreSQL run real shell jobs that
# write a ledger; the verdict comes from the ledger. Prints the counts as one JSON line:
#   {"duplicates": 0, "overlaps": 0, "unaccounted": 0, "stuck": 0, ...}
# Usage: bench/chaos.sh [--minutes M]    (default 5). Logs and the ledger: target/chaos-it/.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=5
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="$2"; shift 2 ;;
    *) echo "usage: bench/chaos.sh [--minutes M]" >&2; exit 2 ;;
  esac
done

status=0
mvn -B -q verify -Dspotless.check.skip=true -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=ChaosIT -Ddistcron.chaos.minutes="$minutes" > target/chaos-bench.log 2>&1 || status=$?
if [ -f target/chaos-it/verdict.json ]; then
  cat target/chaos-it/verdict.json
else
  echo "chaos: no verdict; see target/chaos-bench.log" >&2
fi
exit "$status"
