package io.distcron.exec;

import static io.distcron.exec.ShellRunnerTest.awaitTrue;
import static io.distcron.exec.ShellRunnerTest.sleepsWith;
import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.run.RunStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The pid files of a previous life: what is still the recorded process dies, nothing else. */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class LeftoversTest {

  private static final Duration LONG = Duration.ofSeconds(10);

  @TempDir Path runs;
  private final List<String> markers = new ArrayList<>();

  private String marker() {
    String m = "100." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
    markers.add(m);
    return m;
  }

  @AfterEach
  void cleanUp() {
    for (String m : markers) {
      sleepsWith(m).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  @Test
  void aRecordedTreeStillRunningIsKilled() throws Exception {
    String m = marker();
    // No watchdog: as on a machine without bash, the run would outlive its node.
    ShellRunner runner = new ShellRunner(1024, Duration.ofMillis(500), null, runs);
    Execution ex = runner.start("run-1", "(sleep " + m + " &); sleep " + m, null, null, null);
    awaitTrue(() -> sleepsWith(m).size() == 2, "two sleeps started");

    List<Leftovers.Killed> killed = ShellRunner.killLeftovers(runs);

    assertThat(killed).containsExactly(new Leftovers.Killed("run-1", ex.pid(), 3));
    assertThat(killed.get(0))
        .hasToString("run run-1 (process group " + ex.pid() + ", 3 processes)");
    assertThat(sleepsWith(m)).isEmpty();
    assertThat(runs).isEmptyDirectory();
    assertThat(ex.await(LONG).status()).isEqualTo(RunStatus.FAILED);
  }

  @Test
  void aFileWhosePidNowNamesAnotherProcessLeavesThatProcessAlone() throws Exception {
    String m = marker();
    // A group leader, like a run, but not the process the file recorded: it started later.
    Process other = new ProcessBuilder("setsid", "sleep", m).start();
    awaitTrue(() -> sleepsWith(m).size() == 1, "sleep started");
    long start = ProcessTree.startTime(other.pid()).orElseThrow();
    Files.writeString(
        runs.resolve(other.pid() + ".pid"),
        "pid " + other.pid() + "\nstart " + (start - 1) + "\nrun old\n");

    List<Leftovers.Killed> killed = Leftovers.kill(runs);

    assertThat(killed).isEmpty();
    assertThat(other.isAlive()).isTrue();
    assertThat(runs).isEmptyDirectory();
  }

  @Test
  void deadMalformedAndHalfWrittenFilesAreDeleted() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Files.writeString(
        runs.resolve(gone.pid() + ".pid"), "pid " + gone.pid() + "\nstart 1\nrun x\n");
    Files.writeString(runs.resolve("7.pid"), "not a pid file");
    Files.writeString(runs.resolve("8.pid.tmp"), "pid 8\nst");
    Files.writeString(runs.resolve("notes.txt"), "not ours");

    assertThat(Leftovers.kill(runs)).isEmpty();
    try (var files = Files.list(runs)) {
      assertThat(files).containsExactly(runs.resolve("notes.txt"));
    }
  }

  @Test
  void noDirectoryNoLeftovers() throws Exception {
    assertThat(Leftovers.kill(runs.resolve("missing"))).isEmpty();
  }
}
