package io.distcron.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code distcron job} alone: a usage error listing the subcommands, not picocli's "not runnable".
 */
abstract class GroupCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "Missing subcommand: " + String.join(", ", spec.subcommands().keySet()));
  }
}
