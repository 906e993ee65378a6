package io.distcron.exec;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code /bin/sh -c command} as a child process, with stdout and stderr merged into one
 * bounded {@link OutputTail}. Pure Java, no actors: the executor calls it from a blocking
 * dispatcher.
 *
 * <p>The shell starts in a session and process group of its own (via util-linux {@code setsid}), so
 * a timeout or kill reaches its whole tree, including background children. Without {@code setsid}
 * the shell shares the JVM's group and only its descendants can be killed.
 *
 * <p>Given {@link Heartbeats}, each run also gets a {@link Watchdog}: a small bash script that
 * starts the shell and kills the run's whole process group as soon as this JVM dies (SIGKILL
 * included) or stops feeding it for the heartbeats' timeout (the node lost its lease, or froze).
 * Then {@link Execution#await} reports the run LOST. Without heartbeats, or on a machine without
 * {@code /bin/bash}, a run outlives the JVM, as it always did.
 *
 * <p>Given a runs directory, each run is recorded there while it runs, so that the next life of the
 * node can kill what the last one left: see {@link #killLeftovers}.
 */
public final class ShellRunner {

  /**
   * How long to wait for output EOF after the shell exited, by default; see {@link
   * Execution#await}.
   */
  public static final Duration DEFAULT_OUTPUT_DRAIN = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(ShellRunner.class);
  private static final AtomicBoolean warnedNoWatchdog = new AtomicBoolean();

  private static final Optional<String> SETSID =
      Stream.of("/usr/bin/setsid", "/bin/setsid")
          .filter(p -> Files.isExecutable(Path.of(p)))
          .findFirst();

  private final int tailBytes;
  private final Duration killGrace;
  private final Duration outputDrain;
  private final Heartbeats heartbeats; // null: no watchdog
  private final Path runsDir; // null: runs are not recorded
  private final String bash;

  /** No watchdog, no records: a run outlives the JVM. */
  public ShellRunner(int tailBytes, Duration killGrace) {
    this(tailBytes, killGrace, DEFAULT_OUTPUT_DRAIN);
  }

  /** No watchdog, no records: a run outlives the JVM. */
  public ShellRunner(int tailBytes, Duration killGrace, Duration outputDrain) {
    this(tailBytes, killGrace, outputDrain, null, null);
  }

  /** With the default output drain. */
  public ShellRunner(int tailBytes, Duration killGrace, Heartbeats heartbeats, Path runsDir) {
    this(tailBytes, killGrace, DEFAULT_OUTPUT_DRAIN, heartbeats, runsDir);
  }

  /**
   * @param tailBytes how many of the last output bytes to keep per run
   * @param killGrace time between TERM and KILL
   * @param outputDrain how long to wait for output EOF once the shell has exited
   * @param heartbeats feeds each run's watchdog; null for runs without one
   * @param runsDir where each run is recorded while it runs (created when missing); null for none
   */
  public ShellRunner(
      int tailBytes,
      Duration killGrace,
      Duration outputDrain,
      Heartbeats heartbeats,
      Path runsDir) {
    this(tailBytes, killGrace, outputDrain, heartbeats, runsDir, Watchdog.BASH);
  }

  /** {@code bash}: another path, in tests, to see what happens when it is missing. */
  ShellRunner(
      int tailBytes,
      Duration killGrace,
      Duration outputDrain,
      Heartbeats heartbeats,
      Path runsDir,
      String bash) {
    if (tailBytes <= 0) {
      throw new IllegalArgumentException("tailBytes must be positive, got " + tailBytes);
    }
    if (killGrace.isNegative() || outputDrain.isNegative()) {
      throw new IllegalArgumentException("killGrace and outputDrain must not be negative");
    }
    this.tailBytes = tailBytes;
    this.killGrace = killGrace;
    this.outputDrain = outputDrain;
    this.heartbeats = heartbeats;
    this.runsDir = runsDir;
    this.bash = bash;
  }

  /**
   * Kills what the runs recorded in {@code runsDir} by a previous life of this node left running,
   * and deletes the records: call it at node start, before any run, with the runs directory given
   * to this node's runner. See {@link Leftovers}.
   *
   * @return the runs killed, for a log line
   */
  public static List<Leftovers.Killed> killLeftovers(Path runsDir)
      throws IOException, InterruptedException {
    return Leftovers.kill(runsDir);
  }

  /**
   * Starts a run that is recorded without a run id; see {@link #start(String, String, Map, String,
   * Consumer)}.
   */
  public Execution start(
      String command, Map<String, String> env, String workingDir, Consumer<String> onOutput)
      throws IOException {
    return start(null, command, env, workingDir, onOutput);
  }

  /**
   * Starts the command.
   *
   * @param runId names the run in its record, for {@link #killLeftovers}; null for none
   * @param env added to (and overriding) the JVM's environment; null for none
   * @param workingDir null to inherit the JVM's
   * @param onOutput receives the output as text while it is read, on the reader thread, in chunks
   *     that never split a character; null for none. It must not block: the process stalls while
   *     the pipe is full. After it throws once it is not called again. Output after {@code await}
   *     returned is not delivered.
   * @throws IOException when the working directory is missing or the shell cannot be started
   */
  public Execution start(
      String runId,
      String command,
      Map<String, String> env,
      String workingDir,
      Consumer<String> onOutput)
      throws IOException {
    boolean watched = heartbeats != null && watchdogAvailable();
    List<String> argv = new ArrayList<>();
    SETSID.ifPresent(
        setsid -> {
          argv.add(setsid);
          argv.add(
              "--wait"); // only matters if it had to fork: then the exit code is still the shell's
        });
    if (watched) {
      argv.addAll(Watchdog.argv(bash, heartbeats.timeout(), command));
    } else {
      argv.addAll(List.of("/bin/sh", "-c", command));
    }
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    if (!watched) {
      // Cron jobs get no input; an inherited pipe would leave a command that reads stdin hanging
      // until timeout. With a watchdog, stdin is its pipe, and the script gives the command
      // /dev/null.
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    }
    if (workingDir != null) {
      pb.directory(checkedDirectory(workingDir));
    }
    if (env != null) {
      pb.environment().putAll(env);
    }
    if (watched) {
      Watchdog.shelter(pb.environment());
    }
    long startedAt = System.nanoTime();
    Process process = pb.start();
    Heartbeats.Feed feed = watched ? heartbeats.feed(process.getOutputStream(), startedAt) : null;
    Watchdog watchdog = new Watchdog(feed, record(process.pid(), runId));
    OutputTail tail = new OutputTail(tailBytes);
    OutputPump pump = new OutputPump(process.getInputStream(), tail, onOutput);
    pump.startThread("distcron-output-" + process.pid());
    return new Execution(process, tail, pump, killGrace, outputDrain, watchdog);
  }

  private boolean watchdogAvailable() {
    // Without setsid the script shares the JVM's process group, and could not kill only its own.
    if (SETSID.isPresent() && Watchdog.available(bash)) {
      return true;
    }
    if (warnedNoWatchdog.compareAndSet(false, true)) {
      log.warn(
          "Shell runs have no watchdog: {} not found; a run will outlive this JVM if it dies",
          SETSID.isEmpty() ? "setsid" : bash + " or " + Watchdog.ENV);
    }
    return false;
  }

  private Path record(long pid, String runId) {
    if (runsDir == null) {
      return null;
    }
    try {
      return Leftovers.record(runsDir, pid, runId).orElse(null);
    } catch (IOException e) {
      // The watchdog is the first line of defence; this record only backs it up.
      log.warn("Run {} not recorded in {}: {}", runId, runsDir, e.toString());
      return null;
    }
  }

  /**
   * ProcessBuilder would only say "error=2, No such file or directory", which reads like /bin/sh is
   * missing.
   */
  private static File checkedDirectory(String workingDir) throws IOException {
    Path dir = Path.of(workingDir);
    if (!Files.exists(dir)) {
      throw new IOException("working directory does not exist: " + workingDir);
    }
    if (!Files.isDirectory(dir)) {
      throw new IOException("working directory is not a directory: " + workingDir);
    }
    return dir.toFile();
  }
}
