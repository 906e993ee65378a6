package io.distcron.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.Await;
import io.distcron.TestClock;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.placement.Placement;
import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import io.distcron.store.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The job entity's execution policies with manual time: overlap, catch-up after downtime, retries,
 * kill. Executors are a probe; runs end when the test reports them ended.
 *
 * <p>Timers are armed asynchronously to the test's advancing of manual time, so every step first
 * awaits the effect of the previous one (an event, a probe message) and then {@link #sync()}s with
 * the entity.
 */
class JobEntityPoliciesTest {
  /**
   * On a whole second, and time only moves in whole seconds while timers run: a timer is then due
   * exactly at the end of an advance, where the clock is, so the next one it arms is not early
   * (ManualTime runs a due timer at its own instant while the TestClock is already at the end of
   * the advance).
   */
  private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  private static final Duration TICK = Duration.ofSeconds(1);
  private static final Duration QUIET = Duration.ofMillis(200);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static ActorTestKit kit;
  private static HikariDataSource ds;
  private static DistcronSettings settings;
  private static int counter;

  private TestClock clock;
  private ManualTime time;
  private Placement placement;
  private Stores stores;
  private TestProbe<ExecutorNode.Command> executor;
  private EventSourcedBehaviorTestKit<JobEntity.Command, JobEntity.Event, JobState> job;
  private String name;

  @BeforeAll
  static void startKit() {
    kit = EntityTestbed.kit();
    settings = EntityTestbed.settings();
    ds = EntityTestbed.database("jobpolicies");
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
    ds.close();
  }

  @BeforeEach
  void setUp() {
    clock = new TestClock(START);
    time = ManualTime.get(kit.system());
    placement = new Placement("node-a:1");
    executor = kit.createTestProbe();
    placement.executors(Map.of("node-a:1", executor.getRef()));
    stores = EntityTestbed.stores(ds);
    name = "policies-" + (++counter);
    job =
        EventSourcedBehaviorTestKit.create(
            kit.system(),
            JobEntity.create(name, new JobEntity.Deps(settings, clock, stores, placement), null));
  }

  @AfterEach
  void clear() {
    // Stops this job's timer, so it does not tick on (ManualTime is shared) while later tests run.
    if (job.getState().exists()) job.<JobEntity.Reply>runCommand(JobEntity.Delete::new);
    job.clear();
  }

  // ---- overlap

  @Test
  void skipRecordsATickThatComesWhileARunIsActive() {
    create(shell(), OverlapPolicy.SKIP, null, null);
    ExecutorNode.Run first = tickAndAccept();
    assertThat(first.scheduledAt()).isEqualTo(tick(1));

    advance(TICK);
    JobEntity.TicksSkipped skipped = awaitEvent(JobEntity.TicksSkipped.class, s -> true);
    assertThat(skipped)
        .isEqualTo(new JobEntity.TicksSkipped(List.of(tick(2)), "previous run still active"));
    RunRecord row =
        awaitRun(
            r ->
                r.id().equals(JobEntity.skippedRunId(name, tick(2)))
                    && r.status() == RunStatus.SKIPPED);
    assertThat(row.scheduledAt()).isEqualTo(tick(2));
    assertThat(row.message()).isEqualTo("previous run still active");
    executor.expectNoMessage(QUIET);
    assertThat(job.getState().active()).containsOnlyKeys(first.runId());
  }

  @Test
  void allowStartsASecondRunWhileTheFirstIsActive() {
    create(shell(), OverlapPolicy.ALLOW, null, null);
    ExecutorNode.Run first = tickAndAccept();
    ExecutorNode.Run second = tickAndAccept();
    assertThat(second.scheduledAt()).isEqualTo(tick(2));
    assertThat(second.runId()).isNotEqualTo(first.runId());
    assertThat(job.getState().active()).containsOnlyKeys(first.runId(), second.runId());
    assertThat(events(JobEntity.TicksSkipped.class)).isEmpty();
  }

  @Test
  void queueOneHoldsOneTickAndStartsItWhenTheActiveRunEnds() {
    create(shell(), OverlapPolicy.QUEUE_ONE, null, null);
    ExecutorNode.Run first = tickAndAccept();

    advance(TICK);
    JobEntity.RunQueued queued = awaitEvent(JobEntity.RunQueued.class, q -> true);
    assertThat(queued.scheduledAt()).isEqualTo(tick(2));
    assertThat(queued.reason()).isEqualTo(RunReason.SCHEDULE);
    sync();

    advance(TICK);
    JobEntity.TicksSkipped skipped = awaitEvent(JobEntity.TicksSkipped.class, s -> true);
    assertThat(skipped)
        .isEqualTo(new JobEntity.TicksSkipped(List.of(tick(3)), "a run is already queued"));
    sync();
    advance(TICK);
    awaitEvent(JobEntity.TicksSkipped.class, s -> s.ticks().contains(tick(4)));
    assertThat(job.getState().queued()).hasSize(1);
    assertThat(events(JobEntity.RunQueued.class)).hasSize(1);
    executor.expectNoMessage(QUIET);

    end(first.runId(), RunStatus.SUCCEEDED);
    ExecutorNode.Run next = executor.expectMessageClass(ExecutorNode.Run.class);
    assertThat(next.runId()).isEqualTo(queued.runId());
    assertThat(next.scheduledAt()).isEqualTo(tick(2));
    next.replyTo().tell(new ExecutorNode.Accepted(next.runId()));
    assertThat(job.getState().queued()).isEmpty();
    assertThat(job.getState().active()).containsOnlyKeys(next.runId());
  }

  @Test
  void replaceKillsTheActiveRunAndStartsTheNewOneWhenTheKillIsReported() {
    create(
        shell(), OverlapPolicy.REPLACE, null, new RetryPolicy(3, Duration.ofSeconds(1), 2.0, null));
    ExecutorNode.Run first = tickAndAccept();

    advance(TICK);
    assertThat(executor.expectMessageClass(ExecutorNode.Kill.class))
        .isEqualTo(new ExecutorNode.Kill(first.runId()));
    JobEntity.RunQueued queued = awaitEvent(JobEntity.RunQueued.class, q -> true);
    assertThat(queued.scheduledAt()).isEqualTo(tick(2));
    // Not started before the killed run has ended.
    executor.expectNoMessage(QUIET);

    end(first.runId(), RunStatus.KILLED);
    ExecutorNode.Run next = executor.expectMessageClass(ExecutorNode.Run.class);
    assertThat(next.runId()).isEqualTo(queued.runId());
    assertThat(next.scheduledAt()).isEqualTo(tick(2));
    assertThat(events(JobEntity.RunFinished.class))
        .containsExactly(new JobEntity.RunFinished(first.runId(), RunStatus.KILLED));
    // A killed run is not retried, even with a retry policy.
    assertThat(events(JobEntity.RunQueued.class)).hasSize(1);
  }

  @Test
  void replaceKillsNothingWhenItsDecisionCannotBePersisted() {
    create(shell(), OverlapPolicy.REPLACE, null, null);
    ExecutorNode.Run first = tickAndAccept();

    job.persistenceTestKit().failNextPersisted();
    advance(TICK);
    // The journal failed: the entity restarts with backoff and decides the tick again on recovery.
    // Nothing was decided, so nothing may have been killed.
    executor.expectNoMessage(QUIET);
    advance(TICK);
    advance(TICK);
    Await.until(
        WAIT,
        "the tick decided after the restart",
        () -> events(JobEntity.RunQueued.class).size() >= 1);
    executor.expectNoMessage(QUIET);
    assertThat(job.getState().active()).containsOnlyKeys(first.runId());
  }

  // ---- catch-up

  @Test
  void catchUpAllFiresEveryMissedTickOnceInOrder() {
    create(new Action.Noop(), null, new CatchUpPolicy(CatchUpPolicy.Mode.ALL, null, 0), null);
    downFor(10);

    awaitFiredTicks(11);
    List<JobEntity.RunFired> fired = events(JobEntity.RunFired.class);
    assertThat(fired)
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactlyElementsOf(ticks(1, 11));
    assertThat(fired.subList(1, 11))
        .extracting(JobEntity.RunFired::reason)
        .containsOnly(RunReason.CATCHUP);
    assertThat(events(JobEntity.TicksSkipped.class)).isEmpty();
    assertEachTickExactlyOnce(11);
    assertThat(job.getState().lastScheduled()).isEqualTo(tick(11));

    // Another restart with no time passed decides nothing again.
    int before = events().size();
    job.restart();
    sync();
    executor.expectNoMessage(QUIET);
    assertThat(events()).hasSize(before);
  }

  @Test
  void catchUpAllRespectsTheWindowAndMaxRuns() {
    create(
        new Action.Noop(),
        null,
        new CatchUpPolicy(CatchUpPolicy.Mode.ALL, Duration.ofSeconds(5), 2),
        null);
    downFor(10);

    // Down from 00:01 to 00:11.4: ticks 2..11 missed; the window (from 00:06.4) holds 7..11.
    awaitFiredTicks(3);
    assertEachTickExactlyOnce(11);
    List<JobEntity.RunFired> catchUp =
        events(JobEntity.RunFired.class).stream()
            .filter(f -> f.reason() == RunReason.CATCHUP)
            .toList();
    assertThat(catchUp)
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactly(tick(10), tick(11));
    assertThat(events(JobEntity.TicksSkipped.class))
        .containsExactlyInAnyOrder(
            new JobEntity.TicksSkipped(
                ticks(2, 6), "catch-up: missed by more than the window (PT5S)"),
            new JobEntity.TicksSkipped(
                ticks(7, 9), "catch-up: more than maxRuns (2) ticks were missed"));
  }

  @Test
  void catchUpLatestFiresOnlyTheNewestTick() {
    create(new Action.Noop(), null, new CatchUpPolicy(CatchUpPolicy.Mode.LATEST, null, 0), null);
    downFor(10);

    awaitFiredTicks(2);
    assertEachTickExactlyOnce(11);
    assertThat(events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt, JobEntity.RunFired::reason)
        .containsExactly(tuple(tick(1), RunReason.SCHEDULE), tuple(tick(11), RunReason.CATCHUP));
    assertThat(events(JobEntity.TicksSkipped.class))
        .containsExactly(
            new JobEntity.TicksSkipped(ticks(2, 10), "catch-up: only the latest missed tick runs"));
  }

  @Test
  void catchUpNoneSkipsAllAndTheScheduleGoesOn() {
    create(new Action.Noop(), null, new CatchUpPolicy(CatchUpPolicy.Mode.NONE, null, 0), null);
    downFor(10);

    awaitEvent(JobEntity.TicksSkipped.class, s -> true);
    assertEachTickExactlyOnce(11);
    assertThat(events(JobEntity.TicksSkipped.class))
        .containsExactly(new JobEntity.TicksSkipped(ticks(2, 11), "catch-up: policy NONE"));
    assertThat(events(JobEntity.RunFired.class)).hasSize(1);
    sync();

    advance(Duration.ofMillis(600));
    awaitFiredTicks(2);
    JobEntity.RunFired next = events(JobEntity.RunFired.class).get(1);
    assertThat(next.scheduledAt()).isEqualTo(tick(12));
    assertThat(next.reason()).isEqualTo(RunReason.SCHEDULE);
    assertEachTickExactlyOnce(12);
  }

  @Test
  void catchUpOfMoreTicksThanAreDecidedOneByOneDecidesTheNewestUpToNow() {
    // Down for 2 h with a 2 h window: 7200 per-second ticks missed, more than the entity decides
    // one
    // by one (5000); it decides the newest ones, up to now.
    create(
        new Action.Noop(),
        null,
        new CatchUpPolicy(CatchUpPolicy.Mode.ALL, Duration.ofHours(2), 5),
        null);
    downFor(7200);

    // Thousands of ticks to compute and rows to write: give a loaded machine time.
    Await.until(
        Duration.ofSeconds(60),
        "the catch-up runs fired",
        () -> countRuns("reason = 'CATCHUP' AND status = 'SUCCEEDED'") >= 5);
    sync();
    // The high-water mark is the last missed tick, so no backlog of late ticks fires after the
    // catch-up
    // (the bug: ticks after the first 5000 all fired at once as scheduled ticks, past maxRuns).
    assertThat(job.getState().lastScheduled()).isEqualTo(tick(7201));
    assertThat(job.getState().busy()).isFalse();
    assertThat(countRuns("reason = 'CATCHUP'")).isEqualTo(5);
    assertThat(countRuns("reason = 'SCHEDULE' AND status <> 'SKIPPED'")).isEqualTo(1);
    // The newest ticks fired: 02:00:01 back to 01:59:57.
    assertThat(
            countRuns(
                "reason = 'CATCHUP' AND scheduled_at >= TIMESTAMP WITH TIME ZONE '2026-01-01 01:59:57Z'"))
        .isEqualTo(5);
    assertThat(countRuns("scheduled_at = TIMESTAMP WITH TIME ZONE '2026-01-01 02:00:01Z'"))
        .isEqualTo(1);
  }

  @Test
  void caughtUpShellRunsStartOneAfterAnotherUnderSkip() {
    create(shell(), OverlapPolicy.SKIP, null, null);
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), RunStatus.SUCCEEDED);
    sync();
    clock.advance(Duration.ofSeconds(3).plusMillis(400));
    job.restart();

    for (int t = 2; t <= 4; t++) {
      ExecutorNode.Run run = executor.expectMessageClass(ExecutorNode.Run.class);
      assertThat(run.scheduledAt()).isEqualTo(tick(t));
      assertThat(run.reason()).isEqualTo(RunReason.CATCHUP);
      run.replyTo().tell(new ExecutorNode.Accepted(run.runId()));
      executor.expectNoMessage(QUIET);
      end(run.runId(), RunStatus.SUCCEEDED);
    }
    executor.expectNoMessage(QUIET);
    assertThat(job.getState().busy()).isFalse();
  }

  @Test
  void aRestartWhileCaughtUpRunsWaitDecidesNoTickTwice() {
    create(shell(), OverlapPolicy.SKIP, null, null);
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), RunStatus.SUCCEEDED);
    sync();
    clock.advance(Duration.ofSeconds(3).plusMillis(400));
    job.restart();
    ExecutorNode.Run second = executor.expectMessageClass(ExecutorNode.Run.class);
    assertThat(second.scheduledAt()).isEqualTo(tick(2));
    second.replyTo().tell(new ExecutorNode.Accepted(second.runId()));
    sync();

    // Down again at once: tick 2 is still running, 3 and 4 wait; nothing is decided anew.
    job.restart();
    sync();
    assertThat(job.getState().active()).containsOnlyKeys(second.runId());
    assertThat(job.getState().queued())
        .extracting(JobState.QueuedRun::scheduledAt)
        .containsExactlyInAnyOrder(tick(3), tick(4));
    executor.expectNoMessage(QUIET);

    end(second.runId(), RunStatus.SUCCEEDED);
    for (int t = 3; t <= 4; t++) {
      ExecutorNode.Run run = executor.expectMessageClass(ExecutorNode.Run.class);
      assertThat(run.scheduledAt()).isEqualTo(tick(t));
      run.replyTo().tell(new ExecutorNode.Accepted(run.runId()));
      sync();
      end(run.runId(), RunStatus.SUCCEEDED);
    }
    executor.expectNoMessage(QUIET);
    assertThat(events(JobEntity.RunQueued.class)).hasSize(3);
    assertThat(events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactly(tick(1), tick(2), tick(3), tick(4));
  }

  // ---- retries

  @Test
  void failedRunsAreRetriedWithGrowingBackoffUpToMaxAttempts() {
    create(
        shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(2), 2.0, Duration.ofMinutes(5)));
    ExecutorNode.Run first = tickAndAccept();
    assertThat(first.attempt()).isEqualTo(1);

    Instant failedAt = clock.instant();
    end(first.runId(), RunStatus.FAILED);
    JobEntity.RunQueued retry = awaitEvent(JobEntity.RunQueued.class, q -> q.attempt() == 2);
    assertThat(retry.reason()).isEqualTo(RunReason.RETRY);
    assertThat(retry.scheduledAt()).isEqualTo(tick(1));
    assertThat(retry.notBefore()).isEqualTo(failedAt.plusSeconds(2));
    sync();

    ExecutorNode.Run second = retryAfter(Duration.ofSeconds(2));
    assertThat(second.runId()).isEqualTo(retry.runId());
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.scheduledAt()).isEqualTo(tick(1));
    assertThat(second.reason()).isEqualTo(RunReason.RETRY);

    failedAt = clock.instant();
    end(second.runId(), RunStatus.FAILED);
    JobEntity.RunQueued retry2 = awaitEvent(JobEntity.RunQueued.class, q -> q.attempt() == 3);
    assertThat(retry2.notBefore()).isEqualTo(failedAt.plusSeconds(4));
    assertThat(retry2.scheduledAt()).isEqualTo(tick(1));
    sync();

    ExecutorNode.Run third = retryAfter(Duration.ofSeconds(4));
    assertThat(third.attempt()).isEqualTo(3);
    assertThat(third.scheduledAt()).isEqualTo(tick(1));

    end(third.runId(), RunStatus.FAILED);
    assertThat(events(JobEntity.RunQueued.class)).hasSize(2);
    assertThat(job.getState().queued()).isEmpty();
    assertThat(job.getState().active()).isEmpty();
    // The ticks that came meanwhile were skipped (a run was active or waiting), none fired.
    assertThat(events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsOnly(tick(1));
    awaitRun(
        r -> r.id().equals(retry2.runId()) && r.attempt() == 3 && r.reason() == RunReason.RETRY);
  }

  @ParameterizedTest
  @EnumSource(
      value = RunStatus.class,
      names = {"FAILED", "TIMED_OUT", "LOST"})
  void failedTimedOutAndLostRunsAreRetried(RunStatus status) {
    create(shell(), null, null, new RetryPolicy(2, Duration.ofSeconds(1), 2.0, null));
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), status);
    assertThat(events(JobEntity.RunQueued.class))
        .singleElement()
        .satisfies(
            q -> {
              assertThat(q.reason()).isEqualTo(RunReason.RETRY);
              assertThat(q.attempt()).isEqualTo(2);
              assertThat(q.scheduledAt()).isEqualTo(tick(1));
            });
  }

  @ParameterizedTest
  @EnumSource(
      value = RunStatus.class,
      names = {"SUCCEEDED", "KILLED"})
  void succeededAndKilledRunsAreNotRetried(RunStatus status) {
    create(shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(1), 2.0, null));
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), status);
    assertThat(events(JobEntity.RunFinished.class))
        .containsExactly(new JobEntity.RunFinished(first.runId(), status));
    assertThat(events(JobEntity.RunQueued.class)).isEmpty();
    assertThat(job.getState().busy()).isFalse();
  }

  @Test
  void withoutARetryPolicyAFailedRunIsNotRetried() {
    create(shell(), null, null, null);
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), RunStatus.FAILED);
    assertThat(events(JobEntity.RunQueued.class)).isEmpty();
  }

  @Test
  void aRetryWaitingForItsBackoffSurvivesARestart() {
    create(shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(2), 2.0, null));
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), RunStatus.FAILED);
    JobEntity.RunQueued retry = awaitEvent(JobEntity.RunQueued.class, q -> true);

    job.restart();
    sync();
    assertThat(job.getState().queued())
        .extracting(JobState.QueuedRun::runId)
        .containsExactly(retry.runId());
    ExecutorNode.Run second = retryAfter(Duration.ofSeconds(2));
    assertThat(second.runId()).isEqualTo(retry.runId());
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.scheduledAt()).isEqualTo(tick(1));
  }

  @Test
  void aRunNoExecutorHasAfterARestartIsLostAndRetried() {
    create(shell(), null, null, new RetryPolicy(2, Duration.ofSeconds(1), 2.0, null));
    ExecutorNode.Run first = tickAndAccept();

    job.restart();
    sync();
    // The entity asks the run's executor after the ack timeout (3 s); the ticks meanwhile are
    // skipped.
    assertThat(settings.executor().ackTimeout()).isEqualTo(Duration.ofSeconds(3));
    tickSkipped(2);
    tickSkipped(3);
    advance(TICK);
    ExecutorNode.IsRunning asked = executor.expectMessageClass(ExecutorNode.IsRunning.class);
    assertThat(asked.runId()).isEqualTo(first.runId());
    asked.replyTo().tell(new ExecutorNode.Running(first.runId(), false));

    JobEntity.RunQueued retry = awaitEvent(JobEntity.RunQueued.class, q -> true);
    assertThat(events(JobEntity.RunFinished.class))
        .containsExactly(new JobEntity.RunFinished(first.runId(), RunStatus.LOST));
    assertThat(retry.attempt()).isEqualTo(2);
    assertThat(retry.reason()).isEqualTo(RunReason.RETRY);
    awaitRun(r -> r.id().equals(first.runId()) && r.status() == RunStatus.LOST);
    sync();

    advance(TICK);
    ExecutorNode.Run second = executor.expectMessageClass(ExecutorNode.Run.class);
    assertThat(second.runId()).isEqualTo(retry.runId());
    assertThat(second.scheduledAt()).isEqualTo(tick(1));
  }

  @Test
  void deletingAJobEndsItsQueuedRuns() {
    create(shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(2), 2.0, null));
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), RunStatus.FAILED);
    JobEntity.RunQueued retry = awaitEvent(JobEntity.RunQueued.class, q -> true);
    awaitRun(r -> r.id().equals(retry.runId()));

    job.<JobEntity.Reply>runCommand(JobEntity.Delete::new);
    // The retry never runs, and its row does not stay PENDING (retention only removes finished
    // runs).
    awaitRun(r -> r.id().equals(retry.runId()) && r.status().isTerminal());
    advance(TICK);
    advance(TICK);
    executor.expectNoMessage(QUIET);
  }

  // ---- kill

  @Test
  void killingAnActiveRunAsksItsExecutor() {
    create(shell(), null, null, null);
    ExecutorNode.Run run = tickAndAccept();
    var reply = job.<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(run.runId(), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(run.runId()));
    assertThat(executor.expectMessageClass(ExecutorNode.Kill.class))
        .isEqualTo(new ExecutorNode.Kill(run.runId()));
    // Still active until the executor reports it; killing again is fine.
    assertThat(job.getState().active()).containsKey(run.runId());
    var again = job.<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(run.runId(), r));
    assertThat(again.reply()).isEqualTo(new JobEntity.Killing(run.runId()));
    executor.expectMessageClass(ExecutorNode.Kill.class);

    end(run.runId(), RunStatus.KILLED);
    var late = job.<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(run.runId(), r));
    assertThat(late.reply()).isInstanceOf(JobEntity.Rejected.class);
    assertThat(((JobEntity.Rejected) late.reply()).problem()).isEqualTo(JobEntity.Problem.CONFLICT);
  }

  @Test
  void killingAQueuedRunFinishesItWithoutStartingIt() {
    create(shell(), OverlapPolicy.QUEUE_ONE, null, null);
    ExecutorNode.Run first = tickAndAccept();
    advance(TICK);
    JobEntity.RunQueued queued = awaitEvent(JobEntity.RunQueued.class, q -> true);
    sync();

    var reply = job.<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(queued.runId(), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(queued.runId()));
    assertThat(reply.events())
        .contains(new JobEntity.RunFinished(queued.runId(), RunStatus.KILLED));
    assertThat(job.getState().queued()).isEmpty();
    awaitRun(r -> r.id().equals(queued.runId()) && r.status() == RunStatus.KILLED);

    end(first.runId(), RunStatus.SUCCEEDED);
    executor.expectNoMessage(QUIET);
    assertThat(job.getState().busy()).isFalse();
  }

  @Test
  void killingARetryWaitingForItsBackoffEndsTheRetries() {
    create(shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(2), 2.0, null));
    ExecutorNode.Run first = tickAndAccept();
    end(first.runId(), RunStatus.FAILED);
    JobEntity.RunQueued retry = awaitEvent(JobEntity.RunQueued.class, q -> true);

    var reply = job.<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(retry.runId(), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(retry.runId()));
    assertThat(job.getState().busy()).isFalse();

    // No retry comes after the backoff; the next tick runs as the job is idle again.
    advance(TICK);
    ExecutorNode.Run next = executor.expectMessageClass(ExecutorNode.Run.class);
    assertThat(next.reason()).isEqualTo(RunReason.SCHEDULE);
    assertThat(next.scheduledAt()).isEqualTo(tick(2));
    next.replyTo().tell(new ExecutorNode.Accepted(next.runId()));
    sync();
    advance(TICK);
    awaitEvent(JobEntity.TicksSkipped.class, s -> s.ticks().contains(tick(3)));
    executor.expectNoMessage(QUIET);
    assertThat(events(JobEntity.RunQueued.class)).hasSize(1);
  }

  @Test
  void killingAnActiveRunWhoseExecutorIsGoneEndsIt() {
    create(shell(), null, null, null);
    ExecutorNode.Run run = tickAndAccept();
    placement.executors(Map.of());
    var reply = job.<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(run.runId(), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(run.runId()));
    assertThat(reply.events()).contains(new JobEntity.RunFinished(run.runId(), RunStatus.KILLED));
    awaitRun(r -> r.id().equals(run.runId()) && r.status() == RunStatus.KILLED);
  }

  @Test
  void killingAnUnknownRunConflicts() {
    create(shell(), null, null, null);
    var reply = job.<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun("no-such-run", r));
    assertThat(reply.reply()).isInstanceOf(JobEntity.Rejected.class);
    assertThat(((JobEntity.Rejected) reply.reply()).problem())
        .isEqualTo(JobEntity.Problem.CONFLICT);
    assertThat(reply.hasNoEvents()).isTrue();
    executor.expectNoMessage(QUIET);
  }

  // ---- helpers

  private static Action shell() {
    return new Action.Shell("sleep 100", Map.of(), null);
  }

  private void create(
      Action action, OverlapPolicy overlap, CatchUpPolicy catchUp, RetryPolicy retry) {
    JobSpec spec =
        new JobSpec(
            name, "", Map.of(), "* * * * * ?", "UTC", action, 60, true, overlap, catchUp, retry);
    var result = job.<JobEntity.Reply>runCommand(r -> new JobEntity.Create(spec, r));
    assertThat(result.reply()).isInstanceOf(JobEntity.JobView.class);
  }

  /** The tick at 00:00:0n of the test's day. */
  private static Instant tick(int n) {
    return Instant.parse("2026-01-01T00:00:00Z").plusSeconds(n);
  }

  private static List<Instant> ticks(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(JobEntityPoliciesTest::tick).toList();
  }

  private void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  /** Returns once the entity has handled everything sent to it before, side effects included. */
  private void sync() {
    job.<JobEntity.Reply>runCommand(JobEntity.Get::new);
  }

  /** Lets the next tick come, and accepts the run it hands to the executor. */
  private ExecutorNode.Run tickAndAccept() {
    advance(TICK);
    ExecutorNode.Run run = executor.expectMessageClass(ExecutorNode.Run.class);
    run.replyTo().tell(new ExecutorNode.Accepted(run.runId()));
    sync();
    return run;
  }

  private void tickSkipped(int n) {
    advance(TICK);
    awaitEvent(JobEntity.TicksSkipped.class, s -> s.ticks().contains(tick(n)));
    sync();
  }

  /** The retry must not start a moment before its backoff, and must start once it is over. */
  private ExecutorNode.Run retryAfter(Duration backoff) {
    for (long s = 1; s < backoff.toSeconds(); s++) {
      advance(TICK);
      awaitEvent(JobEntity.TicksSkipped.class, t -> t.ticks().contains(clock.instant()));
      sync();
    }
    executor.expectNoMessage(QUIET);
    advance(TICK);
    ExecutorNode.Run run = executor.expectMessageClass(ExecutorNode.Run.class);
    run.replyTo().tell(new ExecutorNode.Accepted(run.runId()));
    sync();
    return run;
  }

  private void end(String runId, RunStatus status) {
    var result = job.<Done>runCommand(r -> new JobEntity.RunEnded(runId, status, r));
    assertThat(result.reply()).isEqualTo(Done.getInstance());
  }

  /**
   * Tick 1 fires; then the node is down for {@code seconds} and a bit: the clock moves, no timer
   * fires. The restart is at 00:(1 + seconds).4, so no tick sits on the edge of a catch-up window.
   */
  private void downFor(int seconds) {
    advance(TICK);
    awaitFiredTicks(1);
    sync();
    clock.advance(Duration.ofSeconds(seconds).plusMillis(400));
    job.restart();
  }

  private List<Object> events() {
    return job.persistenceTestKit().persistedInStorage("Job|" + name);
  }

  private <T> List<T> events(Class<T> type) {
    return events().stream().filter(type::isInstance).map(type::cast).toList();
  }

  private <T> T awaitEvent(Class<T> type, Predicate<T> which) {
    Await.until(WAIT, type.getSimpleName(), () -> events(type).stream().anyMatch(which));
    return events(type).stream().filter(which).findFirst().orElseThrow();
  }

  private void awaitFiredTicks(int n) {
    Await.until(WAIT, n + " runs fired", () -> events(JobEntity.RunFired.class).size() >= n);
  }

  private int countRuns(String where) {
    try (var c = ds.getConnection();
        var ps = c.prepareStatement("SELECT COUNT(*) FROM runs WHERE job = ? AND " + where)) {
      ps.setString(1, name);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private List<RunRecord> runs() {
    return stores.runs().listByJob(name, 1000, null).items();
  }

  private RunRecord awaitRun(Predicate<RunRecord> which) {
    Await.until(WAIT, "a run row", () -> runs().stream().anyMatch(which));
    return runs().stream().filter(which).findFirst().orElseThrow();
  }

  /**
   * Ticks 1..last were each decided exactly once, in the journal (fired or skipped) and in the run
   * store (one finished row each); none after {@code last}.
   */
  private void assertEachTickExactlyOnce(int last) {
    Map<Instant, Integer> decided = new TreeMap<>();
    for (JobEntity.RunFired f : events(JobEntity.RunFired.class)) {
      if (f.reason() == RunReason.SCHEDULE || f.reason() == RunReason.CATCHUP) {
        decided.merge(f.scheduledAt(), 1, Integer::sum);
      }
    }
    for (JobEntity.TicksSkipped s : events(JobEntity.TicksSkipped.class)) {
      s.ticks().forEach(t -> decided.merge(t, 1, Integer::sum));
    }
    Map<Instant, Integer> once = new TreeMap<>();
    ticks(1, last).forEach(t -> once.put(t, 1));
    assertThat(decided).isEqualTo(once);

    Await.until(
        WAIT,
        "one finished run row per tick",
        () -> {
          List<RunRecord> rows = runs();
          return rows.size() == last && rows.stream().allMatch(r -> r.status().isTerminal());
        });
    Map<Instant, Integer> rows = new TreeMap<>();
    List<RunRecord> all = new ArrayList<>(runs());
    all.forEach(r -> rows.merge(r.scheduledAt(), 1, Integer::sum));
    assertThat(rows).isEqualTo(once);
  }
}
