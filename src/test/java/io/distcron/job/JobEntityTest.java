package io.distcron.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.Await;
import io.distcron.TestClock;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.placement.Placement;
import io.distcron.run.Action;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import io.distcron.store.Stores;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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

/**
 * The job entity on the persistence testkit with manual time: ticks, recovery, pause, delete,
 * dispatch.
 */
class JobEntityTest {
  private static final Instant START = Instant.parse("2026-01-01T00:00:00.400Z");
  private static final Duration TICK = Duration.ofSeconds(1);

  private static ActorTestKit kit;
  private static HikariDataSource ds;
  private static DistcronSettings settings;

  private TestClock clock;
  private ManualTime time;
  private Placement placement;
  private Stores stores;
  private EventSourcedBehaviorTestKit<JobEntity.Command, JobEntity.Event, JobState> job;
  private String name;
  private static int counter;

  @BeforeAll
  static void startKit() {
    kit = EntityTestbed.kit();
    settings = EntityTestbed.settings();
    ds = EntityTestbed.database("jobentity");
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
    stores = EntityTestbed.stores(ds);
    name = "job-" + (++counter);
    job =
        EventSourcedBehaviorTestKit.create(
            kit.system(),
            JobEntity.create(name, new JobEntity.Deps(settings, clock, stores, placement), null));
  }

  @AfterEach
  void clear() {
    job.clear();
  }

  private JobSpec spec(Action action) {
    return spec(action, null, null, null);
  }

  private JobSpec spec(
      Action action, OverlapPolicy overlap, CatchUpPolicy catchUp, RetryPolicy retry) {
    return new JobSpec(
        name, "", Map.of(), "* * * * * ?", "UTC", action, 60, true, overlap, catchUp, retry);
  }

  private void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  private List<JobEntity.RunFired> fired() {
    return job.persistenceTestKit().persistedInStorage("Job|" + name).stream()
        .filter(JobEntity.RunFired.class::isInstance)
        .map(JobEntity.RunFired.class::cast)
        .toList();
  }

  @Test
  void createdJobFiresEachTickOncePersistedBeforeDispatch() {
    var result =
        job.<JobEntity.Reply>runCommand(r -> new JobEntity.Create(spec(new Action.Noop()), r));
    assertThat(result.event()).isEqualTo(new JobEntity.Defined(spec(new Action.Noop()), START));
    JobEntity.JobView view = (JobEntity.JobView) result.reply();
    assertThat(view.nextFireTimes()).first().isEqualTo(Instant.parse("2026-01-01T00:00:01Z"));

    advance(TICK);
    awaitFired(1);
    advance(TICK);
    awaitFired(2);
    assertConsecutiveTicksFrom(Instant.parse("2026-01-01T00:00:01Z"));
    assertThat(job.getState().active()).isEmpty();
    awaitRuns(2, RunStatus.SUCCEEDED);
    // A noop run is done as it fires: one journal row per fire, nothing left to finish.
    assertThat(fired()).allMatch(JobEntity.RunFired::done);
    assertThat(job.persistenceTestKit().persistedInStorage("Job|" + name))
        .noneMatch(JobEntity.RunFinished.class::isInstance);
  }

  @Test
  void restartRecoversAndNeverRefiresAPersistedTick() {
    job.<JobEntity.Reply>runCommand(r -> new JobEntity.Create(spec(new Action.Noop()), r));
    advance(TICK);
    awaitFired(1);

    // The node was down for a moment: the clock is back before the persisted tick.
    clock.set(START);
    var restarted = job.restart();
    assertThat(restarted.state().lastScheduled()).isEqualTo(Instant.parse("2026-01-01T00:00:01Z"));
    assertThat(restarted.state().spec()).isEqualTo(spec(new Action.Noop()));

    // From 00:00.4 the next tick would be 00:01 again; the high-water mark says it is done.
    advance(TICK.multipliedBy(2));
    awaitFired(2);
    advance(TICK);
    awaitFired(3);
    assertConsecutiveTicksFrom(Instant.parse("2026-01-01T00:00:01Z"));
  }

  @Test
  void pauseStopsTicksAndResumeStartsAtTheNextTick() {
    job.<JobEntity.Reply>runCommand(r -> new JobEntity.Create(spec(new Action.Noop()), r));
    var paused = job.<JobEntity.Reply>runCommand(JobEntity.Pause::new);
    assertThat(paused.event()).isInstanceOf(JobEntity.Paused.class);
    assertThat(((JobEntity.JobView) paused.reply()).nextFireTimes()).isEmpty();

    advance(TICK.multipliedBy(3));
    assertThat(fired()).isEmpty();

    job.<JobEntity.Reply>runCommand(JobEntity.Resume::new);
    advance(TICK);
    awaitFired(1);
    assertThat(fired().get(0).scheduledAt()).isEqualTo(Instant.parse("2026-01-01T00:00:04Z"));
  }

  @Test
  void deleteStopsTheTimerAndForgetsTheJob() {
    job.<JobEntity.Reply>runCommand(r -> new JobEntity.Create(spec(new Action.Noop()), r));
    var deleted = job.<JobEntity.Reply>runCommand(JobEntity.Delete::new);
    assertThat(deleted.event()).isInstanceOf(JobEntity.Deleted.class);
    advance(TICK.multipliedBy(3));
    assertThat(fired()).isEmpty();
    var get = job.<JobEntity.Reply>runCommand(JobEntity.Get::new);
    assertThat(get.reply()).isInstanceOf(JobEntity.Rejected.class);
  }

  @Test
  void createTwiceConflictsAndUnknownJobIsNotFound() {
    assertThat(job.<JobEntity.Reply>runCommand(JobEntity.Trigger::new).reply())
        .isEqualTo(
            new JobEntity.Rejected(JobEntity.Problem.NOT_FOUND, "job '" + name + "' not found"));
    job.<JobEntity.Reply>runCommand(r -> new JobEntity.Create(spec(new Action.Noop()), r));
    var again =
        job.<JobEntity.Reply>runCommand(r -> new JobEntity.Create(spec(new Action.Noop()), r));
    assertThat(again.reply()).isInstanceOf(JobEntity.Rejected.class);
    assertThat(((JobEntity.Rejected) again.reply()).problem())
        .isEqualTo(JobEntity.Problem.CONFLICT);
    assertThat(again.hasNoEvents()).isTrue();
  }

  @Test
  void shellRunGoesToTheExecutorAndFinishesWhenReported() {
    TestProbe<ExecutorNode.Command> executor = kit.createTestProbe();
    placement.executors(Map.of("node-a:1", executor.getRef()));
    job.<JobEntity.Reply>runCommand(
        r -> new JobEntity.Create(spec(new Action.Shell("echo hi", Map.of(), null)), r));

    advance(TICK);
    ExecutorNode.Run run = executor.expectMessageClass(ExecutorNode.Run.class);
    assertThat(run.scheduledAt()).isEqualTo(Instant.parse("2026-01-01T00:00:01Z"));
    run.replyTo().tell(new ExecutorNode.Accepted(run.runId()));
    assertThat(job.getState().active()).containsKey(run.runId());

    TestProbe<Done> ack = kit.createTestProbe();
    job.runCommand(new JobEntity.RunEnded(run.runId(), RunStatus.SUCCEEDED, ack.getRef()));
    ack.expectMessage(Done.getInstance());
    assertThat(job.getState().active()).isEmpty();
  }

  @Test
  void refusedRunMovesToTheNextExecutorAndFailsWhenNoneAccepts() {
    TestProbe<ExecutorNode.Command> executors = kit.createTestProbe();
    placement.executors(Map.of("a:1", executors.getRef(), "b:1", executors.getRef()));
    job.<JobEntity.Reply>runCommand(
        r -> new JobEntity.Create(spec(new Action.Shell("true", Map.of(), null)), r));

    advance(TICK);
    ExecutorNode.Run first = executors.expectMessageClass(ExecutorNode.Run.class);
    first.replyTo().tell(new ExecutorNode.Refused(first.runId(), "full"));
    ExecutorNode.Run second = executors.expectMessageClass(ExecutorNode.Run.class);
    assertThat(second.runId()).isEqualTo(first.runId());
    second.replyTo().tell(new ExecutorNode.Refused(second.runId(), "full"));

    awaitRuns(1, RunStatus.FAILED);
    assertThat(job.getState().active()).isEmpty();
    executors.expectNoMessage(Duration.ofMillis(200));
  }

  /**
   * Timers are armed asynchronously to the test's advancing of manual time, so how many ticks have
   * fired is not exact; what must hold is that they are the schedule's ticks, in order, each once.
   */
  private void assertConsecutiveTicksFrom(Instant first) {
    List<Instant> ticks = fired().stream().map(JobEntity.RunFired::scheduledAt).toList();
    for (int i = 0; i < ticks.size(); i++) {
      assertThat(ticks.get(i)).isEqualTo(first.plusSeconds(i));
    }
    assertThat(job.getState().lastScheduled()).isAfterOrEqualTo(ticks.get(ticks.size() - 1));
  }

  private void awaitFired(int n) {
    Await.until(Duration.ofSeconds(10), "RunFired x" + n, () -> fired().size() >= n);
  }

  private void awaitRuns(int n, RunStatus status) {
    Await.until(
        Duration.ofSeconds(10),
        n + " runs " + status,
        () ->
            stores.runs().listByJob(name, 100, null).items().stream()
                    .map(RunRecord::status)
                    .filter(status::equals)
                    .count()
                >= n);
  }
}
