package io.distcron.job;

import static io.distcron.job.EntityTestbed.HOURLY;
import static io.distcron.job.EntityTestbed.NODE_A;
import static io.distcron.job.EntityTestbed.NODE_B;
import static io.distcron.job.EntityTestbed.START;
import static io.distcron.job.EntityTestbed.TICK;
import static io.distcron.job.EntityTestbed.shell;
import static io.distcron.job.EntityTestbed.tick;
import static io.distcron.job.EntityTestbed.ticks;
import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.exec.ExecutorNode;
import io.distcron.run.Action;
import io.distcron.run.RunOutcome;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.run.RunToken;
import io.distcron.schedule.OverlapPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The job entity on the persistence testkit with manual time: ticks, recovery, pause, delete, and a
 * run's way through its executor, judged from the journal.
 */
class JobEntityTest {
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
    bed = new EntityTestbed(kit, "job-" + (++counter), NODE_A);
    a = bed.executor(NODE_A);
  }

  @AfterEach
  void tearDown() {
    bed.close();
  }

  private JobSpec noop() {
    return bed.spec(new Action.Noop(), null, null, null);
  }

  private List<JobEntity.RunFired> fired() {
    return bed.events(JobEntity.RunFired.class);
  }

  private org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit
              .CommandResultWithReply<
          JobEntity.Command, JobEntity.Event, JobState, JobEntity.Reply>
      send(
          java.util.function.Function<
                  org.apache.pekko.actor.typed.ActorRef<JobEntity.Reply>, JobEntity.Command>
              command) {
    return bed.job().runCommand(command::apply);
  }

  private static JobEntity.Outcome outcome(JobEntity.Reply reply) {
    assertThat(reply).isInstanceOf(JobEntity.Applied.class);
    return ((JobEntity.Applied) reply).outcome();
  }

  /**
   * Bulk apply: the job decides create, update or nothing; a prune deletes only its owner's job.
   */
  @Test
  void anApplyChangesOnlyWhatDiffersAndAPruneDeletesOnlyItsOwnersJob() {
    JobSpec owned = noop().withManagedBy("git:ops");
    var dry = send(r -> new JobEntity.Apply(owned, true, r));
    assertThat(outcome(dry.reply())).isEqualTo(JobEntity.Outcome.CREATED);
    assertThat(dry.events()).isEmpty();

    var created = send(r -> new JobEntity.Apply(owned, false, r));
    assertThat(outcome(created.reply())).isEqualTo(JobEntity.Outcome.CREATED);
    assertThat(created.events()).containsExactly(new JobEntity.Defined(owned, START));
    var same = send(r -> new JobEntity.Apply(owned, false, r));
    assertThat(outcome(same.reply())).isEqualTo(JobEntity.Outcome.UNCHANGED);
    assertThat(same.events()).isEmpty();

    JobSpec hourly = bed.spec(HOURLY, new Action.Noop(), null, null, null).withManagedBy("git:ops");
    var updated = send(r -> new JobEntity.Apply(hourly, false, r));
    assertThat(outcome(updated.reply())).isEqualTo(JobEntity.Outcome.UPDATED);
    assertThat(updated.events()).hasSize(1);

    var taken = send(r -> new JobEntity.Apply(hourly.withManagedBy("git:other"), false, r));
    assertThat(taken.reply()).isInstanceOf(JobEntity.Rejected.class);
    assertThat(taken.events()).isEmpty();
    var notTheirs = send(r -> new JobEntity.Prune("git:other", false, r));
    assertThat(outcome(notTheirs.reply())).isEqualTo(JobEntity.Outcome.UNCHANGED);
    assertThat(notTheirs.events()).isEmpty();

    var dryPrune = send(r -> new JobEntity.Prune("git:ops", true, r));
    assertThat(outcome(dryPrune.reply())).isEqualTo(JobEntity.Outcome.DELETED);
    assertThat(dryPrune.events()).isEmpty();
    var pruned = send(r -> new JobEntity.Prune("git:ops", false, r));
    assertThat(outcome(pruned.reply())).isEqualTo(JobEntity.Outcome.DELETED);
    assertThat(pruned.events()).containsExactly(new JobEntity.Deleted());
    assertThat(bed.job().getState().exists()).isFalse();
  }

  private static JobSpec timed(JobSpec s, Duration jitter, Instant startAt, Instant endAt) {
    return new JobSpec(
        s.name(),
        s.description(),
        s.labels(),
        s.schedule(),
        s.timezone(),
        s.action(),
        s.timeoutSeconds(),
        s.enabled(),
        s.overlap(),
        s.catchUp(),
        s.retry(),
        jitter,
        startAt,
        endAt,
        s.managedBy(),
        s.target(),
        s.notifyRules(),
        s.excludeCalendars());
  }

  @Test
  void aJitteredTickFiresItsDelayAfterTheTickAndTheRunRecordsIt() {
    JobSpec spec =
        timed(
            bed.spec(HOURLY, new Action.Noop(), null, null, null),
            Duration.ofMinutes(30),
            null,
            null);
    Instant tick = START.plus(Duration.ofHours(1));
    Duration delay = spec.delayOf(tick);
    bed.create(spec);

    bed.advance(Duration.between(START, tick).plus(delay).minusMillis(500));
    bed.sync();
    assertThat(fired()).isEmpty();

    bed.advance(Duration.ofSeconds(1));
    bed.awaitFired(1);
    JobEntity.RunFired run = fired().get(0);
    assertThat(run.scheduledAt()).isEqualTo(tick);
    assertThat(run.jitter()).isEqualTo(delay);
    assertThat(run.firedAt()).isAfterOrEqualTo(tick.plus(delay));
  }

  @Test
  void boundsKeepTicksBetweenStartAtAndEndAt() {
    bed.create(timed(noop(), null, tick(2), tick(4)));
    for (int n = 1; n <= 6; n++) {
      bed.advance(TICK);
      bed.sync();
    }
    bed.awaitFired(3);
    bed.advance(TICK);
    bed.sync();
    assertThat(fired())
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactly(tick(2), tick(3), tick(4));
    assertThat(bed.job().getState().spec().endedBy(bed.clock.instant())).isTrue();
  }

  @Test
  void aCreatedJobFiresEachTickOnceInOrder() {
    JobEntity.JobView view = bed.create(noop());
    assertThat(bed.events()).containsExactly(new JobEntity.Defined(noop(), START));
    assertThat(view.nextFireTimes()).containsExactlyElementsOf(ticks(1, 5));

    for (int n = 1; n <= 5; n++) {
      bed.advance(TICK);
      bed.awaitFired(n);
      bed.sync();
    }
    assertThat(fired())
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactlyElementsOf(ticks(1, 5));
    // A noop run is done as it fires: one event per run, on this node, nothing left to finish.
    assertThat(fired())
        .allSatisfy(
            f -> {
              assertThat(f.done()).isTrue();
              assertThat(f.node()).isEqualTo(NODE_A);
              assertThat(f.reason()).isEqualTo(RunReason.SCHEDULE);
              assertThat(f.firedAt()).isEqualTo(f.scheduledAt());
            });
    assertThat(bed.events(JobEntity.RunFinished.class)).isEmpty();
    assertThat(bed.job().getState().active()).isEmpty();
    assertThat(bed.job().getState().lastScheduled()).isEqualTo(tick(5));
    a.idle();
  }

  @Test
  void aTickIsPersistedBeforeItsRunIsHandedOver() {
    bed.create(bed.spec(shell(), null, null, null));
    bed.advance(TICK);
    ExecutorNode.Run run = a.run();
    // The hand-off arrived: its decision is in the journal already.
    assertThat(bed.events(JobEntity.RunFired.class))
        .containsExactly(
            new JobEntity.RunFired(
                run.token().runId(),
                tick(1),
                tick(1),
                RunReason.SCHEDULE,
                1,
                NODE_A,
                false,
                a.uid,
                1,
                null));
    assertThat(run.token().epoch()).isEqualTo(1);
    assertThat(run.nodeUid()).isEqualTo(a.uid);
    assertThat(run.job()).isEqualTo(bed.name);
    assertThat(run.scheduledAt()).isEqualTo(tick(1));
    assertThat(run.attempt()).isEqualTo(1);
    assertThat(run.reason()).isEqualTo(RunReason.SCHEDULE);
    assertThat(run.action()).isEqualTo(shell());
    assertThat(run.timeoutSeconds()).isEqualTo(60);
  }

  @Test
  void aRunStartsAndFinishesWhenItsExecutorReportsAndEachReportIsAcknowledged() {
    bed.create(bed.spec(shell(), null, null, null));
    bed.advance(TICK);
    ExecutorNode.Run run = bed.handedTo(a);
    String id = run.token().runId();
    assertThat(bed.job().getState().active().get(id).started()).isFalse();

    Instant startedAt = bed.clock.instant().minusMillis(300);
    var started = bed.report(new ExecutorNode.Started(run.token(), NODE_A, startedAt, a.ref()));
    assertThat(started.events())
        .containsExactly(new JobEntity.RunStarted(id, 1, NODE_A, startedAt));
    assertThat(a.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(run.token(), false));
    assertThat(bed.job().getState().active().get(id).startedAt()).isEqualTo(startedAt);

    // The executor re-sends its start until acknowledged: a duplicate is acknowledged again only.
    var again = bed.report(new ExecutorNode.Started(run.token(), NODE_A, startedAt, a.ref()));
    assertThat(again.hasNoEvents()).isTrue();
    assertThat(a.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(run.token(), false));

    var ended =
        bed.report(
            new ExecutorNode.Ended(
                run.token(),
                NODE_A,
                new RunOutcome(RunStatus.FAILED, 3, "exit code 3"),
                bed.clock.instant(),
                a.ref()));
    assertThat(ended.events())
        .containsExactly(
            new JobEntity.RunFinished(id, RunStatus.FAILED, 3, "exit code 3", bed.clock.instant()));
    assertThat(a.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(run.token(), true));
    assertThat(bed.job().getState().active()).isEmpty();

    // So is its end: the run is over, nothing is persisted again.
    var late =
        bed.report(
            new ExecutorNode.Ended(
                run.token(),
                NODE_A,
                new RunOutcome(RunStatus.FAILED, 3, "exit code 3"),
                bed.clock.instant(),
                a.ref()));
    assertThat(late.hasNoEvents()).isTrue();
    assertThat(a.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(run.token(), true));
  }

  @Test
  void aRunEndsAtTheTimeItsExecutorSawItEnd() {
    bed.create(bed.spec(shell(), null, null, null));
    ExecutorNode.Run run = bed.tickAndStart(a);
    Instant endedAt = bed.clock.instant();
    // The report reaches the job a while later (it was re-sent, or the job was recovering).
    bed.clock.advance(Duration.ofSeconds(30));
    bed.report(
        new ExecutorNode.Ended(
            run.token(), NODE_A, EntityTestbed.outcome(RunStatus.SUCCEEDED), endedAt, a.ref()));
    assertThat(bed.events(JobEntity.RunFinished.class))
        .extracting(JobEntity.RunFinished::at)
        .containsExactly(endedAt);
  }

  @Test
  void aRunNoExecutorCanTakeFailsAtOnce() {
    bed.members.leave(NODE_A);
    bed.create(bed.spec(shell(), null, null, null));
    bed.advance(TICK);
    bed.awaitEvent(JobEntity.RunFinished.class, f -> true);
    JobEntity.RunFired fired = fired().get(0);
    assertThat(fired.node()).isNull();
    assertThat(bed.events(JobEntity.RunFinished.class))
        .containsExactly(
            new JobEntity.RunFinished(
                fired.runId(), RunStatus.FAILED, null, "no executor node available", tick(1)));
    assertThat(bed.job().getState().active()).isEmpty();
    a.idle();
  }

  @Test
  void aManualRunStartsWhateverThePauseAndTheOverlapPolicy() {
    bed.create(bed.spec(shell(), null, null, null));
    ExecutorNode.Run first = bed.tickAndStart(a);
    bed.ask(JobEntity.Pause::new);

    var reply = (JobEntity.Triggered) bed.ask(JobEntity.Trigger::new);
    ExecutorNode.Run manual = bed.handedTo(a);
    assertThat(manual.token()).isEqualTo(new RunToken(reply.runId(), 1));
    assertThat(manual.reason()).isEqualTo(RunReason.MANUAL);
    assertThat(bed.job().getState().active())
        .containsOnlyKeys(first.token().runId(), reply.runId());
    // A manual run is not a tick: the high-water mark stays.
    assertThat(bed.job().getState().lastScheduled()).isEqualTo(tick(1));
  }

  @Test
  void aRestartRecoversAndNeverRefiresAPersistedTick() {
    bed.create(noop());
    bed.advance(TICK);
    bed.awaitFired(1);
    bed.sync();

    // The node was down for a moment and its clock is back before the persisted tick.
    bed.clock.set(START.plusMillis(400));
    var restarted = bed.job().restart();
    assertThat(restarted.state().lastScheduled()).isEqualTo(tick(1));
    assertThat(restarted.state().spec()).isEqualTo(noop());
    bed.sync();

    // From 00:00.4 the next tick would be 00:01 again; the high-water mark says it is done.
    bed.advance(Duration.ofMillis(600));
    bed.advance(TICK);
    bed.awaitFired(2);
    bed.sync();
    bed.advance(TICK);
    bed.awaitFired(3);
    assertThat(fired())
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactlyElementsOf(ticks(1, 3));
  }

  @Test
  void pauseStopsTicksAndResumeStartsAtTheNextTick() {
    bed.create(noop());
    var paused = bed.job().<JobEntity.Reply>runCommand(JobEntity.Pause::new);
    assertThat(paused.events()).containsExactly(new JobEntity.Paused());
    assertThat(((JobEntity.JobView) paused.reply()).nextFireTimes()).isEmpty();
    assertThat(((JobEntity.JobView) paused.reply()).paused()).isTrue();

    for (int i = 0; i < 3; i++) bed.advance(TICK);
    bed.sync();
    assertThat(fired()).isEmpty();

    var resumed = bed.job().<JobEntity.Reply>runCommand(JobEntity.Resume::new);
    assertThat(resumed.events()).containsExactly(new JobEntity.Resumed(tick(3)));
    bed.advance(TICK);
    bed.awaitFired(1);
    // The ticks inside the pause are not owed.
    assertThat(fired()).extracting(JobEntity.RunFired::scheduledAt).containsExactly(tick(4));
    assertThat(bed.events(JobEntity.TicksSkipped.class)).isEmpty();
  }

  @Test
  void aPausedJobStaysPausedAcrossARestart() {
    bed.create(noop());
    bed.ask(JobEntity.Pause::new);
    bed.clock.advance(Duration.ofSeconds(5));
    assertThat(bed.job().restart().state().paused()).isTrue();
    bed.sync();
    bed.advance(TICK);
    bed.sync();
    assertThat(fired()).isEmpty();
    assertThat(bed.events(JobEntity.TicksSkipped.class)).isEmpty();
  }

  @Test
  void deleteStopsTheTimerAndForgetsTheJob() {
    bed.create(noop());
    var deleted = bed.job().<JobEntity.Reply>runCommand(JobEntity.Delete::new);
    assertThat(deleted.events()).containsExactly(new JobEntity.Deleted());
    assertThat(deleted.reply()).isEqualTo(new JobEntity.Removed(2));
    for (int i = 0; i < 3; i++) bed.advance(TICK);
    bed.sync();
    assertThat(fired()).isEmpty();
    assertThat(bed.ask(JobEntity.Get::new))
        .isEqualTo(
            new JobEntity.Rejected(
                JobEntity.Problem.NOT_FOUND, "job '" + bed.name + "' not found"));
    // A deleted job can be created anew.
    bed.create(noop());
  }

  @Test
  void createTwiceConflictsAndAnUnknownJobIsNotFound() {
    assertThat(bed.ask(JobEntity.Trigger::new))
        .isEqualTo(
            new JobEntity.Rejected(
                JobEntity.Problem.NOT_FOUND, "job '" + bed.name + "' not found"));
    assertThat(bed.ask(JobEntity.Pause::new)).isInstanceOf(JobEntity.Rejected.class);
    bed.create(noop());
    var again = bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.Create(noop(), r));
    assertThat(again.reply())
        .isEqualTo(
            new JobEntity.Rejected(
                JobEntity.Problem.CONFLICT, "job '" + bed.name + "' already exists"));
    assertThat(again.hasNoEvents()).isTrue();
  }

  @Test
  void replaceChangesTheScheduleFromTheNextTick() {
    bed.create(noop());
    bed.advance(TICK);
    bed.awaitFired(1);
    bed.sync();
    JobSpec hourly = bed.spec(HOURLY, new Action.Noop(), null, null, null);
    var replaced = bed.job().<JobEntity.Reply>runCommand(r -> new JobEntity.Replace(hourly, r));
    assertThat(replaced.events()).containsExactly(new JobEntity.Defined(hourly, tick(1)));
    assertThat(((JobEntity.JobView) replaced.reply()).nextFireTimes())
        .first()
        .isEqualTo(Instant.parse("2026-01-01T01:00:00Z"));
    for (int i = 0; i < 5; i++) bed.advance(TICK);
    bed.sync();
    assertThat(fired()).hasSize(1);
  }

  @Test
  void aFireOfTheCurrentArmingFires() {
    // The counterpart of the next test: generation 1 is the arming of a job just created.
    bed.create(noop());
    bed.job().runCommand(new JobEntity.Fire(tick(1), 1));
    bed.awaitFired(1);
    assertThat(fired()).extracting(JobEntity.RunFired::scheduledAt).containsExactly(tick(1));
  }

  @Test
  void aFireOfAnEarlierArmingIsIgnored() {
    bed.create(noop());
    JobSpec hourly = bed.spec(HOURLY, new Action.Noop(), null, null, null);
    bed.ask(r -> new JobEntity.Replace(hourly, r));
    // The old schedule's tick, armed before the Replace, delivered after it (it waited in the stash
    // while the new definition was persisted).
    bed.clock.advance(TICK);
    var result = bed.job().runCommand(new JobEntity.Fire(tick(1), 1));
    assertThat(result.hasNoEvents()).isTrue();
    bed.sync();
    assertThat(fired()).isEmpty();
    assertThat(bed.job().getState().lastScheduled()).isEqualTo(START);
    a.idle();
  }

  @Test
  void anExecutorOnANodeThatIsNotAMemberIsNoCandidate() {
    EntityTestbed two = new EntityTestbed(kit, "job-" + (++counter), NODE_A, NODE_B);
    try {
      two.members.leave(NODE_A);
      two.create(two.spec(shell(), null, null, null));
      two.advance(TICK);
      ExecutorNode.Run run = two.handedTo(two.executor(NODE_B));
      assertThat(run.nodeUid()).isEqualTo(two.executor(NODE_B).uid);
      two.executor(NODE_A).idle();
    } finally {
      two.close();
    }
  }

  @Test
  void theViewCountsActiveAndQueuedRuns() {
    bed.create(bed.spec(shell(), OverlapPolicy.QUEUE_ONE, null, null));
    bed.tickAndStart(a);
    bed.advance(TICK);
    bed.awaitEvent(JobEntity.RunQueued.class, q -> true);
    var view = (JobEntity.JobView) bed.ask(JobEntity.Get::new);
    assertThat(view.activeRuns()).isEqualTo(1);
    assertThat(view.queuedRuns()).isEqualTo(1);
    assertThat(view.lastScheduled()).isEqualTo(tick(2));
    assertThat(view.revision()).isEqualTo(bed.events().size());
    assertThat(view.spec().action()).isEqualTo(shell());
  }
}
