package io.distcron.store;

import io.distcron.job.JobEntity;
import io.distcron.run.RunIds;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.time.Instant;
import java.util.List;

/**
 * What a job event says about the rows of the runs table: pure, for the projection.
 *
 * <p>An event that creates a run (fired, queued, skipped) gives the whole row; one that moves it on
 * (redirected, started, finished) gives only what changed, with a null {@code scheduledAt}: such a
 * row is an update of the run the earlier event created. Rows of one run merge in event order.
 */
final class RunRows {
  private RunRows() {}

  /** {@code at}: when the event was written, for the times an event does not carry itself. */
  static List<RunRecord> of(String job, JobEntity.Event event, Instant at) {
    if (event instanceof JobEntity.RunFired f) {
      RunStatus status = f.done() ? RunStatus.SUCCEEDED : RunStatus.PENDING;
      Instant ended = f.done() ? f.firedAt() : null;
      return List.of(
          new RunRecord(
              f.runId(),
              job,
              f.scheduledAt(),
              f.firedAt(),
              ended,
              ended,
              f.node(),
              f.attempt(),
              f.reason(),
              status,
              null,
              null,
              null,
              f.jitter()));
    }
    if (event instanceof JobEntity.RunQueued q) {
      return List.of(
          new RunRecord(
              q.runId(),
              job,
              q.scheduledAt(),
              null,
              null,
              null,
              null,
              q.attempt(),
              q.reason(),
              RunStatus.PENDING,
              null,
              null,
              null,
              null));
    }
    if (event instanceof JobEntity.TicksSkipped s) {
      RunReason reason = s.backfill() ? RunReason.BACKFILL : RunReason.SCHEDULE;
      return s.ticks().stream().map(t -> skipped(job, t, at, reason, s.reason())).toList();
    }
    if (event instanceof JobEntity.TickRangeSkipped r) {
      String ticks = r.count() > 0 ? r.count() + " ticks" : "every tick";
      String why = ticks + " from " + r.from() + " until " + r.until() + ": " + r.reason();
      return List.of(
          skipped(job, r.from(), at, r.backfill() ? RunReason.BACKFILL : RunReason.SCHEDULE, why));
    }
    if (event instanceof JobEntity.RunRedirected r) {
      return List.of(update(r.runId(), job, null, null, r.node(), RunStatus.PENDING, null, null));
    }
    if (event instanceof JobEntity.RunStarted s) {
      return List.of(update(s.runId(), job, s.at(), null, s.node(), RunStatus.RUNNING, null, null));
    }
    if (event instanceof JobEntity.RunFinished f) {
      Instant finished = f.at() != null ? f.at() : at;
      return List.of(
          update(f.runId(), job, null, finished, null, f.status(), f.exitCode(), f.message()));
    }
    return List.of();
  }

  /** Whether the row creates its run (else it only updates one). */
  static boolean creates(RunRecord row) {
    return row.scheduledAt() != null;
  }

  /** Two rows of one run, {@code later} from the later event: what both say, the later winning. */
  static RunRecord merge(RunRecord earlier, RunRecord later) {
    RunStatus status =
        later.status().rank() >= earlier.status().rank() ? later.status() : earlier.status();
    return new RunRecord(
        earlier.id(),
        earlier.job(),
        or(later.scheduledAt(), earlier.scheduledAt()),
        or(later.firedAt(), earlier.firedAt()),
        or(later.startedAt(), earlier.startedAt()),
        or(later.finishedAt(), earlier.finishedAt()),
        or(later.node(), earlier.node()),
        creates(later) ? later.attempt() : earlier.attempt(),
        or(later.reason(), earlier.reason()),
        status,
        or(later.exitCode(), earlier.exitCode()),
        or(later.message(), earlier.message()),
        or(later.outputTail(), earlier.outputTail()),
        or(later.jitter(), earlier.jitter()));
  }

  private static RunRecord skipped(
      String job, Instant tick, Instant decidedAt, RunReason reason, String why) {
    return new RunRecord(
        RunIds.skipped(job, tick),
        job,
        tick,
        decidedAt,
        null,
        decidedAt,
        null,
        1,
        reason,
        RunStatus.SKIPPED,
        null,
        why,
        null,
        null);
  }

  private static RunRecord update(
      String runId,
      String job,
      Instant startedAt,
      Instant finishedAt,
      String node,
      RunStatus status,
      Integer exitCode,
      String message) {
    return new RunRecord(
        runId,
        job,
        null,
        null,
        startedAt,
        finishedAt,
        node,
        0,
        null,
        status,
        exitCode,
        message,
        null,
        null);
  }

  private static <T> T or(T preferred, T fallback) {
    return preferred != null ? preferred : fallback;
  }
}
