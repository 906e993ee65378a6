#!/bin/sh
# Starts a distcron node in a container. Arguments are passed to distcron (`server` is the default).
set -eu

# The address other nodes reach this one at. Compose sets the service name (node1, ...) and Kubernetes the
# pod IP; otherwise use the container's first IP address (Pekko's default, 127.0.0.1, is unreachable from
# other containers).
if [ -z "${DISTCRON_CLUSTER_HOST:-}" ]; then
  ip="$(hostname -i 2>/dev/null | awk '{print $1}')" || ip=""
  if [ -n "$ip" ]; then
    DISTCRON_CLUSTER_HOST="$ip"
    export DISTCRON_CLUSTER_HOST
  fi
fi

# exec: the JVM replaces this shell, so the SIGTERM that tini forwards reaches it and starts the graceful
# shutdown. JAVA_OPTS is split into words on purpose (globbing off).
set -f
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -jar /opt/distcron/distcron.jar "$@"
