package io.distcron.alert;

/**
 * What an alert is about. FAILED, TIMED_OUT and LOST are an attempt that ended so; RECOVERED is the
 * first success after one of those; MISSED is a tick skipped by the catch-up or overlap policy (its
 * run is SKIPPED); LATE is a scheduled run that started more than a rule's {@code lateAfter} after
 * its tick (its own jitter not counted).
 */
public enum AlertKind {
  FAILED,
  TIMED_OUT,
  LOST,
  MISSED,
  LATE,
  RECOVERED
}
