package io.distcron.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code distcron server}: listed here for help; Main starts the node itself when it sees it first.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Start a node (configured by DISTCRON_* environment variables; see the README).")
final class ServerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    return ((Cli) spec.root().userObject()).startServer();
  }
}
