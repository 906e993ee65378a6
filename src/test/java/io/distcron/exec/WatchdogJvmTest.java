package io.distcron.exec;

import static io.distcron.exec.ShellRunnerTest.awaitTrue;
import static io.distcron.exec.ShellRunnerTest.sleepsWith;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node JVM ({@link WatchdogJvmMain}) runs a command with a fed watchdog; the test kills or
 * freezes that JVM and watches what becomes of the run's processes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WatchdogJvmTest {

  private final List<String> markers = new ArrayList<>();
  private final List<Process> jvms = new ArrayList<>();

  private String marker() {
    String m = "300." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
    markers.add(m);
    return m;
  }

  @AfterEach
  void cleanUp() {
    jvms.forEach(Process::destroyForcibly);
    for (String m : markers) {
      sleepsWith(m).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }

  @Test
  void aRunDiesWithItsJvmEvenBySigkill() throws Exception {
    String m = marker();
    // sleep, a background child, a grandchild, and an orphan only the process group ties to the
    // run.
    Node node = start("(sleep " + m + " &); sh -c 'sleep " + m + " & wait' & sleep " + m, null);
    awaitTrue(() -> sleepsWith(m).size() == 3, "three sleeps started");
    Set<ProcessHandle> tree = node.tree();
    assertThat(tree).hasSizeGreaterThanOrEqualTo(7); // script, watcher, 2 sh, 3 sleeps

    long t0 = System.nanoTime();
    node.jvm.destroyForcibly(); // SIGKILL
    boolean gone = ProcessTree.awaitExit(tree, Duration.ofSeconds(2));

    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    System.out.println(
        "WatchdogJvmTest: JVM SIGKILLed, run's tree gone after " + took.toMillis() + " ms");
    assertThat(gone).as("every process of the run gone within 2 s").isTrue();
    assertThat(sleepsWith(m)).isEmpty();
  }

  @Test
  void aRunDiesWithinTheTimeoutOfItsJvmStopping() throws Exception {
    String m = marker();
    Node node = start("sleep " + m + " & sleep " + m, null);
    awaitTrue(() -> sleepsWith(m).size() == 2, "two sleeps started");
    Set<ProcessHandle> tree = node.tree();

    long t0 = System.nanoTime();
    signal(node.jvm.pid(), "STOP");
    boolean gone = ProcessTree.awaitExit(tree, Heartbeats.DEFAULT_TIMEOUT.plusSeconds(1));

    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    System.out.println(
        "WatchdogJvmTest: JVM SIGSTOPped, run's tree gone after " + took.toMillis() + " ms");
    assertThat(gone).as("every process of the run gone within the timeout + 1 s").isTrue();
    assertThat(took).isGreaterThan(Heartbeats.DEFAULT_TIMEOUT.minus(Heartbeats.DEFAULT_INTERVAL));
    // Woken up, the node learns how its run ended.
    signal(node.jvm.pid(), "CONT");
    assertThat(node.line("result "))
        .matches("result LOST 137 killed by its watchdog: the node did not feed it for [0-9.]+s");
  }

  @Test
  void leftoversOfADeadNodeAreKilledAtItsNextStart(@TempDir Path runs) throws Exception {
    String m = marker();
    Node node = start("sleep " + m + " & sleep " + m, runs.toString());
    awaitTrue(() -> sleepsWith(m).size() == 2, "two sleeps started");
    // The watchdog is gone first (its subshell runs the same program as the script), then the JVM.
    ProcessHandle script = ProcessHandle.of(node.pid).orElseThrow();
    ProcessHandle watcher =
        script.children().filter(c -> cmdline(c).equals(cmdline(script))).findFirst().orElseThrow();
    watcher.destroyForcibly();
    watcher.onExit().join();
    node.jvm.destroyForcibly();
    node.jvm.onExit().join();
    assertThat(sleepsWith(m)).hasSize(2);

    List<Leftovers.Killed> killed = ShellRunner.killLeftovers(runs);

    assertThat(killed).hasSize(1);
    assertThat(killed.get(0).runId()).isEqualTo("child-run");
    assertThat(killed.get(0).processGroup()).isEqualTo(node.pid);
    assertThat(sleepsWith(m)).isEmpty();
    try (var files = Files.list(runs)) {
      assertThat(files).isEmpty();
    }
  }

  private record Node(Process jvm, BufferedReader out, long pid) {
    /** The run's processes: the script, its descendants and the rest of its process group. */
    Set<ProcessHandle> tree() {
      return ProcessTree.members(List.of(ProcessHandle.of(pid).orElseThrow()), pid);
    }

    /** The first line the node prints that starts with {@code prefix}. */
    String line(String prefix) throws IOException {
      for (String l = out.readLine(); l != null; l = out.readLine()) {
        if (l.startsWith(prefix)) {
          return l;
        }
      }
      throw new AssertionError("the node ended without printing " + prefix);
    }
  }

  private Node start(String command, String runs) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> argv =
        new ArrayList<>(
            List.of(java, "-cp", classPath(), WatchdogJvmMain.class.getName(), command));
    if (runs != null) {
      argv.add(runs);
    }
    Process jvm = new ProcessBuilder(argv).redirectErrorStream(true).start();
    jvms.add(jvm);
    BufferedReader out =
        new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
    Node n = new Node(jvm, out, 0);
    long pid = Long.parseLong(n.line("pid ").substring(4));
    return new Node(jvm, out, pid);
  }

  private static String classPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  private static void signal(long pid, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start();
    assertThat(kill.waitFor()).isZero();
  }

  private static String cmdline(ProcessHandle p) {
    try {
      return Arrays.toString(
          Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline")));
    } catch (IOException e) {
      return "";
    }
  }
}
