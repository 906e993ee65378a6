package io.distcron.store;

import io.distcron.job.JobEntity;
import io.distcron.run.RunRecord;
import java.sql.Connection;
import java.time.Clock;
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
 * runs table (one write per run, however many of its events the batch holds), the job index, and
 * the alerts the batch raises (outbox rows). The events of one job are in one tag, so they arrive
 * in order.
 */
final class ReadSideHandler
    extends JdbcHandler<List<EventEnvelope<JobEntity.Event>>, ReadSideSession> {
  private static final String PREFIX = JobEntity.ENTITY_KEY.name() + "|";

  private final RunStore runs;
  private final JobIndex jobs;
  private final AlertJobs alerts;
  private final Clock clock;
  private final Consumer<Duration> lag;

  /** {@code lag}: told, per batch, how long ago its oldest event was written. */
  ReadSideHandler(
      RunStore runs, JobIndex jobs, AlertJobs alerts, Clock clock, Consumer<Duration> lag) {
    this.runs = runs;
    this.jobs = jobs;
    this.alerts = alerts;
    this.clock = clock;
    this.lag = lag;
  }

  /** A change of the job index, in event order. */
  private record IndexChange(String job, JobEntity.Event event, long revision) {}

  @Override
  public void process(ReadSideSession session, List<EventEnvelope<JobEntity.Event>> envelopes)
      throws Exception {
    Map<String, RunRecord> rows = new LinkedHashMap<>();
    List<IndexChange> index = new ArrayList<>();
    List<AlertJobs.Fact> facts = new ArrayList<>();
    long oldest = Long.MAX_VALUE;
    for (EventEnvelope<JobEntity.Event> e : envelopes) {
      String job = e.persistenceId().substring(PREFIX.length());
      JobEntity.Event event = e.event();
      Instant at = Instant.ofEpochMilli(e.timestamp());
      for (RunRecord row : RunRows.of(job, event, at)) {
        rows.merge(row.id(), row, RunRows::merge);
      }
      facts.addAll(AlertFacts.of(job, event, at));
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
          alerts.write(c, facts, clock.instant());
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
