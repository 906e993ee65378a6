package io.distcron.exec;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The node JVM that {@link WatchdogJvmTest} kills: runs one command with a watchdog fed all along
 * (default timeout and interval), prints {@code pid <pid>} once it started and {@code result ...}
 * if it ever ends.
 *
 * <p>Arguments: the command, then optionally the runs directory.
 */
public final class WatchdogJvmMain {

  private WatchdogJvmMain() {}

  public static void main(String[] args) throws Exception {
    Heartbeats heartbeats = new Heartbeats(() -> true);
    Path runs = args.length > 1 ? Path.of(args[1]) : null;
    ShellRunner runner = new ShellRunner(64 * 1024, Duration.ofMillis(500), heartbeats, runs);
    Execution execution = runner.start("child-run", args[0], null, null, null);
    System.out.println("pid " + execution.pid());
    Result r = execution.await(null);
    System.out.println("result " + r.status() + " " + r.exitCode() + " " + r.message());
  }
}
