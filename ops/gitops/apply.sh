#!/usr/bin/env bash
# The one command a CI pipeline runs after a merge to main: make the cluster's jobs what jobs/ says.
# A pull request's pipeline runs it with --dry-run to show what the merge would change.
#   DISTCRON_URL=https://distcron.internal DISTCRON_TOKEN=... ops/gitops/apply.sh [--dry-run]
set -euo pipefail
cd "$(dirname "$0")"
exec distcron apply -f jobs/ --owner git:ops-jobs --prune "$@"
