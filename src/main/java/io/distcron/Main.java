package io.distcron;

import io.distcron.config.Configs;
import java.time.Clock;
import java.util.Map;

/** {@code java -jar distcron.jar [server]}: starts a node and runs until it is shut down. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && !args[0].equals("server")) {
      System.err.println("usage: distcron [server]");
      System.exit(2);
    }
    Node node;
    try {
      node = Node.start(Configs.load(Map.of()), Clock.systemUTC());
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("distcron: could not start: " + cause.getMessage());
      System.exit(1);
      return;
    }
    node.system().getWhenTerminated().toCompletableFuture().join();
    System.exit(0);
  }
}
