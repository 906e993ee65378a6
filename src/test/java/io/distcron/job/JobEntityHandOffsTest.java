package io.distcron.job;

import static io.distcron.job.EntityTestbed.EVERY_SECOND;
import static io.distcron.job.EntityTestbed.HOURLY;
import static io.distcron.job.EntityTestbed.NODE_A;
import static io.distcron.job.EntityTestbed.NODE_B;
import static io.distcron.job.EntityTestbed.QUIET;
import static io.distcron.job.EntityTestbed.START;
import static io.distcron.job.EntityTestbed.TICK;
import static io.distcron.job.EntityTestbed.WAIT;
import static io.distcron.job.EntityTestbed.shell;
import static io.distcron.job.EntityTestbed.tick;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.distcron.Await;
import io.distcron.cluster.NodeFence;
import io.distcron.cluster.TestFences;
import io.distcron.exec.ExecutorNode;
import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.run.RunToken;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The entity's side of fenced hand-offs: a run goes to another node only under a new epoch and only
 * once its executor refused it; reports of another epoch change nothing; no silence is taken for an
 * answer (a run is LOST only once its node left); a delete ends every run; and nothing happens
 * while the node does not hold its lease.
 */
class JobEntityHandOffsTest {
  private static ActorTestKit kit;
  private static int counter;

  private final List<EntityTestbed> beds = new ArrayList<>();
  private final List<ActorRef<JobEntity.Command>> spawned = new ArrayList<>();

  @BeforeAll
  static void startKit() {
    kit = EntityTestbed.kit();
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void tearDown() {
    beds.forEach(EntityTestbed::close);
    spawned.forEach(kit::stop);
  }

  private EntityTestbed bed(String... nodes) {
    EntityTestbed bed = new EntityTestbed(kit, "handoffs-" + (++counter), nodes);
    beds.add(bed);
    return bed;
  }

  private static String id(ExecutorNode.Run run) {
    return run.token().runId();
  }

  // ---- refusals and epochs

  @Test
  void aRunRefusedBeforeItStartedGoesToAnotherNodeUnderTheNextEpoch() {
    EntityTestbed bed = bed(NODE_A, NODE_B);
    var a = bed.executor(NODE_A);
    var b = bed.executor(NODE_B);
    bed.create(bed.spec(shell(), null, null, null));
    bed.advance(TICK);
    ExecutorNode.Run first = bed.handedTo(a);
    assertThat(first.token()).isEqualTo(new RunToken(id(first), 1));
    assertThat(first.nodeUid()).isEqualTo(a.uid);

    var refused =
        bed.report(new ExecutorNode.Refused(first.token(), NODE_A, "at capacity (4 runs)"));
    assertThat(refused.events())
        .containsExactly(new JobEntity.RunRedirected(id(first), NODE_B, b.uid, 2));
    ExecutorNode.Run second = bed.handedTo(b);
    assertThat(second)
        .isEqualTo(
            new ExecutorNode.Run(
                new RunToken(id(first), 2),
                b.uid,
                bed.name,
                tick(1),
                1,
                RunReason.SCHEDULE,
                shell(),
                60,
                null));
    JobState.ActiveRun active = bed.job().getState().active().get(id(first));
    assertThat(active.node()).isEqualTo(NODE_B);
    assertThat(active.nodeUid()).isEqualTo(b.uid);
    assertThat(active.epoch()).isEqualTo(2);
    a.idle();

    bed.start(b, second);
    bed.end(b, second, RunStatus.SUCCEEDED);
    assertThat(bed.events(JobEntity.RunFinished.class))
        .extracting(JobEntity.RunFinished::runId, JobEntity.RunFinished::status)
        .containsExactly(tuple(id(first), RunStatus.SUCCEEDED));
  }

  @Test
  void reportsOfAnEarlierEpochChangeNothing() {
    EntityTestbed bed = bed(NODE_A, NODE_B);
    var a = bed.executor(NODE_A);
    var b = bed.executor(NODE_B);
    bed.create(bed.spec(shell(), null, null, null));
    bed.advance(TICK);
    ExecutorNode.Run first = bed.handedTo(a);
    bed.report(new ExecutorNode.Refused(first.token(), NODE_A, "at capacity (4 runs)"));
    ExecutorNode.Run second = bed.handedTo(b);
    JobState before = bed.job().getState();
    int journal = bed.events().size();

    // The refusal again (a check's answer): the run is already elsewhere.
    assertThat(
            bed.report(new ExecutorNode.Refused(first.token(), NODE_A, "no such run"))
                .hasNoEvents())
        .isTrue();
    // Epoch 1 ended somewhere after all: acknowledged, so its executor stops re-sending, and
    // otherwise ignored.
    var ended =
        bed.report(
            new ExecutorNode.Ended(
                first.token(),
                NODE_A,
                EntityTestbed.outcome(RunStatus.SUCCEEDED),
                bed.clock.instant(),
                a.ref()));
    assertThat(ended.hasNoEvents()).isTrue();
    assertThat(a.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(first.token(), true));
    // Epoch 1 started somewhere: nobody stands for it, it must not go on.
    var started =
        bed.report(new ExecutorNode.Started(first.token(), NODE_A, bed.clock.instant(), a.ref()));
    assertThat(started.hasNoEvents()).isTrue();
    ExecutorNode.Kill kill = a.next(ExecutorNode.Kill.class);
    assertThat(kill.token()).isEqualTo(first.token());
    assertThat(kill.job()).isEqualTo(bed.name);

    assertThat(bed.job().getState()).isEqualTo(before);
    assertThat(bed.events()).hasSize(journal);
    a.idle();
    b.idle();
    // The current epoch goes on as if nothing happened.
    bed.start(b, second);
  }

  @Test
  void reportsOfAFinishedRunChangeNothing() {
    EntityTestbed bed = bed(NODE_A);
    var a = bed.executor(NODE_A);
    bed.create(bed.spec(HOURLY, shell(), null, null, null));
    var triggered = (JobEntity.Triggered) bed.ask(JobEntity.Trigger::new);
    ExecutorNode.Run run = bed.handedTo(a);
    assertThat(id(run)).isEqualTo(triggered.runId());
    bed.start(a, run);
    bed.end(a, run, RunStatus.SUCCEEDED);
    JobState before = bed.job().getState();
    int journal = bed.events().size();

    assertThat(
            bed.report(new ExecutorNode.Refused(run.token(), NODE_A, "no such run")).hasNoEvents())
        .isTrue();
    assertThat(bed.end(a, run, RunStatus.FAILED).hasNoEvents()).isTrue();
    assertThat(
            bed.report(new ExecutorNode.Started(run.token(), NODE_A, bed.clock.instant(), a.ref()))
                .hasNoEvents())
        .isTrue();
    assertThat(a.next(ExecutorNode.Kill.class).token()).isEqualTo(run.token());

    assertThat(bed.job().getState()).isEqualTo(before);
    assertThat(bed.events()).hasSize(journal);
    assertThat(bed.events(JobEntity.RunFinished.class))
        .extracting(JobEntity.RunFinished::status)
        .containsExactly(RunStatus.SUCCEEDED);
  }

  @Test
  void aRunNobodyHandedOverIsKilledWhereItStarted() {
    EntityTestbed bed = bed(NODE_A);
    var a = bed.executor(NODE_A);
    bed.create(bed.spec(HOURLY, shell(), null, null, null));
    RunToken stranger = new RunToken("not-a-run-of-this-job", 1);
    var started =
        bed.report(new ExecutorNode.Started(stranger, NODE_A, bed.clock.instant(), a.ref()));
    assertThat(started.hasNoEvents()).isTrue();
    assertThat(a.next(ExecutorNode.Kill.class).token()).isEqualTo(stranger);
    assertThat(bed.job().getState().active()).isEmpty();
  }

  @Test
  void aRefusalOfAStartedRunMakesItLostAndItIsRetriedPerPolicy() {
    EntityTestbed bed = bed(NODE_A, NODE_B);
    var a = bed.executor(NODE_A);
    var b = bed.executor(NODE_B);
    bed.create(bed.spec(shell(), null, null, new RetryPolicy(2, TICK, 2.0, null)));
    ExecutorNode.Run run = bed.tickAndStart(a);

    var refused = bed.report(new ExecutorNode.Refused(run.token(), NODE_A, "no such run"));
    assertThat(refused.events()).hasSize(2);
    assertThat(refused.events().get(0))
        .isEqualTo(
            new JobEntity.RunFinished(
                id(run),
                RunStatus.LOST,
                null,
                NODE_A + " no longer has the run: no such run",
                tick(1)));
    JobEntity.RunQueued retry = (JobEntity.RunQueued) refused.events().get(1);
    assertThat(retry.attempt()).isEqualTo(2);
    assertThat(retry.reason()).isEqualTo(RunReason.RETRY);
    assertThat(retry.scheduledAt()).isEqualTo(tick(1));
    assertThat(retry.notBefore()).isEqualTo(tick(2));
    // A started run is not handed to another node: it may have run.
    assertThat(bed.events(JobEntity.RunRedirected.class)).isEmpty();
    b.idle();

    bed.sync();
    bed.advance(TICK);
    ExecutorNode.Run again = bed.handedTo(a);
    assertThat(again.token()).isEqualTo(new RunToken(retry.runId(), 1));
    assertThat(again.attempt()).isEqualTo(2);
  }

  @Test
  void aRunRefusedEverywhereFails() {
    EntityTestbed bed = bed(NODE_A, NODE_B);
    var a = bed.executor(NODE_A);
    var b = bed.executor(NODE_B);
    bed.create(bed.spec(shell(), null, null, null));
    bed.advance(TICK);
    ExecutorNode.Run first = bed.handedTo(a);
    bed.report(new ExecutorNode.Refused(first.token(), NODE_A, "at capacity (4 runs)"));
    ExecutorNode.Run second = bed.handedTo(b);

    var refused =
        bed.report(
            new ExecutorNode.Refused(second.token(), NODE_B, NODE_B + " is Leaving, not Up"));
    assertThat(refused.events())
        .containsExactly(
            new JobEntity.RunFinished(
                id(first),
                RunStatus.FAILED,
                null,
                "no executor accepted the run; last: " + NODE_B + " is Leaving, not Up",
                tick(1)));
    assertThat(bed.job().getState().active()).isEmpty();
    a.idle();
    b.idle();
  }

  // ---- no answer is an answer only once the node left

  @Test
  void aSilentExecutorIsAskedAgainAndAgainAndTheRunIsLostOnlyOnceItsNodeLeft() {
    EntityTestbed bed = bed(NODE_A);
    var a = bed.executor(NODE_A);
    bed.create(bed.spec(HOURLY, shell(), null, null, null));
    var triggered = (JobEntity.Triggered) bed.ask(JobEntity.Trigger::new);
    ExecutorNode.Run run = bed.handedTo(a);
    List<Object> journal = bed.events();

    Duration interval = bed.settings.executor().checkInterval();
    assertThat(bed.settings.executor().ackTimeout()).isEqualTo(interval);
    for (int i = 0; i < 20; i++) {
      bed.advance(interval);
      assertThat(a.probe.expectMessageClass(ExecutorNode.Check.class))
          .isEqualTo(new ExecutorNode.Check(run.token(), bed.name, a.uid));
      bed.sync();
    }
    assertThat(bed.events()).isEqualTo(journal);
    assertThat(bed.job().getState().active()).containsOnlyKeys(triggered.runId());

    bed.members.leave(NODE_A);
    bed.advance(interval);
    JobEntity.RunFinished lost = bed.awaitEvent(JobEntity.RunFinished.class, f -> true);
    assertThat(lost)
        .isEqualTo(
            new JobEntity.RunFinished(
                id(run),
                RunStatus.LOST,
                null,
                "node " + NODE_A + " left the cluster before the run was known to start",
                bed.clock.instant()));
    bed.sync();
    assertThat(bed.job().getState().active()).isEmpty();
    // Nothing left to check.
    bed.advance(interval);
    a.probe.expectNoMessage(QUIET);
  }

  @Test
  void aStartedRunWhoseNodeLeftIsLostAndRetried() {
    EntityTestbed bed = bed(NODE_A, NODE_B);
    var a = bed.executor(NODE_A);
    var b = bed.executor(NODE_B);
    bed.create(bed.spec(HOURLY, shell(), null, null, new RetryPolicy(2, TICK, 2.0, null)));
    bed.ask(JobEntity.Trigger::new);
    ExecutorNode.Run run = bed.handedTo(a);
    bed.start(a, run);

    bed.members.leave(NODE_A);
    bed.advance(Duration.ofSeconds(3));
    JobEntity.RunFinished lost = bed.awaitEvent(JobEntity.RunFinished.class, f -> true);
    assertThat(lost.status()).isEqualTo(RunStatus.LOST);
    assertThat(lost.message()).isEqualTo("node " + NODE_A + " left the cluster during the run");
    JobEntity.RunQueued retry = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);
    assertThat(retry.attempt()).isEqualTo(2);
    bed.sync();

    // The retry goes to a node that is still a member.
    bed.advance(TICK);
    ExecutorNode.Run again = bed.handedTo(b);
    assertThat(id(again)).isEqualTo(retry.runId());
    assertThat(again.reason()).isEqualTo(RunReason.RETRY);
  }

  @Test
  void aRunOnANodeThatCameBackAsAnotherIncarnationIsLost() {
    EntityTestbed bed = bed(NODE_A);
    var a = bed.executor(NODE_A);
    bed.create(bed.spec(HOURLY, shell(), null, null, null));
    bed.ask(JobEntity.Trigger::new);
    ExecutorNode.Run run = bed.handedTo(a);
    bed.start(a, run);

    // Restarted on the same address: a new incarnation, which never had the run.
    bed.members.join(NODE_A, a.uid + 1);
    bed.advance(Duration.ofSeconds(3));
    JobEntity.RunFinished lost = bed.awaitEvent(JobEntity.RunFinished.class, f -> true);
    assertThat(lost.runId()).isEqualTo(id(run));
    assertThat(lost.status()).isEqualTo(RunStatus.LOST);
    a.idle();
  }

  // ---- delete

  @Test
  void deleteKillsTheActiveRunAndEndsTheQueuedOneInTheSamePersist() {
    EntityTestbed bed = bed(NODE_A);
    var a = bed.executor(NODE_A);
    bed.create(bed.spec(shell(), OverlapPolicy.QUEUE_ONE, null, null));
    ExecutorNode.Run run = bed.tickAndStart(a);
    bed.advance(TICK);
    JobEntity.RunQueued queued = bed.awaitEvent(JobEntity.RunQueued.class, q -> true);
    bed.sync();
    int journal = bed.events().size();

    var deleted = bed.job().<JobEntity.Reply>runCommand(JobEntity.Delete::new);
    assertThat(deleted.events())
        .containsExactly(
            new JobEntity.RunFinished(
                id(run), RunStatus.KILLED, null, "job deleted during the run", tick(2)),
            new JobEntity.RunFinished(
                queued.runId(),
                RunStatus.KILLED,
                null,
                "job deleted before the run started",
                tick(2)),
            new JobEntity.Deleted());
    assertThat(deleted.reply()).isEqualTo(new JobEntity.Removed(journal + 3));
    assertThat(a.next(ExecutorNode.Kill.class))
        .isEqualTo(new ExecutorNode.Kill(run.token(), bed.name, a.uid));

    // The kill's end is acknowledged, and nothing more is written or started.
    assertThat(bed.end(a, run, RunStatus.KILLED).hasNoEvents()).isTrue();
    for (int i = 0; i < 5; i++) bed.advance(TICK);
    a.probe.expectNoMessage(QUIET);
    assertThat(bed.events()).hasSize(journal + 3);
  }

  // ---- the lease

  private ActorRef<JobEntity.Command> spawn(EntityTestbed bed, NodeFence fence) {
    ActorRef<JobEntity.Command> ref = kit.spawn(JobEntity.create(bed.name, bed.deps(fence), null));
    spawned.add(ref);
    return ref;
  }

  @Test
  void withoutTheLeaseACommandWaitsAndNothingIsPersisted() {
    EntityTestbed bed = bed(NODE_A);
    NodeFence fence = new NodeFence(NODE_A, () -> "Up");
    ActorRef<JobEntity.Command> job = spawn(bed, fence);
    TestProbe<JobEntity.Reply> replies = kit.createTestProbe();

    JobSpec spec = bed.spec(new Action.Noop(), null, null, null);
    job.tell(new JobEntity.Create(spec, replies.getRef()));
    for (int i = 0; i < 5; i++) bed.advance(Duration.ofMillis(200));
    replies.expectNoMessage(QUIET);
    assertThat(bed.events()).isEmpty();

    TestFences.holdFor(fence, Duration.ofDays(1));
    bed.advance(Duration.ofMillis(200));
    assertThat(replies.expectMessageClass(JobEntity.JobView.class).spec()).isEqualTo(spec);
    assertThat(bed.events()).containsExactly(new JobEntity.Defined(spec, START.plusMillis(1200)));
  }

  @Test
  void aTickThatComesWhileTheLeaseIsAwayFiresOnceItIsBack() {
    EntityTestbed bed = bed(NODE_A);
    NodeFence fence = new NodeFence(NODE_A, () -> "Up");
    TestFences.holdFor(fence, Duration.ofSeconds(2));
    ActorRef<JobEntity.Command> job = spawn(bed, fence);
    TestProbe<JobEntity.Reply> replies = kit.createTestProbe();
    job.tell(new JobEntity.Create(bed.spec(new Action.Noop(), null, null, null), replies.getRef()));
    replies.expectMessageClass(JobEntity.JobView.class);

    Await.until(WAIT, "the lease to lapse", () -> !fence.leaseHeld());
    bed.advance(TICK);
    replies.expectNoMessage(QUIET);
    assertThat(bed.events(JobEntity.RunFired.class)).isEmpty();

    TestFences.holdFor(fence, Duration.ofDays(1));
    bed.advance(Duration.ofMillis(200));
    bed.awaitFired(1);
    job.tell(new JobEntity.Get(replies.getRef()));
    replies.expectMessageClass(JobEntity.JobView.class);
    bed.advance(Duration.ofMillis(800));
    bed.awaitFired(2);
    job.tell(new JobEntity.Get(replies.getRef()));
    replies.expectMessageClass(JobEntity.JobView.class);
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactly(tick(1), tick(2));
  }

  @Test
  void aTickOfTheOldScheduleStashedBehindAReplaceDoesNotFire() {
    EntityTestbed bed = bed(NODE_A);
    NodeFence fence = new NodeFence(NODE_A, () -> "Up");
    TestFences.holdFor(fence, Duration.ofSeconds(2));
    ActorRef<JobEntity.Command> job = spawn(bed, fence);
    TestProbe<JobEntity.Reply> replies = kit.createTestProbe();
    JobSpec everySecond = bed.spec(EVERY_SECOND, new Action.Noop(), null, null, null);
    job.tell(new JobEntity.Create(everySecond, replies.getRef()));
    replies.expectMessageClass(JobEntity.JobView.class);

    Await.until(WAIT, "the lease to lapse", () -> !fence.leaseHeld());
    JobSpec hourly = bed.spec(HOURLY, new Action.Noop(), null, null, null);
    job.tell(new JobEntity.Replace(hourly, replies.getRef()));
    // The old arming's tick comes (a timer may fire a little before the clock says it is due) and
    // waits behind the Replace.
    bed.time.timePasses(TICK);
    replies.expectNoMessage(QUIET);
    TestFences.holdFor(fence, Duration.ofDays(1));
    bed.time.timePasses(Duration.ofMillis(200));
    assertThat(replies.expectMessageClass(JobEntity.JobView.class).spec()).isEqualTo(hourly);
    job.tell(new JobEntity.Get(replies.getRef()));
    replies.expectMessageClass(JobEntity.JobView.class);
    assertThat(bed.events())
        .containsExactly(
            new JobEntity.Defined(everySecond, START), new JobEntity.Defined(hourly, START));
  }

  @Test
  void aDownedNodePersistsNothingEver() {
    EntityTestbed bed = bed(NODE_A);
    NodeFence fence = new NodeFence(NODE_A, () -> "Up");
    TestFences.holdFor(fence, Duration.ofDays(1));
    ActorRef<JobEntity.Command> job = spawn(bed, fence);
    TestProbe<JobEntity.Reply> replies = kit.createTestProbe();
    job.tell(new JobEntity.Create(bed.spec(new Action.Noop(), null, null, null), replies.getRef()));
    replies.expectMessageClass(JobEntity.JobView.class);
    bed.advance(TICK);
    bed.awaitFired(1);

    TestFences.down(fence, "downed by the test");
    TestFences.holdFor(fence, Duration.ofDays(2));
    for (int i = 0; i < 5; i++) bed.advance(TICK);
    job.tell(new JobEntity.Get(replies.getRef()));
    job.tell(new JobEntity.Trigger(replies.getRef()));
    for (int i = 0; i < 5; i++) bed.advance(TICK);
    replies.expectNoMessage(QUIET);
    assertThat(bed.events(JobEntity.RunFired.class)).hasSize(1);
  }

  @Test
  void aJobOnANodeDownedBeforeItsFirstCommandIsNeverCreated() {
    EntityTestbed bed = bed(NODE_A);
    NodeFence fence = new NodeFence(NODE_A, () -> "Up");
    TestFences.down(fence, "downed by the test");
    ActorRef<JobEntity.Command> job = spawn(bed, fence);
    TestProbe<JobEntity.Reply> replies = kit.createTestProbe();
    job.tell(new JobEntity.Create(bed.spec(new Action.Noop(), null, null, null), replies.getRef()));
    TestFences.holdFor(fence, Duration.ofDays(1));
    for (int i = 0; i < 5; i++) bed.advance(TICK);
    replies.expectNoMessage(QUIET);
    assertThat(bed.events()).isEmpty();
  }
}
