package io.distcron.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distcron.run.RunStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real /bin/sh; every process a test leaves behind is found by its marker and killed. */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class ShellRunnerTest {

  private static final Duration LONG = Duration.ofSeconds(10);

  private final List<String> markers = new ArrayList<>();
  final ShellRunner runner = runner(64 * 1024);

  /** The runner under test; {@link ShellRunnerWithWatchdogTest} runs every test with a watchdog. */
  ShellRunner runner(int tailBytes) {
    return new ShellRunner(tailBytes, Duration.ofMillis(500));
  }

  /**
   * A unique {@code sleep} argument, so this test's processes can be found in /proc (and cleaned
   * up).
   */
  String marker() {
    String m = "100." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
    markers.add(m);
    return m;
  }

  @AfterEach
  void killLeftovers() {
    for (String m : markers) {
      sleepsWith(m).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  @Test
  void exitZeroSucceeds() throws Exception {
    Result r = runner.start("echo hello", null, null, null).await(LONG);

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 0, "hello\n", null));
  }

  /** As cron runs a user's crontab: the user's identity and home, the job's environment kept. */
  @Test
  void runsAsAnotherUserKeepingTheJobsEnvironment() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        RunAs.possible(), "needs root, as shell.user does");
    String command = RunAs.command("nobody", "id -un; echo \"$LOGNAME $MARK\"; echo 'it''s'");
    Result r = runner.start(command, Map.of("MARK", "kept"), null, null).await(LONG);

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 0, "nobody\nnobody kept\nits\n", null));
    Result missing =
        runner.start(RunAs.command("no-such-user", "true"), null, null, null).await(LONG);
    assertThat(missing.status()).isEqualTo(RunStatus.FAILED);
    assertThat(missing.outputTail()).contains("no-such-user");
  }

  @Test
  void nonZeroExitFails() throws Exception {
    Result r = runner.start("echo before; exit 3", Map.of(), null, null).await(LONG);

    assertThat(r).isEqualTo(new Result(RunStatus.FAILED, 3, "before\n", "exit code 3"));
  }

  @Test
  void stdoutAndStderrAreMerged() throws Exception {
    Result r = runner.start("echo out; echo err >&2; echo out2", null, null, null).await(LONG);

    assertThat(r.outputTail()).isEqualTo("out\nerr\nout2\n");
  }

  @Test
  void aLongOutputKeepsItsLastBytesBehindAMarker() throws Exception {
    ShellRunner small = runner(100);
    // 20000 lines "line<i>": far more than 100 bytes, so only the last ones survive.
    String cmd = "i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done";

    Result r = small.start(cmd, null, null, null).await(LONG);

    assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(r.outputTail()).matches("(?s)\\[\\.\\.\\. \\d+ bytes truncated \\.\\.\\.\\]\n.*");
    assertThat(r.outputTail()).endsWith("line19998\nline19999\n");
    String kept = r.outputTail().substring(r.outputTail().indexOf('\n') + 1);
    assertThat(kept.getBytes(StandardCharsets.UTF_8)).hasSize(100);
  }

  @Test
  void envIsAddedToTheInheritedEnvironment() throws Exception {
    Map<String, String> env = Map.of("DISTCRON_JOB", "nightly-backup");

    Result r = runner.start("echo $DISTCRON_JOB; echo \"$PATH\"", env, null, null).await(LONG);

    assertThat(r.outputTail()).isEqualTo("nightly-backup\n" + System.getenv("PATH") + "\n");
  }

  @Test
  void workingDirIsHonoured(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("marker.txt"), "here");

    Result r = runner.start("pwd; cat marker.txt", null, dir.toString(), null).await(LONG);

    assertThat(r.outputTail()).isEqualTo(dir.toRealPath() + "\nhere");
  }

  @Test
  void aMissingWorkingDirIsAClearError(@TempDir Path dir) {
    String missing = dir.resolve("nope").toString();

    assertThatThrownBy(() -> runner.start("true", null, missing, null))
        .isInstanceOf(IOException.class)
        .hasMessage("working directory does not exist: " + missing);
  }

  @Test
  void outputArrivesWhileTheProcessRuns(@TempDir Path dir) throws Exception {
    // The command only finishes once the test creates `go`, so "a" provably arrives before the end.
    Path go = dir.resolve("go");
    List<String> chunks = new CopyOnWriteArrayList<>();
    CountDownLatch sawA = new CountDownLatch(1);
    Execution ex =
        runner.start(
            "echo a; while [ ! -e go ]; do sleep 0.02; done; echo b",
            null,
            dir.toString(),
            chunk -> {
              chunks.add(chunk);
              if (chunk.contains("a")) {
                sawA.countDown();
              }
            });

    assertThat(sawA.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(ProcessHandle.of(ex.pid()).map(ProcessHandle::isAlive)).contains(true);
    Files.createFile(go);
    Result r = ex.await(LONG);

    assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(String.join("", chunks)).isEqualTo("a\nb\n");
  }

  @Test
  void multibyteOutputIsStreamedIntact() throws Exception {
    List<String> chunks = new CopyOnWriteArrayList<>();

    Result r =
        runner
            .start("printf 'h\\303\\251llo \\342\\234\\223\\n'", null, null, chunks::add)
            .await(LONG);

    assertThat(r.outputTail()).isEqualTo("héllo ✓\n");
    assertThat(String.join("", chunks)).isEqualTo("héllo ✓\n");
  }

  @Test
  void aTimeoutKillsTheWholeTree() throws Exception {
    String m = marker();
    Execution ex = runner.start("sleep " + m + " & sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 2, "both sleeps started");
    List<ProcessHandle> tree = ProcessHandle.of(ex.pid()).orElseThrow().descendants().toList();
    long t0 = System.nanoTime();

    Result r = ex.await(Duration.ofSeconds(1));

    assertThat(r.status()).isEqualTo(RunStatus.TIMED_OUT);
    assertThat(r.message()).isEqualTo("timed out after 1s");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(4));
    // await returns only once the tree is gone: no polling needed here.
    assertThat(sleepsWith(m)).isEmpty();
    assertThat(tree).isNotEmpty().noneMatch(ProcessTree::running);
    assertThat(ProcessHandle.of(ex.pid())).isEmpty();
  }

  @Test
  void aTimeoutAlsoKillsAnOrphanThatLeftTheTree() throws Exception {
    String m = marker();
    // The subshell exits at once, so its sleep is reparented away from our shell: only the process
    // group still ties it to the run.
    Execution ex = runner.start("( sleep " + m + " & ); sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 2, "both sleeps started");
    List<Long> descendants =
        ProcessHandle.of(ex.pid()).orElseThrow().descendants().map(ProcessHandle::pid).toList();
    assertThat(sleepsWith(m)).anyMatch(pid -> !descendants.contains(pid));

    Result r = ex.await(Duration.ofMillis(300));

    assertThat(r.status()).isEqualTo(RunStatus.TIMED_OUT);
    assertThat(sleepsWith(m)).isEmpty();
  }

  @Test
  void aCommandIgnoringTermIsKilledAfterTheGrace() throws Exception {
    String m = marker();
    Execution ex = runner.start("trap '' TERM; sleep " + m + " & sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 2, "both sleeps started");
    long t0 = System.nanoTime();

    Result r = ex.await(Duration.ofMillis(300));

    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(r.status()).isEqualTo(RunStatus.TIMED_OUT);
    assertThat(r.exitCode()).isEqualTo(128 + 9);
    assertThat(took)
        .isGreaterThanOrEqualTo(Duration.ofMillis(800))
        .isLessThan(Duration.ofSeconds(4));
    assertThat(sleepsWith(m)).isEmpty();
  }

  @Test
  void killFromAnotherThreadEndsTheRunAsKilled() throws Exception {
    String m = marker();
    Execution ex = runner.start("echo started; sleep " + m + " & sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 2, "both sleeps started");
    CompletableFuture<Result> result =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return ex.await(LONG);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });

    ex.kill();
    ex.kill(); // idempotent

    Result r = result.get(5, TimeUnit.SECONDS);
    assertThat(r.status()).isEqualTo(RunStatus.KILLED);
    assertThat(r.message()).isEqualTo("killed");
    assertThat(r.exitCode()).isEqualTo(128 + 15);
    assertThat(r.outputTail()).isEqualTo("started\n");
    assertThat(sleepsWith(m)).isEmpty();
  }

  @Test
  void killBeforeAwaitStillReportsKilled() throws Exception {
    String m = marker();
    Execution ex = runner.start("sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 1, "sleep started");

    ex.kill();

    assertThat(ex.await(LONG).status()).isEqualTo(RunStatus.KILLED);
    assertThat(sleepsWith(m)).isEmpty();
  }

  @Test
  void killAfterExitIsANoOp() throws Exception {
    Execution ex = runner.start("echo done", null, null, null);
    // Awaited first: a process seen gone through its handle may not be reaped by Java yet, and a
    // kill then still counts.
    Result r = ex.await(LONG);
    ex.kill();

    assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(ex.await(LONG)).isEqualTo(r);
  }

  @Test
  void aBackgroundChildHoldingTheOutputDoesNotBlockAwait() throws Exception {
    String m = marker();
    List<String> chunks = new CopyOnWriteArrayList<>();
    // The background sleep inherits stdout, so the pipe stays open after the shell exits.
    Execution ex = runner.start("echo early; sleep " + m + " &", null, null, chunks::add);
    long t0 = System.nanoTime();

    Result r = ex.await(LONG);

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 0, "early\n", null));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
    assertThat(String.join("", chunks)).isEqualTo("early\n");
    // Left running, as cron would; @AfterEach kills it. The shell may exit before the child has
    // become `sleep`.
    awaitTrue(() -> sleepsWith(m).size() == 1, "the background sleep still running");
  }

  @Test
  void aStartFailureIsAFailedResult() {
    Result r = Result.failedToStart(new IOException("no shell"));

    assertThat(r).isEqualTo(new Result(RunStatus.FAILED, null, "", "failed to start: no shell"));
  }

  @Test
  void timeoutsReadLikeTheyAreWritten() {
    assertThat(Execution.human(Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(Execution.human(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(Execution.human(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(Execution.human(Duration.ofMinutes(2))).isEqualTo("2m");
  }

  /** Live (not zombie) {@code sleep <marker>} processes, found by their command line in /proc. */
  static List<Long> sleepsWith(String marker) {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path dir : dirs) {
        try {
          String cmdline = Files.readString(dir.resolve("cmdline"), StandardCharsets.ISO_8859_1);
          String stat = Files.readString(dir.resolve("stat"), StandardCharsets.ISO_8859_1);
          char state = stat.charAt(stat.lastIndexOf(')') + 2);
          if (cmdline.equals("sleep\0" + marker + "\0") && state != 'Z' && state != 'X') {
            out.add(Long.parseLong(dir.getFileName().toString()));
          }
        } catch (IOException e) {
          // exited while we looked
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** Waits for a condition outside our control (a process appearing in /proc), with a deadline. */
  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
