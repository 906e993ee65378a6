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
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Runs {@code /bin/sh -c command} as a child process, with stdout and stderr merged into one
 * bounded {@link OutputTail}. Pure Java, no actors: the executor calls it from a blocking
 * dispatcher.
 *
 * <p>The shell starts in a session and process group of its own (via util-linux {@code setsid}), so
 * a timeout or kill reaches its whole tree, including background children. Without {@code setsid}
 * the shell shares the JVM's group and only its descendants can be killed. The JVM does not kill
 * runs when it exits.
 */
public final class ShellRunner {

  /**
   * How long to wait for output EOF after the shell exited, by default; see {@link
   * Execution#await}.
   */
  public static final Duration DEFAULT_OUTPUT_DRAIN = Duration.ofSeconds(1);

  private static final Optional<String> SETSID =
      Stream.of("/usr/bin/setsid", "/bin/setsid")
          .filter(p -> Files.isExecutable(Path.of(p)))
          .findFirst();

  private final int tailBytes;
  private final Duration killGrace;
  private final Duration outputDrain;

  public ShellRunner(int tailBytes, Duration killGrace) {
    this(tailBytes, killGrace, DEFAULT_OUTPUT_DRAIN);
  }

  /**
   * @param tailBytes how many of the last output bytes to keep per run
   * @param killGrace time between TERM and KILL
   * @param outputDrain how long to wait for output EOF once the shell has exited
   */
  public ShellRunner(int tailBytes, Duration killGrace, Duration outputDrain) {
    if (tailBytes <= 0) {
      throw new IllegalArgumentException("tailBytes must be positive, got " + tailBytes);
    }
    if (killGrace.isNegative() || outputDrain.isNegative()) {
      throw new IllegalArgumentException("killGrace and outputDrain must not be negative");
    }
    this.tailBytes = tailBytes;
    this.killGrace = killGrace;
    this.outputDrain = outputDrain;
  }

  /**
   * Starts the command.
   *
   * @param env added to (and overriding) the JVM's environment; null for none
   * @param workingDir null to inherit the JVM's
   * @param onOutput receives the output as text while it is read, on the reader thread, in chunks
   *     that never split a character; null for none. It must not block: the process stalls while
   *     the pipe is full. After it throws once it is not called again. Output after {@code await}
   *     returned is not delivered.
   * @throws IOException when the working directory is missing or the shell cannot be started
   */
  public Execution start(
      String command, Map<String, String> env, String workingDir, Consumer<String> onOutput)
      throws IOException {
    List<String> argv = new ArrayList<>();
    SETSID.ifPresent(
        setsid -> {
          argv.add(setsid);
          argv.add(
              "--wait"); // only matters if it had to fork: then the exit code is still the shell's
        });
    argv.addAll(List.of("/bin/sh", "-c", command));
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    // Cron jobs get no input; an inherited pipe would leave a command that reads stdin hanging
    // until timeout.
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    if (workingDir != null) {
      pb.directory(checkedDirectory(workingDir));
    }
    if (env != null) {
      pb.environment().putAll(env);
    }
    Process process = pb.start();
    OutputTail tail = new OutputTail(tailBytes);
    OutputPump pump = new OutputPump(process.getInputStream(), tail, onOutput);
    pump.startThread("distcron-output-" + process.pid());
    return new Execution(process, tail, pump, killGrace, outputDrain);
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
