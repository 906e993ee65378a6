package io.distcron.run;

/** Why a run exists. */
public enum RunReason {
  SCHEDULE,
  MANUAL,
  CATCHUP,
  RETRY,
  BACKFILL
}
