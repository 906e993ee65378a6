package io.distcron.store;

/** Why a run exists. */
public enum RunReason {
  SCHEDULE,
  MANUAL,
  CATCHUP,
  RETRY
}
