package io.distcron.run;

/** Life of a run. A run only moves forward: PENDING, then RUNNING, then one terminal status. */
public enum RunStatus {
  PENDING,
  RUNNING,
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  KILLED,
  LOST,
  SKIPPED;

  /** Writes of a lower rank never overwrite a higher one, so out-of-order updates are harmless. */
  public int rank() {
    return switch (this) {
      case PENDING -> 0;
      case RUNNING -> 1;
      default -> 2;
    };
  }

  public boolean isTerminal() {
    return rank() == 2;
  }
}
