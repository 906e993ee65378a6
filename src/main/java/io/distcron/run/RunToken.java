package io.distcron.run;

import io.distcron.CborSerializable;

/**
 * The fencing token of one hand-off: a run and the epoch its job handed it over under. A job hands
 * a run to another node only under a higher epoch, so an executor can tell a stale hand-off (or a
 * stale kill, or a stale check) from the current one.
 *
 * <p>Epoch 0 stands for a run handed over by a version before tokens existed.
 */
public record RunToken(String runId, int epoch) implements CborSerializable {

  public RunToken next() {
    return new RunToken(runId, epoch + 1);
  }

  @Override
  public String toString() {
    return runId + "#" + epoch;
  }
}
