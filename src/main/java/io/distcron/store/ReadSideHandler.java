package io.distcron.store;

import io.distcron.job.JobEntity;
import io.distcron.run.RunRecord;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * Turns a batch of job events into the read side, in the projection's transaction: the rows of the
 * runs table (one write per run, however many of its events the batch holds) and the job index. The
 * events of one job are in one tag, so they arrive in order.
 */
final class ReadSideHandler
    extends JdbcHandler<List<EventEnvelope<JobEntity.Event>>, ReadSideSession> {
  private static final String PREFIX = JobEntity.ENTITY_KEY.name() + "|";

  private final RunStore runs;
  private final JobIndex jobs;
  private final Consumer<Duration> lag;

  /** {@code lag}: told, per batch, how long ago its oldest event was written. */
  ReadSideHandler(RunStore runs, JobIndex jobs, Consumer<Duration> lag) {
    this.runs = runs;
    this.jobs = jobs;
    this.lag = lag;
  }

  /** A change of the job index, in event order. */
  private record IndexChange(String job, JobEntity.Event event, long revision) {}

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<JobEntity.Event>> envelopes)
      throws Exception {
    Map<String, RunRecord> rows = new LinkedHashMap<>();
    List<IndexChange> index = new ArrayList<>();
    long oldest = Long.MAX_VALUE;
    for (EventEnvelope<JobEntity.Event> e : envelopes) {
      String job = e.persistenceId().substring(PREFIX.length());
      JobEntity.Event event = e.event();
      for (RunRecord row : RunRows.of(job, event, Instant.ofEpochMilli(e.timestamp()))) {
        rows.merge(row.id(), row, RunRows::merge);
      }
      if (event instanceof JobEntity.Defined
          || event instanceof JobEntity.Paused
          || event instanceof JobEntity.Resumed
          || event instanceof JobEntity.Deleted) {
        index.add(new IndexChange(job, event, e.sequenceNr()));
      }
      oldest = Math.min(oldest, e.timestamp());
    }
    session.withConnection(
        (Connection c) -> {
          runs.write(c, rows.values());
          for (IndexChange change : index) apply(c, change);
          return null;
        });
    if (oldest != Long.MAX_VALUE) {
      lag.accept(Duration.ofMillis(System.currentTimeMillis() - oldest));
    }
  }

  private void apply(Connection c, IndexChange change) throws java.sql.SQLException {
    JobEntity.Event event = change.event();
    if (event instanceof JobEntity.Defined d) {
      // Replaced definitions keep the pause state; the row's own paused column has it.
      jobs.define(c, d.spec(), change.revision());
    } else if (event instanceof JobEntity.Paused) {
      jobs.setPaused(c, change.job(), true, change.revision());
    } else if (event instanceof JobEntity.Resumed) {
      jobs.setPaused(c, change.job(), false, change.revision());
    } else if (event instanceof JobEntity.Deleted) {
      jobs.delete(c, change.job());
    }
  }
}
