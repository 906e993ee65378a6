package io.distcron.exec;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.RunLog;
import io.distcron.TestDatabases;
import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.run.RunToken;
import io.distcron.store.Database;
import io.distcron.store.RunStore;
import io.distcron.store.Schema;
import io.distcron.telemetry.Tracing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The executor actor with real processes: each token starts at most once, "not here" stays true,
 * and a kill or a fence reaches the process whatever the executor is doing.
 */
class ExecutorNodeTest {
  private static final long UID = 42;
  private static final Duration WAIT = Duration.ofSeconds(15);

  private static ActorTestKit kit;
  private static HikariDataSource ds;
  private static ExecutorService pool;

  @TempDir Path dir;
  private final AtomicReference<String> whyNot = new AtomicReference<>();
  private TestProbe<ExecutorNode.Report> reports;
  private ActorRef<ExecutorNode.Command> executor;
  private int runs;

  @BeforeAll
  static void startKit() {
    kit = ActorTestKit.create();
    ds = Database.open(TestDatabases.db("h2", TestDatabases.uniqueName("executor")));
    Schema.create(ds);
    pool = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
    ds.close();
    pool.shutdownNow();
  }

  @BeforeEach
  void startExecutor() {
    reports = kit.createTestProbe(ExecutorNode.Report.class);
    Launch.Runners runners =
        new Launch.Runners(
            new ShellRunner(4096, Duration.ofSeconds(1)),
            new HttpRunner(kit.system(), 4096),
            new RunStore(ds),
            pool,
            pool,
            1 << 20,
            Tracing.OFF);
    executor =
        kit.spawn(
            ExecutorNode.create(
                new ExecutorNode.Self("n:1", UID),
                Duration.ofSeconds(1),
                4,
                Clock.systemUTC(),
                runners,
                (job, report) -> reports.ref().tell(report),
                whyNot::get,
                new AtomicInteger()));
  }

  /** A run that counts its executions in a file, then sleeps. */
  private ExecutorNode.Run run(RunToken token, String sleep) {
    Path count = dir.resolve(token.runId());
    return new ExecutorNode.Run(
        token,
        UID,
        "job",
        Instant.now(),
        1,
        RunReason.MANUAL,
        new Action.Shell("echo x >> " + count + "; sleep " + sleep, Map.of(), null, null),
        60,
        null);
  }

  /** A sleep no other process on the machine has: found by its command line. */
  private String unique() {
    return "30." + ThreadLocalRandom.current().nextInt(100000, 999999);
  }

  private RunToken token() {
    return new RunToken("run-" + (++runs), 1);
  }

  private int executions(RunToken token) throws Exception {
    Path count = dir.resolve(token.runId());
    return Files.exists(count) ? Files.readAllLines(count).size() : 0;
  }

  /**
   * The next report of {@code type}, passing over the reports of {@code earlier}: a report that is
   * not acknowledged is sent again, and a slow machine sees the resends.
   */
  private <T extends ExecutorNode.Report> T expectPast(RunToken earlier, Class<T> type) {
    List<ExecutorNode.Report> got =
        reports.fishForMessage(
            WAIT,
            m -> {
              if (type.isInstance(m)) return FishingOutcomes.complete();
              if (m.token().equals(earlier)) return FishingOutcomes.continueAndIgnore();
              return FishingOutcomes.fail("unexpected " + m);
            });
    return type.cast(got.get(got.size() - 1));
  }

  private <T extends ExecutorNode.Report> T expect(Class<T> type) {
    return reports.expectMessageClass(type, WAIT);
  }

  @Test
  void aHandOffStartsOnceAndItsDuplicatesOnlyReportAgain() throws Exception {
    RunToken t = token();
    executor.tell(run(t, "0.3"));
    ExecutorNode.Started started = expect(ExecutorNode.Started.class);
    assertThat(started.token()).isEqualTo(t);
    executor.tell(run(t, "0.3"));
    assertThat(expect(ExecutorNode.Started.class).token()).isEqualTo(t);
    ExecutorNode.Ended ended = reports.expectMessageClass(ExecutorNode.Ended.class, WAIT);
    assertThat(ended.outcome().status()).isEqualTo(RunStatus.SUCCEEDED);
    executor.tell(new ExecutorNode.Ack(t, true));
    executor.tell(run(t, "0.3"));
    assertThat(expect(ExecutorNode.Refused.class).why()).contains("already refused or finished");
    assertThat(executions(t)).isEqualTo(1);
  }

  @Test
  void aCheckOfAnUnknownTokenFencesIt() throws Exception {
    RunToken t = token();
    executor.tell(new ExecutorNode.Check(t, "job", UID));
    assertThat(expect(ExecutorNode.Refused.class).token()).isEqualTo(t);
    executor.tell(run(t, "0"));
    expect(ExecutorNode.Refused.class);
    reports.expectNoMessage(Duration.ofMillis(500));
    assertThat(executions(t)).isZero();
  }

  @Test
  void aNodeThatMayNotStartRefusesForGood() throws Exception {
    RunToken t = token();
    whyNot.set("n:1 does not hold its cluster lease");
    executor.tell(run(t, "0"));
    assertThat(expect(ExecutorNode.Refused.class).why()).contains("lease");
    whyNot.set(null);
    executor.tell(run(t, "0"));
    expect(ExecutorNode.Refused.class);
    assertThat(executions(t)).isZero();
  }

  @Test
  void aHandOffForAnotherIncarnationIsRefused() throws Exception {
    RunToken t = token();
    ExecutorNode.Run r = run(t, "0");
    executor.tell(
        new ExecutorNode.Run(
            t,
            UID + 1,
            r.job(),
            r.scheduledAt(),
            1,
            r.reason(),
            r.action(),
            r.timeoutSeconds(),
            null));
    assertThat(expect(ExecutorNode.Refused.class).why()).contains("earlier incarnation");
    assertThat(executions(t)).isZero();
  }

  @Test
  void aKillWhileTheNodeDrainsKillsTheProcess() throws Exception {
    RunToken t = token();
    String sleep = unique();
    executor.tell(run(t, sleep));
    expect(ExecutorNode.Started.class);
    TestProbe<Done> drained = kit.createTestProbe();
    executor.tell(new ExecutorNode.Drain(drained.ref()));
    executor.tell(new ExecutorNode.Kill(t, "job", UID));
    ExecutorNode.Ended ended = expect(ExecutorNode.Ended.class);
    assertThat(ended.outcome().status()).isEqualTo(RunStatus.KILLED);
    assertThat(RunLog.processesWith("sleep " + sleep)).isEmpty();
    executor.tell(new ExecutorNode.Ack(t, true));
    drained.expectMessage(WAIT, Done.getInstance());
  }

  @Test
  void aFencedNodeKillsItsRunsAtOnceAndStartsNothing() throws Exception {
    RunToken t = token();
    String sleep = unique();
    executor.tell(run(t, sleep));
    expect(ExecutorNode.Started.class);
    long before = System.nanoTime();
    executor.tell(new ExecutorNode.Fence("downed"));
    ExecutorNode.Ended ended = expectPast(t, ExecutorNode.Ended.class);
    assertThat(ended.outcome().status()).isEqualTo(RunStatus.LOST);
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(5));
    assertThat(RunLog.processesWith("sleep " + sleep)).isEmpty();
    RunToken next = token();
    executor.tell(run(next, "0"));
    ExecutorNode.Refused refused = expectPast(t, ExecutorNode.Refused.class);
    assertThat(refused.token()).isEqualTo(next);
    assertThat(refused.why()).contains("fenced");
    assertThat(executions(next)).isZero();
  }
}
