package io.distcron.run;

import java.time.Duration;
import java.time.Instant;

/**
 * One row of the run store. Writers fill what they know and leave the rest null: an upsert keeps
 * the columns it is not given. {@code jitter}: how long after its tick a scheduled run was made to
 * wait on purpose (the job's jitter), null when it was not.
 */
public record RunRecord(
    String id,
    String job,
    Instant scheduledAt,
    Instant firedAt,
    Instant startedAt,
    Instant finishedAt,
    String node,
    int attempt,
    RunReason reason,
    RunStatus status,
    Integer exitCode,
    String message,
    String outputTail,
    Duration jitter) {

  public static RunRecord fired(
      String id, String job, Instant scheduledAt, Instant firedAt, int attempt, RunReason reason) {
    return new RunRecord(
        id,
        job,
        scheduledAt,
        firedAt,
        null,
        null,
        null,
        attempt,
        reason,
        RunStatus.PENDING,
        null,
        null,
        null,
        null);
  }

  public RunRecord withStatus(RunStatus s) {
    return new RunRecord(
        id,
        job,
        scheduledAt,
        firedAt,
        startedAt,
        finishedAt,
        node,
        attempt,
        reason,
        s,
        exitCode,
        message,
        outputTail,
        jitter);
  }
}
