package io.distcron.job;

import static io.distcron.job.EntityTestbed.NODE_A;
import static io.distcron.job.EntityTestbed.TICK;
import static io.distcron.job.EntityTestbed.WAIT;
import static io.distcron.job.EntityTestbed.shell;
import static io.distcron.job.EntityTestbed.tick;
import static io.distcron.job.EntityTestbed.ticks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.distcron.Await;
import io.distcron.exec.ExecutorNode;
import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job entity's execution policies with manual time: overlap, catch-up after downtime, retries,
 * kills. The executor is a probe; runs start and end when the test reports them.
 */
class JobEntityPoliciesTest {
  private static ActorTestKit kit;
  private static int counter;

  private EntityTestbed bed;
  private EntityTestbed.Executor a;

  @BeforeAll
  static void startKit() {
    kit = EntityTestbed.kit();
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    bed = new EntityTestbed(kit, "policies-" + (++counter), NODE_A);
    a = bed.executor(NODE_A);
  }

  @AfterEach
  void tearDown() {
    bed.close();
  }

  // ---- overlap

  @Test
  void skipRecordsATickThatComesWhileARunIsActive() {
    create(shell(), OverlapPolicy.SKIP, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);
    assertThat(first.scheduledAt()).isEqualTo(tick(1));

    bed.advance(TICK);
    JobEntity.TicksSkipped skipped = bed.awaitEvent(JobEntity.TicksSkipped.class, s -> true);
    assertThat(skipped)
        .isEqualTo(new JobEntity.TicksSkipped(List.of(tick(2)), "previous run still active"));
    a.idle();
    assertThat(bed.job().getState().active()).containsOnlyKeys(id(first));
    assertThat(bed.job().getState().lastScheduled()).isEqualTo(tick(2));
  }

  @Test
  void allowStartsASecondRunWhileTheFirstIsActive() {
    create(shell(), OverlapPolicy.ALLOW, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);
    ExecutorNode.Run second = bed.tickAndStart(a);
    assertThat(second.scheduledAt()).isEqualTo(tick(2));
    assertThat(id(second)).isNotEqualTo(id(first));
    assertThat(bed.job().getState().active()).containsOnlyKeys(id(first), id(second));
    assertThat(bed.events(JobEntity.TicksSkipped.class)).isEmpty();
  }

  @Test
  void queueOneHoldsOneTickAndStartsItWhenTheActiveRunEnds() {
    create(shell(), OverlapPolicy.QUEUE_ONE, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);

    bed.advance(TICK);
    JobEntity.RunQueued queued = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);
    assertThat(queued.scheduledAt()).isEqualTo(tick(2));
    assertThat(queued.reason()).isEqualTo(RunReason.SCHEDULE);
    bed.sync();

    tickSkipped(3, "a run is already queued");
    tickSkipped(4, "a run is already queued");
    assertThat(bed.job().getState().queued()).hasSize(1);
    assertThat(bed.events(JobEntity.RunQueued.class)).hasSize(1);
    a.idle();

    bed.end(a, first, RunStatus.SUCCEEDED);
    ExecutorNode.Run next = bed.handedTo(a);
    assertThat(id(next)).isEqualTo(queued.runId());
    assertThat(next.scheduledAt()).isEqualTo(tick(2));
    assertThat(bed.job().getState().queued()).isEmpty();
    assertThat(bed.job().getState().active()).containsOnlyKeys(id(next));
  }

  @Test
  void replaceKillsTheActiveRunAndStartsTheNewOneWhenTheKillIsReported() {
    create(
        shell(), OverlapPolicy.REPLACE, null, new RetryPolicy(3, Duration.ofSeconds(1), 2.0, null));
    ExecutorNode.Run first = bed.tickAndStart(a);

    bed.advance(TICK);
    assertThat(a.next(ExecutorNode.Kill.class))
        .isEqualTo(new ExecutorNode.Kill(first.token(), bed.name, a.uid));
    JobEntity.RunQueued queued = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);
    assertThat(queued.scheduledAt()).isEqualTo(tick(2));
    // Not started before the killed run has ended.
    a.idle();

    bed.end(a, first, RunStatus.KILLED);
    ExecutorNode.Run next = bed.handedTo(a);
    assertThat(id(next)).isEqualTo(queued.runId());
    assertThat(next.scheduledAt()).isEqualTo(tick(2));
    assertThat(bed.events(JobEntity.RunFinished.class))
        .extracting(JobEntity.RunFinished::runId, JobEntity.RunFinished::status)
        .containsExactly(tuple(id(first), RunStatus.KILLED));
    // A killed run is not retried, even with a retry policy.
    assertThat(bed.events(JobEntity.RunQueued.class)).hasSize(1);
  }

  @Test
  void replaceKillsNothingWhenItsDecisionCannotBePersisted() {
    create(shell(), OverlapPolicy.REPLACE, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);

    bed.job().persistenceTestKit().failNextPersisted();
    bed.advance(TICK);
    // The journal failed: the entity restarts with backoff and decides the tick again on recovery.
    // Nothing was decided, so nothing may have been killed.
    a.idle();
    bed.advance(TICK);
    bed.advance(TICK);
    Await.until(
        WAIT,
        "the tick decided after the restart",
        () ->
            bed.events(JobEntity.RunQueued.class).stream()
                .anyMatch(q -> q.scheduledAt().equals(tick(2))));
    a.idle();
    assertThat(bed.job().getState().active()).containsOnlyKeys(id(first));
  }

  // ---- catch-up

  @Test
  void catchUpAllFiresEveryMissedTickOnceInOrder() {
    create(new Action.Noop(), null, new CatchUpPolicy(CatchUpPolicy.Mode.ALL, null, 0), null);
    downFor(10);

    bed.awaitFired(11);
    List<JobEntity.RunFired> fired = bed.events(JobEntity.RunFired.class);
    assertThat(fired)
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactlyElementsOf(ticks(1, 11));
    assertThat(fired.subList(1, 11))
        .extracting(JobEntity.RunFired::reason)
        .containsOnly(RunReason.CATCHUP);
    assertThat(bed.events(JobEntity.TicksSkipped.class)).isEmpty();
    assertEachTickExactlyOnce(11);
    assertThat(bed.job().getState().lastScheduled()).isEqualTo(tick(11));

    // Another restart with no time passed decides nothing again.
    int before = bed.events().size();
    bed.job().restart();
    bed.sync();
    a.idle();
    assertThat(bed.events()).hasSize(before);
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
    bed.awaitFired(3);
    assertEachTickExactlyOnce(11);
    assertThat(bed.events(JobEntity.RunFired.class))
        .filteredOn(f -> f.reason() == RunReason.CATCHUP)
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactly(tick(10), tick(11));
    assertThat(bed.events(JobEntity.TicksSkipped.class))
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

    bed.awaitFired(2);
    assertEachTickExactlyOnce(11);
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt, JobEntity.RunFired::reason)
        .containsExactly(tuple(tick(1), RunReason.SCHEDULE), tuple(tick(11), RunReason.CATCHUP));
    assertThat(bed.events(JobEntity.TicksSkipped.class))
        .containsExactly(
            new JobEntity.TicksSkipped(ticks(2, 10), "catch-up: only the latest missed tick runs"));
  }

  @Test
  void catchUpNoneSkipsAllAndTheScheduleGoesOn() {
    create(new Action.Noop(), null, new CatchUpPolicy(CatchUpPolicy.Mode.NONE, null, 0), null);
    downFor(10);

    bed.awaitEvent(JobEntity.TicksSkipped.class, s -> true);
    assertEachTickExactlyOnce(11);
    assertThat(bed.events(JobEntity.TicksSkipped.class))
        .containsExactly(new JobEntity.TicksSkipped(ticks(2, 11), "catch-up: policy NONE"));
    assertThat(bed.events(JobEntity.RunFired.class)).hasSize(1);
    bed.sync();

    bed.advance(Duration.ofMillis(600));
    bed.awaitFired(2);
    JobEntity.RunFired next = bed.events(JobEntity.RunFired.class).get(1);
    assertThat(next.scheduledAt()).isEqualTo(tick(12));
    assertThat(next.reason()).isEqualTo(RunReason.SCHEDULE);
    assertEachTickExactlyOnce(12);
  }

  /**
   * Down for longer than {@link TickDecisions#MAX_RECORDED} ticks: the oldest are one range, the
   * newest decided one by one; every tick is accounted once, and no backlog fires after.
   */
  @ParameterizedTest
  @ValueSource(strings = {"PT1H", "PT5H"})
  void moreMissedTicksThanAreDecidedOneByOneAreEachAccountedOnce(Duration window) {
    int down = TickDecisions.MAX_RECORDED + 2_000;
    create(new Action.Noop(), null, new CatchUpPolicy(CatchUpPolicy.Mode.ALL, window, 5), null);
    downFor(down);
    int last = down + 1;

    // Thousands of ticks to compute: give a loaded machine time.
    Await.until(
        Duration.ofSeconds(60),
        "the catch-up",
        () -> !bed.events(JobEntity.TickRangeSkipped.class).isEmpty());
    bed.sync();
    JobEntity.TickRangeSkipped range = bed.events(JobEntity.TickRangeSkipped.class).get(0);
    assertThat(range.from()).isEqualTo(tick(2));
    assertThat(range.reason())
        .isEqualTo("catch-up: more than " + TickDecisions.MAX_RECORDED + " ticks were missed");
    assertThat(bed.events(JobEntity.RunFired.class))
        .filteredOn(f -> f.reason() == RunReason.CATCHUP)
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactlyElementsOf(ticks(last - 4, last));
    assertEachTickExactlyOnce(last);
    // The high-water mark is the last missed tick: no backlog of late ticks fires after.
    assertThat(bed.job().getState().lastScheduled()).isEqualTo(tick(last));
    assertThat(bed.job().getState().busy()).isFalse();
    int before = bed.events(JobEntity.RunFired.class).size();
    bed.advance(Duration.ofMillis(600));
    bed.awaitFired(before + 1);
    bed.sync();
    assertThat(bed.events(JobEntity.RunFired.class).subList(before, before + 1))
        .extracting(JobEntity.RunFired::scheduledAt, JobEntity.RunFired::reason)
        .containsExactly(tuple(tick(last + 1), RunReason.SCHEDULE));
    assertEachTickExactlyOnce(last + 1);
  }

  @Test
  void caughtUpShellRunsStartOneAfterAnotherUnderSkip() {
    create(shell(), OverlapPolicy.SKIP, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.end(a, first, RunStatus.SUCCEEDED);
    bed.sync();
    bed.clock.advance(Duration.ofSeconds(3).plusMillis(400));
    bed.job().restart();

    for (int t = 2; t <= 4; t++) {
      ExecutorNode.Run run = bed.handedTo(a);
      assertThat(run.scheduledAt()).isEqualTo(tick(t));
      assertThat(run.reason()).isEqualTo(RunReason.CATCHUP);
      bed.start(a, run);
      a.idle();
      bed.end(a, run, RunStatus.SUCCEEDED);
    }
    a.idle();
    assertThat(bed.job().getState().busy()).isFalse();
    assertEachTickExactlyOnce(4);
  }

  @Test
  void aRestartWhileCaughtUpRunsWaitDecidesNoTickTwice() {
    create(shell(), OverlapPolicy.SKIP, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.end(a, first, RunStatus.SUCCEEDED);
    bed.sync();
    bed.clock.advance(Duration.ofSeconds(3).plusMillis(400));
    bed.job().restart();
    ExecutorNode.Run second = bed.handedTo(a);
    assertThat(second.scheduledAt()).isEqualTo(tick(2));
    bed.start(a, second);

    // Down again at once: tick 2 is still running, 3 and 4 wait; nothing is decided anew.
    bed.job().restart();
    bed.sync();
    assertThat(bed.job().getState().active()).containsOnlyKeys(id(second));
    assertThat(bed.job().getState().queued())
        .extracting(JobState.QueuedRun::scheduledAt)
        .containsExactlyInAnyOrder(tick(3), tick(4));
    a.idle();

    bed.end(a, second, RunStatus.SUCCEEDED);
    for (int t = 3; t <= 4; t++) {
      ExecutorNode.Run run = bed.handedTo(a);
      assertThat(run.scheduledAt()).isEqualTo(tick(t));
      bed.start(a, run);
      bed.end(a, run, RunStatus.SUCCEEDED);
    }
    a.idle();
    assertThat(bed.events(JobEntity.RunQueued.class)).hasSize(3);
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactly(tick(1), tick(2), tick(3), tick(4));
    assertEachTickExactlyOnce(4);
  }

  // ---- retries

  @Test
  void failedRunsAreRetriedWithGrowingBackoffUpToMaxAttempts() {
    create(
        shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(2), 2.0, Duration.ofMinutes(5)));
    ExecutorNode.Run first = bed.tickAndStart(a);
    assertThat(first.attempt()).isEqualTo(1);

    Instant failedAt = bed.clock.instant();
    bed.end(a, first, RunStatus.FAILED);
    JobEntity.RunQueued retry = bed.awaitEvent(JobEntity.RunQueued.class, q -> q.attempt() == 2);
    assertThat(retry.reason()).isEqualTo(RunReason.RETRY);
    assertThat(retry.scheduledAt()).isEqualTo(tick(1));
    assertThat(retry.notBefore()).isEqualTo(failedAt.plusSeconds(2));
    bed.sync();

    ExecutorNode.Run second = retryAfter(Duration.ofSeconds(2));
    assertThat(id(second)).isEqualTo(retry.runId());
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.scheduledAt()).isEqualTo(tick(1));
    assertThat(second.reason()).isEqualTo(RunReason.RETRY);

    failedAt = bed.clock.instant();
    bed.end(a, second, RunStatus.FAILED);
    JobEntity.RunQueued retry2 = bed.awaitEvent(JobEntity.RunQueued.class, q -> q.attempt() == 3);
    assertThat(retry2.notBefore()).isEqualTo(failedAt.plusSeconds(4));
    assertThat(retry2.scheduledAt()).isEqualTo(tick(1));
    bed.sync();

    ExecutorNode.Run third = retryAfter(Duration.ofSeconds(4));
    assertThat(third.attempt()).isEqualTo(3);
    assertThat(third.scheduledAt()).isEqualTo(tick(1));

    bed.end(a, third, RunStatus.FAILED);
    assertThat(bed.events(JobEntity.RunQueued.class)).hasSize(2);
    assertThat(bed.job().getState().busy()).isFalse();
    // The ticks that came meanwhile were skipped (a run was active or waiting), none fired.
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt, JobEntity.RunFired::attempt)
        .containsExactly(tuple(tick(1), 1), tuple(tick(1), 2), tuple(tick(1), 3));
    assertEachTickExactlyOnce(bed.job().getState().lastScheduled());
  }

  @ParameterizedTest
  @EnumSource(
      value = RunStatus.class,
      names = {"FAILED", "TIMED_OUT", "LOST"})
  void failedTimedOutAndLostRunsAreRetried(RunStatus status) {
    create(shell(), null, null, new RetryPolicy(2, Duration.ofSeconds(1), 2.0, null));
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.end(a, first, status);
    assertThat(bed.events(JobEntity.RunQueued.class))
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
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.end(a, first, status);
    assertThat(bed.events(JobEntity.RunFinished.class))
        .extracting(JobEntity.RunFinished::runId, JobEntity.RunFinished::status)
        .containsExactly(tuple(id(first), status));
    assertThat(bed.events(JobEntity.RunQueued.class)).isEmpty();
    assertThat(bed.job().getState().busy()).isFalse();
  }

  @Test
  void withoutARetryPolicyAFailedRunIsNotRetried() {
    create(shell(), null, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.end(a, first, RunStatus.FAILED);
    assertThat(bed.events(JobEntity.RunQueued.class)).isEmpty();
  }

  @Test
  void aRetryWaitingForItsBackoffSurvivesARestart() {
    create(shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(2), 2.0, null));
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.end(a, first, RunStatus.FAILED);
    JobEntity.RunQueued retry = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);

    bed.job().restart();
    bed.sync();
    assertThat(bed.job().getState().queued())
        .extracting(JobState.QueuedRun::runId)
        .containsExactly(retry.runId());
    ExecutorNode.Run second = retryAfter(Duration.ofSeconds(2));
    assertThat(id(second)).isEqualTo(retry.runId());
    assertThat(second.attempt()).isEqualTo(2);
    assertThat(second.scheduledAt()).isEqualTo(tick(1));
  }

  @Test
  void aStartedRunItsExecutorNoLongerHasAfterARestartIsLostAndRetried() {
    create(shell(), null, null, new RetryPolicy(2, Duration.ofSeconds(1), 2.0, null));
    ExecutorNode.Run first = bed.tickAndStart(a);

    bed.job().restart();
    bed.sync();
    // The entity asks after its runs from the ack timeout on (3 s); the ticks meanwhile are
    // skipped.
    assertThat(bed.settings.executor().ackTimeout()).isEqualTo(Duration.ofSeconds(3));
    tickSkipped(2, "previous run still active");
    tickSkipped(3, "previous run still active");
    bed.advance(TICK);
    ExecutorNode.Check asked = a.probe.expectMessageClass(ExecutorNode.Check.class);
    assertThat(asked).isEqualTo(new ExecutorNode.Check(first.token(), bed.name, a.uid));
    bed.report(new ExecutorNode.Refused(first.token(), NODE_A, "no such run on " + NODE_A));

    JobEntity.RunQueued retry = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);
    assertThat(bed.events(JobEntity.RunFinished.class))
        .containsExactly(
            new JobEntity.RunFinished(
                id(first),
                RunStatus.LOST,
                null,
                NODE_A + " no longer has the run: no such run on " + NODE_A,
                tick(4)));
    assertThat(retry.attempt()).isEqualTo(2);
    assertThat(retry.reason()).isEqualTo(RunReason.RETRY);
    bed.sync();

    bed.advance(TICK);
    ExecutorNode.Run second = bed.handedTo(a);
    assertThat(id(second)).isEqualTo(retry.runId());
    assertThat(second.scheduledAt()).isEqualTo(tick(1));
  }

  // ---- kill

  @Test
  void killingAnActiveRunAsksItsExecutorUntilItEnds() {
    create(shell(), null, null, null);
    ExecutorNode.Run run = bed.tickAndStart(a);
    var reply = bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(id(run), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(id(run)));
    assertThat(reply.hasNoEvents()).isTrue();
    ExecutorNode.Kill kill = new ExecutorNode.Kill(run.token(), bed.name, a.uid);
    assertThat(a.next(ExecutorNode.Kill.class)).isEqualTo(kill);
    // Still active until the executor reports it; killing again is fine.
    assertThat(bed.job().getState().active()).containsKey(id(run));
    assertThat(bed.ask(r -> new JobEntity.KillRun(id(run), r)))
        .isEqualTo(new JobEntity.Killing(id(run)));
    assertThat(a.next(ExecutorNode.Kill.class)).isEqualTo(kill);
    // The checks ask again in case a kill was lost (ticks are skipped meanwhile).
    for (int t = 2; t <= 4; t++) tickSkipped(t, "previous run still active");
    assertThat(a.probe.expectMessageClass(ExecutorNode.Kill.class)).isEqualTo(kill);

    bed.end(a, run, RunStatus.KILLED);
    assertThat(bed.events(JobEntity.RunFinished.class))
        .extracting(JobEntity.RunFinished::status)
        .containsExactly(RunStatus.KILLED);
    var late = bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(id(run), r));
    assertThat(late.reply())
        .isEqualTo(
            new JobEntity.Rejected(
                JobEntity.Problem.CONFLICT, "run " + id(run) + " has already finished"));
  }

  @Test
  void killingARunBeforeItStartsEndsItWhenItsExecutorRefusesIt() {
    create(shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(1), 2.0, null));
    bed.advance(TICK);
    ExecutorNode.Run run = bed.handedTo(a);
    bed.ask(r -> new JobEntity.KillRun(id(run), r));
    a.next(ExecutorNode.Kill.class);
    // The executor had not started it, and now never will.
    var refused = bed.report(new ExecutorNode.Refused(run.token(), NODE_A, "no such run"));
    assertThat(refused.events())
        .containsExactly(
            new JobEntity.RunFinished(
                id(run), RunStatus.KILLED, null, "killed before it started", tick(1)));
    a.idle();
  }

  @Test
  void aRunThatStartsAfterItsKillWasAskedIsKilledAgain() {
    create(shell(), null, null, null);
    bed.advance(TICK);
    ExecutorNode.Run run = bed.handedTo(a);
    bed.ask(r -> new JobEntity.KillRun(id(run), r));
    ExecutorNode.Kill kill = a.next(ExecutorNode.Kill.class);
    var started =
        bed.report(new ExecutorNode.Started(run.token(), NODE_A, bed.clock.instant(), a.ref()));
    assertThat(started.events()).hasOnlyElementsOfType(JobEntity.RunStarted.class).hasSize(1);
    assertThat(a.next(ExecutorNode.Kill.class)).isEqualTo(kill);
    assertThat(a.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(run.token(), false));
  }

  @Test
  void killingAQueuedRunFinishesItWithoutStartingIt() {
    create(shell(), OverlapPolicy.QUEUE_ONE, null, null);
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.advance(TICK);
    JobEntity.RunQueued queued = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);
    bed.sync();

    var reply =
        bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(queued.runId(), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(queued.runId()));
    assertThat(reply.events())
        .containsExactly(
            new JobEntity.RunFinished(
                queued.runId(), RunStatus.KILLED, null, "killed before it started", tick(2)));
    assertThat(bed.job().getState().queued()).isEmpty();

    bed.end(a, first, RunStatus.SUCCEEDED);
    a.idle();
    assertThat(bed.job().getState().busy()).isFalse();
  }

  @Test
  void killingARetryWaitingForItsBackoffEndsTheRetries() {
    create(shell(), null, null, new RetryPolicy(3, Duration.ofSeconds(2), 2.0, null));
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.end(a, first, RunStatus.FAILED);
    JobEntity.RunQueued retry = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);

    var reply = bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(retry.runId(), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(retry.runId()));
    assertThat(reply.events())
        .extracting(e -> ((JobEntity.RunFinished) e).status())
        .containsExactly(RunStatus.KILLED);
    assertThat(bed.job().getState().busy()).isFalse();

    // No retry comes after the backoff; the next tick runs as the job is idle again.
    ExecutorNode.Run next = bed.tickAndStart(a);
    assertThat(next.reason()).isEqualTo(RunReason.SCHEDULE);
    assertThat(next.scheduledAt()).isEqualTo(tick(2));
    tickSkipped(3, "previous run still active");
    a.idle();
    assertThat(bed.events(JobEntity.RunQueued.class)).hasSize(1);
  }

  @Test
  void killingARunWhoseNodeLeftEndsItAtOnce() {
    create(shell(), null, null, null);
    ExecutorNode.Run run = bed.tickAndStart(a);
    bed.members.leave(NODE_A);
    var reply = bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun(id(run), r));
    assertThat(reply.reply()).isEqualTo(new JobEntity.Killing(id(run)));
    assertThat(reply.events())
        .containsExactly(
            new JobEntity.RunFinished(
                id(run), RunStatus.KILLED, null, "killed; its node had left", tick(1)));
    a.idle();
  }

  @Test
  void aRunBeingKilledWhoseNodeLeavesIsKilledNotRetried() {
    create(shell(), null, null, new RetryPolicy(3, TICK, 2.0, null));
    ExecutorNode.Run run = bed.tickAndStart(a);
    bed.ask(r -> new JobEntity.KillRun(id(run), r));
    a.next(ExecutorNode.Kill.class);

    // Its node goes before the executor could report the kill; the watchdog killed the run.
    bed.members.leave(NODE_A);
    // The first check comes 3 s after the hand-off, at tick 4 (which of the two timers goes first
    // at that instant is not fixed): ticks 2 and 3 still find the run active.
    for (int t = 2; t <= 3; t++) tickSkipped(t, "previous run still active");
    bed.advance(TICK);
    JobEntity.RunFinished ended = bed.awaitEvent(JobEntity.RunFinished.class, f -> true);
    assertThat(ended.status()).isEqualTo(RunStatus.KILLED);
    // No retry of the killed run. (Tick 4 itself may fire after the check found no executor left,
    // fail and be retried: that is another run.)
    assertThat(bed.events(JobEntity.RunQueued.class))
        .noneMatch(q -> q.scheduledAt().equals(run.scheduledAt()));
  }

  @Test
  void killingAnUnknownRunConflicts() {
    create(shell(), null, null, null);
    var reply = bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.KillRun("no-such-run", r));
    assertThat(reply.reply())
        .isEqualTo(
            new JobEntity.Rejected(
                JobEntity.Problem.CONFLICT, "run no-such-run has already finished"));
    assertThat(reply.hasNoEvents()).isTrue();
    a.idle();
  }

  // ---- helpers

  private void create(
      Action action, OverlapPolicy overlap, CatchUpPolicy catchUp, RetryPolicy retry) {
    bed.create(bed.spec(action, overlap, catchUp, retry));
  }

  private static String id(ExecutorNode.Run run) {
    return run.token().runId();
  }

  private void tickSkipped(int n, String why) {
    bed.advance(TICK);
    assertThat(bed.awaitEvent(JobEntity.TicksSkipped.class, s -> s.ticks().contains(tick(n))))
        .isEqualTo(new JobEntity.TicksSkipped(List.of(tick(n)), why));
    bed.sync();
  }

  /** The retry must not start a moment before its backoff, and must start once it is over. */
  private ExecutorNode.Run retryAfter(Duration backoff) {
    for (long s = 1; s < backoff.toSeconds(); s++) {
      bed.advance(TICK);
      Instant now = bed.clock.instant();
      bed.awaitEvent(JobEntity.TicksSkipped.class, t -> t.ticks().contains(now));
      bed.sync();
    }
    a.idle();
    bed.advance(TICK);
    ExecutorNode.Run run = bed.handedTo(a);
    bed.start(a, run);
    return run;
  }

  /**
   * Tick 1 fires; then the node is down for {@code seconds} and a bit: the clock moves, no timer
   * fires. The restart is at 00:(1 + seconds).4, so no tick sits on the edge of a catch-up window.
   */
  private void downFor(int seconds) {
    bed.advance(TICK);
    bed.awaitFired(1);
    bed.sync();
    bed.clock.advance(Duration.ofSeconds(seconds).plusMillis(400));
    bed.job().restart();
  }

  private void assertEachTickExactlyOnce(int last) {
    assertEachTickExactlyOnce(tick(last));
  }

  /**
   * Every tick from the first up to {@code last} was decided exactly once in the journal: fired,
   * queued, skipped by name or inside a range; none after {@code last}.
   */
  private void assertEachTickExactlyOnce(Instant last) {
    List<Object> events = bed.events();
    Map<Instant, Integer> decided = new TreeMap<>();
    Set<String> queued = new HashSet<>();
    for (Object e : events) {
      if (e instanceof JobEntity.RunQueued q) queued.add(q.runId());
    }
    for (Object e : events) {
      // A run decided by RunQueued fires later under the same id: one decision, not two.
      if (e instanceof JobEntity.RunFired f && ticked(f.reason()) && !queued.contains(f.runId())) {
        decided.merge(f.scheduledAt(), 1, Integer::sum);
      } else if (e instanceof JobEntity.RunQueued q && ticked(q.reason())) {
        decided.merge(q.scheduledAt(), 1, Integer::sum);
      } else if (e instanceof JobEntity.TicksSkipped s) {
        s.ticks().forEach(t -> decided.merge(t, 1, Integer::sum));
      }
    }
    List<Instant> all =
        CronSchedule.parse(EntityTestbed.EVERY_SECOND, "UTC")
            .between(EntityTestbed.START, last, Integer.MAX_VALUE);
    for (Object e : events) {
      if (e instanceof JobEntity.TickRangeSkipped r) {
        all.stream()
            .filter(t -> !t.isBefore(r.from()) && t.isBefore(r.until()))
            .forEach(t -> decided.merge(t, 1, Integer::sum));
      }
    }
    assertThat(all.stream().filter(t -> !decided.containsKey(t)).toList())
        .as("ticks without a decision")
        .isEmpty();
    assertThat(decided.entrySet().stream().filter(d -> d.getValue() > 1).map(Map.Entry::getKey))
        .as("ticks decided twice")
        .isEmpty();
    assertThat(decided.keySet().stream().filter(t -> t.isAfter(last)))
        .as("ticks decided ahead")
        .isEmpty();
  }

  private static boolean ticked(RunReason reason) {
    return reason == RunReason.SCHEDULE || reason == RunReason.CATCHUP;
  }
}
