package io.distcron.run;

import io.distcron.CborSerializable;

/**
 * How a run ended, as its executor saw it (or as its job decided, for a run that never reached an
 * executor).
 *
 * @param exitCode the process's exit status, null when there was none (HTTP, never started)
 * @param message null on success; otherwise for people ("exit code 3", "timed out after 5s")
 */
public record RunOutcome(RunStatus status, Integer exitCode, String message)
    implements CborSerializable {

  public static RunOutcome of(RunStatus status, String message) {
    return new RunOutcome(status, null, message);
  }
}
