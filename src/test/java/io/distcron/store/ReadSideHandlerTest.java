package io.distcron.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.TestDatabases.OnBoth;
import io.distcron.alert.AlertKind;
import io.distcron.alert.AlertRules;
import io.distcron.alert.NotifyRule;
import io.distcron.job.JobEntity;
import io.distcron.job.JobSpec;
import io.distcron.run.Action;
import io.distcron.run.RunIds;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.junit.jupiter.api.AfterEach;

/** The projection's handler on a real database: the rows a job's events stand for. */
class ReadSideHandlerTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private final List<HikariDataSource> pools = new ArrayList<>();
  private HikariDataSource ds;
  private RunStore runs;
  private JobIndex jobs;
  private ReadSideHandler handler;
  private long ordering;
  private long seq;

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  private void open(String kind) {
    ds = Database.open(TestDatabases.db(kind, TestDatabases.uniqueName("readside")));
    pools.add(ds);
    Schema.create(ds);
    runs = new RunStore(ds);
    jobs = new JobIndex(ds, new ObjectMapper().findAndRegisterModules());
    ObjectMapper json = new ObjectMapper().findAndRegisterModules();
    AlertJobs alerts = new AlertJobs(runs, new Outbox(ds, json), json, null);
    handler = new ReadSideHandler(runs, jobs, alerts, Clock.systemUTC(), lag -> {});
  }

  private EventEnvelope<JobEntity.Event> envelope(String job, JobEntity.Event event) {
    ++ordering;
    return EventEnvelope.create(
        Offset.sequence(ordering), "Job|" + job, ++seq, event, T0.toEpochMilli() + ordering);
  }

  @SafeVarargs
  private void handle(EventEnvelope<JobEntity.Event>... batch) throws Exception {
    ReadSideSession session = new ReadSideSession(ds);
    try {
      handler.process(session, List.of(batch));
      session.commit();
    } finally {
      session.close();
    }
  }

  private static JobSpec spec(String name) {
    return new JobSpec(
        name,
        "",
        Map.of("team", "ops"),
        "@hourly",
        "UTC",
        new Action.Noop(),
        60,
        true,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  @OnBoth
  void aFailureAndItsRecoveryBecomeOutboxRowsInTheBatchsTransactionOnce(String kind)
      throws Exception {
    open(kind);
    JobSpec base = spec("alerted");
    JobSpec ruled =
        new JobSpec(
            base.name(),
            base.description(),
            base.labels(),
            base.schedule(),
            base.timezone(),
            base.action(),
            base.timeoutSeconds(),
            base.enabled(),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            List.of(new NotifyRule("ops", List.of(AlertKind.FAILED, AlertKind.RECOVERED), null)),
            null);
    var fired = new JobEntity.RunFired("f1", T0, T0, RunReason.MANUAL, 1, "n:1", false, 7, 1, null);
    var failed =
        new JobEntity.RunFinished("f1", RunStatus.FAILED, 1, "exit code 1", T0.plusSeconds(1));
    handle(
        envelope("alerted", new JobEntity.Defined(ruled, T0)),
        envelope("alerted", fired),
        envelope("alerted", failed));
    Outbox outbox = new Outbox(ds, new ObjectMapper().findAndRegisterModules());
    String key = AlertRules.key("alerted", "f1", 1, "FAILED");
    assertThat(outbox.states(key)).hasSize(1);
    assertThat(outbox.states(key).get(0)).containsExactly("ops", Outbox.PENDING, "0");

    // A batch that fails rolls its alerts back with its rows.
    var recovered =
        new JobEntity.RunFired(
            "f2", T0, T0.plusSeconds(2), RunReason.MANUAL, 1, null, true, 0, 0, null);
    ReadSideSession session = new ReadSideSession(ds);
    try {
      handler.process(session, List.of(envelope("alerted", recovered)));
      session.rollback();
    } finally {
      session.close();
    }
    String recoveredKey = AlertRules.key("alerted", "f2", 1, "RECOVERED");
    assertThat(outbox.states(recoveredKey)).isEmpty();
    handle(envelope("alerted", recovered));
    assertThat(outbox.states(recoveredKey)).hasSize(1);
    assertThat(outbox.states(key)).hasSize(1);
  }

  @OnBoth
  void aShellRunsThreeEventsMakeOneRowWhetherInOneBatchOrThree(String kind) throws Exception {
    open(kind);
    var fired =
        new JobEntity.RunFired(
            "r1", T0, T0, RunReason.SCHEDULE, 1, "n:1", false, 7, 1, Duration.ofSeconds(2));
    var started = new JobEntity.RunStarted("r1", 1, "n:2", T0.plusSeconds(1));
    var ended =
        new JobEntity.RunFinished("r1", RunStatus.FAILED, 3, "exit code 3", T0.plusSeconds(5));
    handle(envelope("a", fired), envelope("a", started), envelope("a", ended));
    handle(
        envelope(
            "b",
            new JobEntity.RunFired(
                "r2", T0, T0, RunReason.SCHEDULE, 1, "n:1", false, 7, 1, Duration.ofSeconds(2))));
    handle(envelope("b", new JobEntity.RunStarted("r2", 1, "n:2", T0.plusSeconds(1))));
    handle(
        envelope(
            "b",
            new JobEntity.RunFinished(
                "r2", RunStatus.FAILED, 3, "exit code 3", T0.plusSeconds(5))));

    for (String id : List.of("r1", "r2")) {
      RunRecord r = runs.find(id).orElseThrow();
      assertThat(r.status()).isEqualTo(RunStatus.FAILED);
      assertThat(r.node()).isEqualTo("n:2");
      assertThat(r.startedAt()).isEqualTo(T0.plusSeconds(1));
      assertThat(r.finishedAt()).isEqualTo(T0.plusSeconds(5));
      assertThat(r.exitCode()).isEqualTo(3);
      assertThat(r.message()).isEqualTo("exit code 3");
      assertThat(r.jitter()).isEqualTo(Duration.ofSeconds(2));
    }
  }

  @OnBoth
  void anEndNeverGoesBackAndAnUpdateWithoutItsRunCreatesNothing(String kind) throws Exception {
    open(kind);
    handle(
        envelope(
            "a",
            new JobEntity.RunFired("r1", T0, T0, RunReason.MANUAL, 1, "n:1", false, 7, 1, null)),
        envelope("a", new JobEntity.RunFinished("r1", RunStatus.LOST, null, "node left", T0)));
    handle(envelope("a", new JobEntity.RunStarted("r1", 1, "n:1", T0)));
    handle(envelope("a", new JobEntity.RunStarted("ghost", 1, "n:1", T0)));

    assertThat(runs.find("r1").orElseThrow().status()).isEqualTo(RunStatus.LOST);
    assertThat(runs.find("ghost")).isEmpty();
  }

  @OnBoth
  void noopRunsQueuedRunsAndSkippedTicksEachGetTheirRow(String kind) throws Exception {
    open(kind);
    Instant t1 = T0.plusSeconds(1);
    handle(
        envelope(
            "a",
            new JobEntity.RunFired("n1", T0, T0, RunReason.SCHEDULE, 1, "n:1", true, 0, 0, null)),
        envelope("a", new JobEntity.RunQueued("q1", t1, RunReason.RETRY, 2, t1, "r0")),
        envelope(
            "a",
            new JobEntity.TicksSkipped(List.of(T0.plusSeconds(2)), "previous run still active")),
        envelope(
            "a",
            new JobEntity.TickRangeSkipped(
                T0.minusSeconds(99), T0.minusSeconds(9), 90, "too many")));

    assertThat(runs.find("n1").orElseThrow().status()).isEqualTo(RunStatus.SUCCEEDED);
    RunRecord queued = runs.find("q1").orElseThrow();
    assertThat(queued.status()).isEqualTo(RunStatus.PENDING);
    assertThat(queued.attempt()).isEqualTo(2);
    RunRecord skipped = runs.find(RunIds.skipped("a", T0.plusSeconds(2))).orElseThrow();
    assertThat(skipped.status()).isEqualTo(RunStatus.SKIPPED);
    assertThat(skipped.message()).isEqualTo("previous run still active");
    RunRecord range = runs.find(RunIds.skipped("a", T0.minusSeconds(99))).orElseThrow();
    assertThat(range.message()).contains("90 ticks from").contains("too many");
  }

  @OnBoth
  void theJobIndexFollowsDefinitionPauseAndDeleteWithTheirRevisions(String kind) throws Exception {
    open(kind);
    handle(envelope("a", new JobEntity.Defined(spec("a"), T0)));
    assertThat(jobs.revision("a")).isEqualTo(seq);
    handle(envelope("a", new JobEntity.Paused()));
    handle(envelope("a", new JobEntity.Defined(spec("a"), T0)));
    assertThat(jobs.find("a").orElseThrow().paused()).as("a replace keeps the pause").isTrue();
    assertThat(jobs.revision("a")).isEqualTo(seq);
    handle(
        envelope("a", new JobEntity.Deleted()),
        envelope("a", new JobEntity.Defined(spec("a"), T0)));
    assertThat(jobs.find("a").orElseThrow().paused()).as("re-created").isFalse();
    handle(envelope("a", new JobEntity.Deleted()));
    assertThat(jobs.revision("a")).isEqualTo(-1);
  }

  @OnBoth
  void aNulInAMessageIsStoredAsAReplacementCharacter(String kind) throws Exception {
    open(kind);
    handle(
        envelope(
            "a",
            new JobEntity.RunFired("r1", T0, T0, RunReason.MANUAL, 1, "n:1", false, 7, 1, null)),
        envelope("a", new JobEntity.RunFinished("r1", RunStatus.FAILED, 1, "bad\u0000byte", T0)));
    runs.appendOutput("r1", 1, "out\u0000put");
    assertThat(runs.find("r1").orElseThrow().message()).isEqualTo("bad\uFFFDbyte");
    assertThat(runs.output("r1")).contains("out\uFFFDput");
  }
}
