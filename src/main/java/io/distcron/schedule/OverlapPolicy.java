package io.distcron.schedule;

/** What a tick does when a run of the same job is still active (or waiting to start). */
public enum OverlapPolicy {
  /** Record the tick as a SKIPPED run. The default, like Kubernetes' {@code Forbid}. */
  SKIP,
  /** Start anyway: runs may overlap. */
  ALLOW,
  /** Start right after the active run ends; at most one waits, later ticks are skipped. */
  QUEUE_ONE,
  /** Kill the active run, then start. */
  REPLACE
}
