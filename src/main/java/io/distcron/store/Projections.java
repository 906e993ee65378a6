package io.distcron.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.alert.NotifyRule;
import io.distcron.job.JobEntity;
import io.distcron.metrics.NodeMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/**
 * The read side's projections: one per tag of the job events ({@link JobEntity#TAGS}), each run
 * once in the cluster (ShardedDaemonProcess, on scheduler nodes), each writing its rows and its
 * offset in one transaction — so a node killed at any moment loses no row and writes none twice.
 */
public final class Projections {
  /** A batch closes at this many events or after this long, whichever comes first. */
  private static final int GROUP = 500;

  private static final Duration GROUP_WITHIN = Duration.ofMillis(50);

  /** The projection's name in the offset store; its key is the tag. */
  public static final String NAME = "read-side";

  private Projections() {}

  /** What the projection needs for alerts: {@code fallback} is the default rule, or null. */
  public record Alerting(Outbox outbox, ObjectMapper json, NotifyRule fallback, Clock clock) {}

  public static void init(
      ActorSystem<?> system,
      DataSource ds,
      RunStore runs,
      JobIndex jobs,
      Alerting alerting,
      NodeMetrics metrics) {
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            NAME,
            JobEntity.TAGS,
            i ->
                ProjectionBehavior.create(projection(system, ds, runs, jobs, alerting, metrics, i)),
            ShardedDaemonProcessSettings.create(system).withRole("scheduler"),
            Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static Projection<EventEnvelope<JobEntity.Event>> projection(
      ActorSystem<?> system,
      DataSource ds,
      RunStore runs,
      JobIndex jobs,
      Alerting alerting,
      NodeMetrics metrics,
      int instance) {
    String tag = JobEntity.tagOf(instance);
    return JdbcProjection.groupedWithin(
            ProjectionId.of(NAME, tag),
            EventSourcedProvider.<JobEntity.Event>eventsByTag(
                system, JdbcReadJournal.Identifier(), tag),
            () -> new ReadSideSession(ds),
            () ->
                new ReadSideHandler(
                    runs,
                    jobs,
                    new AlertJobs(runs, alerting.outbox(), alerting.json(), alerting.fallback()),
                    alerting.clock(),
                    metrics::projected),
            system)
        .withGroup(GROUP, GROUP_WITHIN);
  }
}
