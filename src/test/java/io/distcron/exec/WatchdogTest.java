package io.distcron.exec;

import static io.distcron.exec.ShellRunnerTest.awaitTrue;
import static io.distcron.exec.ShellRunnerTest.sleepsWith;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distcron.run.RunStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A run whose node stops feeding its watchdog dies with its whole tree, and says why; a run that is
 * fed lives as long as it likes. A short watchdog timeout (600 ms, fed every 100 ms) keeps the
 * tests fast.
 */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class WatchdogTest {

  private static final Duration TIMEOUT = Duration.ofMillis(600);
  private static final Duration INTERVAL = Duration.ofMillis(100);
  private static final Duration LONG = Duration.ofSeconds(10);

  private final AtomicBoolean lease = new AtomicBoolean(true);
  private final Heartbeats heartbeats = new Heartbeats(lease::get, TIMEOUT, INTERVAL);
  private final ShellRunner runner =
      new ShellRunner(64 * 1024, Duration.ofMillis(500), heartbeats, null);
  private final List<String> markers = new ArrayList<>();

  private String marker() {
    String m = "100." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
    markers.add(m);
    return m;
  }

  @AfterEach
  void cleanUp() {
    heartbeats.close();
    for (String m : markers) {
      sleepsWith(m).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  @Test
  void aNodeThatLosesItsLeaseLosesItsRunsWithinTheTimeout() throws Exception {
    String m = marker();
    // A background child, and an orphan that only the process group still ties to the run.
    Execution ex =
        runner.start(
            "echo started; (sleep " + m + " &); sleep " + m + " & sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 3, "three sleeps started");
    long t0 = System.nanoTime();

    lease.set(false);
    Result r = ex.await(LONG);
    awaitTrue(() -> sleepsWith(m).isEmpty(), "every sleep gone");

    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(r)
        .isEqualTo(
            new Result(
                RunStatus.LOST,
                137,
                "started\n",
                "killed by its watchdog: the node stopped holding its lease"));
    // Fed last at most one interval before the lease went, so killed a timeout after that.
    assertThat(took)
        .isGreaterThan(TIMEOUT.minus(INTERVAL).minusMillis(100))
        .isLessThan(TIMEOUT.plusSeconds(1));
  }

  @Test
  void aRunThatIsFedOutlivesTheTimeout() throws Exception {
    // Four watchdog timeouts long.
    Result r = runner.start("sleep 2.4; echo done", null, null, null).await(LONG);

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 0, "done\n", null));
  }

  @Test
  void aLeaseBackInTimeKeepsTheRun() throws Exception {
    // Unfed for a third of the timeout, then fed again: the watchdog must not fire.
    String m = marker();
    Execution ex = runner.start("sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 1, "sleep started");

    lease.set(false);
    long t0 = System.nanoTime();
    awaitTrue(
        () -> System.nanoTime() - t0 > INTERVAL.multipliedBy(2).toNanos(), "two heartbeats missed");
    lease.set(true);
    awaitTrue(
        () -> System.nanoTime() - t0 > TIMEOUT.multipliedBy(2).toNanos(),
        "twice the timeout since the lease went");

    assertThat(sleepsWith(m)).hasSize(1);
    ex.kill();
    assertThat(ex.await(LONG).status()).isEqualTo(RunStatus.KILLED);
  }

  @Test
  void heartbeatsThatStopKillTheRun() throws Exception {
    String m = marker();
    Execution ex = runner.start("sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 1, "sleep started");
    long t0 = System.nanoTime();

    heartbeats.close();
    Result r = ex.await(LONG);

    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(TIMEOUT.plusSeconds(1));
    assertThat(r.status()).isEqualTo(RunStatus.LOST);
    assertThat(r.message()).isEqualTo("killed by its watchdog: the node stopped feeding it");
    awaitTrue(() -> sleepsWith(m).isEmpty(), "sleep gone");
  }

  @Test
  void aMayRunThatThrowsStopsTheFeeding() throws Exception {
    try (Heartbeats failing =
        new Heartbeats(
            () -> {
              throw new IllegalStateException("no cluster");
            },
            TIMEOUT,
            INTERVAL)) {
      ShellRunner r = new ShellRunner(1024, Duration.ofMillis(500), failing, null);

      Result result = r.start("sleep 5", null, null, null).await(LONG);

      assertThat(result.status()).isEqualTo(RunStatus.LOST);
      assertThat(result.message())
          .isEqualTo("killed by its watchdog: the node stopped holding its lease");
    }
  }

  @Test
  void aSigkillFromElsewhereWhileFedIsAFailureNotALoss() throws Exception {
    Result r = runner.start("echo bye; kill -KILL $$", null, null, null).await(LONG);

    assertThat(r).isEqualTo(new Result(RunStatus.FAILED, 137, "bye\n", "exit code 137"));
  }

  @Test
  void theIntervalMustBeShorterThanTheTimeout() {
    assertThatThrownBy(() -> new Heartbeats(() -> true, TIMEOUT, TIMEOUT))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Heartbeats(() -> true, TIMEOUT, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
