package io.distcron;

import io.distcron.cli.Cli;
import io.distcron.config.Configs;
import java.time.Clock;
import java.util.Map;
import org.apache.pekko.actor.CoordinatedShutdown;
import sun.misc.Signal;

/**
 * {@code java -jar distcron.jar [server]} starts a node and runs until it is shut down; any other
 * command line ({@code job ...}, {@code run ...}, {@code nodes}, {@code --help}) is the CLI client.
 */
public final class Main {
  static final int DOWNED = 3;

  private Main() {}

  public static void main(String[] args) {
    // Decided here, not in the CLI, so that a plain "java -jar" keeps starting a node.
    if (args.length == 0 || args[0].equals("server")) System.exit(serve());
    System.exit(Cli.run(args, Main::serve));
  }

  /** Starts a node and blocks until it has shut down; returns the process exit code. */
  static int serve() {
    Node node;
    try {
      node = Node.start(Configs.load(Map.of()), Clock.systemUTC());
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("distcron: could not start: " + cause.getMessage());
      return 1;
    }
    // SIGTERM and SIGINT leave the cluster the orderly way (drain, hand off, leave) and then exit
    // 0, so a rolling restart can tell a clean stop from a crash.
    for (String signal : new String[] {"TERM", "INT"}) {
      Signal.handle(
          new Signal(signal),
          s -> CoordinatedShutdown.get(node.system()).runAll(CoordinatedShutdown.jvmExitReason()));
    }
    node.system().getWhenTerminated().toCompletableFuture().join();
    // A node the cluster downed (frozen, cut off) exits 3: not a clean stop, restart it.
    return CoordinatedShutdown.get(node.system())
            .getShutdownReason()
            .filter(r -> r.equals(CoordinatedShutdown.clusterDowningReason()))
            .isPresent()
        ? DOWNED
        : 0;
  }
}
