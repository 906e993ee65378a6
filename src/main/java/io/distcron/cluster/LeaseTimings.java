package io.distcron.cluster;

import java.time.Duration;

/**
 * The rule that makes the lease safe, checked at start: a node that lost contact stops starting
 * runs when its lease runs out, and its runs' watchdogs kill them one watchdog timeout later; the
 * rest of the cluster can act in its place only once it has downed the node, at least the failure
 * detector's acceptable pause plus the split brain resolver's {@code stable-after} after the last
 * contact. The first must end before the second can begin, with a second to spare for heartbeat
 * intervals and scheduling.
 */
public final class LeaseTimings {
  static final Duration MARGIN = Duration.ofSeconds(1);

  private LeaseTimings() {}

  /** Null when the timings are safe; otherwise what is wrong, for the operator. */
  public static String problem(
      Duration lease, Duration watchdogTimeout, Duration heartbeatPause, Duration stableAfter) {
    Duration stops = lease.plus(watchdogTimeout).plus(MARGIN);
    Duration downs = heartbeatPause.plus(stableAfter);
    if (stops.compareTo(downs) <= 0) return null;
    return "unsafe timings: the lease ("
        + lease
        + ") plus the watchdog timeout ("
        + watchdogTimeout
        + ") plus "
        + MARGIN
        + " must not exceed the failure detector's acceptable-heartbeat-pause ("
        + heartbeatPause
        + ") plus the split brain resolver's stable-after ("
        + stableAfter
        + "): a node cut off could still run while the others already run its work";
  }
}
