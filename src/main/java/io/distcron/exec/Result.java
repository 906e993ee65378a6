package io.distcron.exec;

import io.distcron.run.RunStatus;

/**
 * How one execution ended.
 *
 * @param status {@code SUCCEEDED} (exit 0), {@code FAILED} (non-zero exit or could not start),
 *     {@code TIMED_OUT} or {@code KILLED}
 * @param exitCode the shell's exit status; for a process ended by a signal it is 128 + the signal
 *     number (143 after TERM, 137 after KILL), as Java reports it; null when there was no process
 *     or it had not exited by the end of the kill sequence
 * @param outputTail the last bytes of merged stdout and stderr, see {@link OutputTail#text()}
 * @param message null on success, otherwise for people: "exit code 3", "timed out after 5s",
 *     "killed", ...
 */
public record Result(RunStatus status, Integer exitCode, String outputTail, String message) {

  /** For a command that never ran, e.g. {@link ShellRunner#start} threw. */
  public static Result failedToStart(Exception cause) {
    return new Result(RunStatus.FAILED, null, "", "failed to start: " + cause.getMessage());
  }
}
