package io.distcron.job;

import static io.distcron.job.EntityTestbed.NODE_A;
import static io.distcron.job.EntityTestbed.START;
import static io.distcron.job.EntityTestbed.TICK;
import static io.distcron.job.EntityTestbed.shell;
import static io.distcron.job.EntityTestbed.tick;
import static io.distcron.job.EntityTestbed.ticks;
import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.Await;
import io.distcron.exec.ExecutorNode;
import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.schedule.RetryPolicy;
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
 * Backfills on the job entity with manual time: the order of their runs under each overlap, their
 * cancel, their recovery, and that no tick runs twice, against the live schedule or another
 * backfill. The job is defined at {@link EntityTestbed#START}: its ticks up to then are nobody's.
 */
class JobEntityBackfillTest {
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
    bed = new EntityTestbed(kit, "backfill-" + (++counter), NODE_A);
    a = bed.executor(NODE_A);
  }

  @AfterEach
  void tearDown() {
    bed.close();
  }

  private JobEntity.Reply backfill(int from, int to, Backfill.Overlap overlap) {
    return bed.ask(r -> new JobEntity.StartBackfill(tick(from), tick(to), overlap, r));
  }

  private static JobEntity.BackfillStarted started(JobEntity.Reply reply) {
    assertThat(reply).isInstanceOf(JobEntity.BackfillStarted.class);
    return (JobEntity.BackfillStarted) reply;
  }

  private List<Instant> backfilledRuns() {
    return bed.events(JobEntity.RunFired.class).stream()
        .filter(f -> f.reason() == RunReason.BACKFILL)
        .map(JobEntity.RunFired::scheduledAt)
        .toList();
  }

  /** Every tick fired by the live schedule or a backfill, in the order they fired. */
  private List<Instant> firedTicks() {
    return bed.events(JobEntity.RunFired.class).stream()
        .filter(f -> f.reason() != RunReason.MANUAL && f.reason() != RunReason.RETRY)
        .map(JobEntity.RunFired::scheduledAt)
        .toList();
  }

  private ExecutorNode.Run runOf(int tick) {
    ExecutorNode.Run run = bed.handedTo(a);
    assertThat(run.reason()).isEqualTo(RunReason.BACKFILL);
    assertThat(run.scheduledAt()).isEqualTo(tick(tick));
    return run;
  }

  @Test
  void queueRunsTheTicksOneAfterAnotherEachOnceThePreviousHasEnded() {
    bed.create(bed.spec(shell(), null, null, null));
    assertThat(started(backfill(-3, 0, Backfill.Overlap.QUEUE)))
        .isEqualTo(new JobEntity.BackfillStarted(3, 0));
    assertThat(bed.events(JobEntity.BackfillRequested.class))
        .containsExactly(
            new JobEntity.BackfillRequested(tick(-3), tick(0), Backfill.Overlap.QUEUE, 3, START));

    for (int n = -3; n < 0; n++) {
      ExecutorNode.Run run = runOf(n);
      a.idle();
      bed.start(a, run);
      bed.end(a, run, RunStatus.SUCCEEDED);
    }
    a.idle();
    assertThat(backfilledRuns()).containsExactlyElementsOf(ticks(-3, -1));
    JobEntity.JobView view = (JobEntity.JobView) bed.ask(JobEntity.Get::new);
    assertThat(view.backfill())
        .isEqualTo(
            new JobEntity.BackfillView(tick(-3), tick(0), Backfill.Overlap.QUEUE, 3, 3, false));
    // Its ticks are done: the live schedule's mark did not move.
    assertThat(bed.job().getState().lastScheduled()).isEqualTo(START);
  }

  @Test
  void aFailedBackfillRunIsRetriedBeforeTheNextTickRuns() {
    bed.create(
        bed.spec(
            shell(),
            null,
            null,
            new RetryPolicy(2, Duration.ofSeconds(1), 1.0, Duration.ofSeconds(1))));
    started(backfill(-2, 0, Backfill.Overlap.QUEUE));
    ExecutorNode.Run first = runOf(-2);
    bed.start(a, first);
    bed.end(a, first, RunStatus.FAILED);
    a.idle();
    bed.advance(TICK);
    ExecutorNode.Run retry = bed.handedTo(a);
    assertThat(retry.reason()).isEqualTo(RunReason.RETRY);
    assertThat(retry.scheduledAt()).isEqualTo(tick(-2));
    bed.start(a, retry);
    bed.end(a, retry, RunStatus.SUCCEEDED);
    runOf(-1);
  }

  @Test
  void skipRecordsTheTicksWhoseTurnComesWhileARunOfTheJobIsActive() {
    bed.create(bed.spec(shell(), null, null, null));
    bed.ask(JobEntity.Trigger::new);
    ExecutorNode.Run manual = bed.handedTo(a);
    started(backfill(-3, 0, Backfill.Overlap.SKIP));
    var skipped = bed.awaitEvent(JobEntity.TicksSkipped.class, JobEntity.TicksSkipped::backfill);
    assertThat(skipped.ticks()).containsExactlyElementsOf(ticks(-3, -1));
    bed.start(a, manual);
    bed.end(a, manual, RunStatus.SUCCEEDED);
    a.idle();
    assertThat(backfilledRuns()).isEmpty();
    assertThat(((JobEntity.JobView) bed.ask(JobEntity.Get::new)).backfill().decided()).isEqualTo(3);
  }

  @Test
  void allowRunsEveryTickWithoutWaiting() {
    bed.create(bed.spec(shell(), null, null, null));
    started(backfill(-3, 0, Backfill.Overlap.ALLOW));
    for (int n = -3; n < 0; n++) runOf(n);
    assertThat(bed.job().getState().active()).hasSize(3);
  }

  @Test
  void aCancelSkipsTheTicksNotYetStartedAndLetsTheRunningOneEnd() {
    bed.create(bed.spec(shell(), null, null, null));
    started(backfill(-5, 0, Backfill.Overlap.QUEUE));
    ExecutorNode.Run first = runOf(-5);
    // A second backfill while one is going is refused.
    JobEntity.Reply second = backfill(-20, -10, Backfill.Overlap.QUEUE);
    assertThat(second).isInstanceOf(JobEntity.Rejected.class);
    assertThat(((JobEntity.Rejected) second).problem()).isEqualTo(JobEntity.Problem.CONFLICT);

    assertThat(bed.ask(JobEntity.CancelBackfill::new))
        .isEqualTo(new JobEntity.BackfillCancelled(4));
    assertThat(bed.events(JobEntity.TicksSkipped.class))
        .containsExactly(new JobEntity.TicksSkipped(ticks(-4, -1), "backfill cancelled", true));
    bed.start(a, first);
    bed.end(a, first, RunStatus.SUCCEEDED);
    a.idle();
    assertThat(backfilledRuns()).containsExactly(tick(-5));
    JobEntity.Reply none = bed.ask(JobEntity.CancelBackfill::new);
    assertThat(((JobEntity.Rejected) none).problem()).isEqualTo(JobEntity.Problem.NOT_FOUND);
  }

  @Test
  void aCancelOfManyTicksLeavesOneRecordForThem() {
    bed.create(bed.spec(shell(), null, null, null));
    started(backfill(-500, 0, Backfill.Overlap.QUEUE));
    runOf(-500);
    assertThat(bed.ask(JobEntity.CancelBackfill::new))
        .isEqualTo(new JobEntity.BackfillCancelled(499));
    assertThat(bed.events(JobEntity.TickRangeSkipped.class))
        .containsExactly(
            new JobEntity.TickRangeSkipped(tick(-499), tick(0), 499, "backfill cancelled", true));
  }

  @Test
  void noTickRunsTwiceAcrossTheLiveScheduleAndOverlappingBackfills() {
    bed.create(bed.spec(new Action.Noop(), null, null, null));
    for (int n = 1; n <= 5; n++) {
      bed.advance(TICK);
      bed.awaitFired(n);
      bed.sync();
    }
    // -2..9: -2, -1 and 0 were nobody's; 1..5 the live schedule fired, 6..9 are still to come.
    assertThat(started(backfill(-2, 10, Backfill.Overlap.QUEUE)))
        .isEqualTo(new JobEntity.BackfillStarted(3, 9));
    awaitFired(8);
    // -5..0: -2..0 are the first backfill's.
    assertThat(started(backfill(-5, 1, Backfill.Overlap.ALLOW)))
        .isEqualTo(new JobEntity.BackfillStarted(3, 3));
    awaitFired(11);
    // Nothing left to take: answered, nothing persisted.
    int events = bed.events().size();
    assertThat(started(backfill(-5, 5, Backfill.Overlap.QUEUE)))
        .isEqualTo(new JobEntity.BackfillStarted(0, 10));
    assertThat(bed.events()).hasSize(events);
    for (int n = 12; n <= 14; n++) {
      bed.advance(TICK);
      bed.awaitFired(n);
      bed.sync();
    }
    assertThat(firedTicks())
        .doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(ticks(-5, 8));
  }

  @Test
  void ticksWhileThePauseLastedMayBeBackfilledAndTheLiveOnesAroundItNot() {
    bed.create(bed.spec(new Action.Noop(), null, null, null));
    bed.advance(TICK);
    bed.awaitFired(1);
    bed.ask(JobEntity.Pause::new);
    bed.advance(Duration.ofSeconds(3));
    bed.sync();
    bed.ask(JobEntity.Resume::new);
    bed.advance(TICK);
    bed.awaitFired(2);
    bed.sync();
    // 1 and 5 were live; 2, 3 and 4 fell in the pause.
    assertThat(started(backfill(1, 6, Backfill.Overlap.QUEUE)))
        .isEqualTo(new JobEntity.BackfillStarted(3, 2));
    awaitFired(5);
    assertThat(backfilledRuns()).containsExactlyElementsOf(ticks(2, 4));
  }

  @Test
  void aBackfillInProgressGoesOnAfterTheEntityRestarts() {
    bed.create(bed.spec(shell(), null, null, null));
    started(backfill(-3, 0, Backfill.Overlap.QUEUE));
    ExecutorNode.Run first = runOf(-3);
    bed.start(a, first);

    var restarted = bed.job().restart();
    assertThat(restarted.state().backfill().cursor()).isEqualTo(tick(-3));
    bed.sync();
    // The run in flight is still the backfill's: the next waits for it.
    a.idle();
    bed.end(a, first, RunStatus.SUCCEEDED);
    ExecutorNode.Run second = runOf(-2);
    bed.start(a, second);
    bed.end(a, second, RunStatus.SUCCEEDED);
    runOf(-1);
    assertThat(backfilledRuns()).containsExactlyElementsOf(ticks(-3, -1));
  }

  @Test
  void aRangeOfMoreThanTenThousandTicksIsRefusedNamingWhereItMustEnd() {
    bed.create(bed.spec(new Action.Noop(), null, null, null));
    JobEntity.Reply reply = backfill(-10_001, 0, Backfill.Overlap.QUEUE);
    assertThat(reply).isInstanceOf(JobEntity.Rejected.class);
    JobEntity.Rejected rejected = (JobEntity.Rejected) reply;
    assertThat(rejected.problem()).isEqualTo(JobEntity.Problem.TOO_MANY_TICKS);
    assertThat(rejected.message()).startsWith("to:").contains(tick(-1).toString());
    assertThat(started(backfill(-10_000, 0, Backfill.Overlap.QUEUE)).ticks()).isEqualTo(10_000);
    awaitFired(10_000);
    assertThat(backfilledRuns()).doesNotHaveDuplicates().hasSize(10_000);
    // The state holds a cursor, not the ticks.
    assertThat(bed.job().getState().backfill().spans()).hasSize(1);
  }

  /** Waits on the journal, with a time limit fit for thousands of events. */
  private void awaitFired(int n) {
    Await.until(
        Duration.ofSeconds(60),
        n + " runs fired",
        () -> bed.events(JobEntity.RunFired.class).size() >= n);
    bed.sync();
  }
}
