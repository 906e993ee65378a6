package io.distcron.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A leaf command that calls the API. Failures end here as one line on stderr and an exit code,
 * because picocli would print a stack trace for anything a command throws (usage errors excepted:
 * picocli owns those and answers 2 with the usage).
 */
abstract class ApiCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public final Integer call() {
    Cli cli = (Cli) spec.root().userObject();
    PrintWriter err = spec.commandLine().getErr();
    try {
      run(cli.api(), new Printer(spec.commandLine().getOut(), cli.json()));
      return 0;
    } catch (CommandLine.ParameterException e) {
      throw e;
    } catch (CliException e) {
      err.println("distcron: " + e.getMessage());
      err.flush();
      return e.exitCode();
    } catch (RuntimeException e) {
      err.println("distcron: unexpected error: " + e);
      err.flush();
      return CliException.API;
    }
  }

  abstract void run(Api api, Printer out);

  /**
   * A usage error found after parsing (two flags that exclude each other): picocli prints the
   * usage.
   */
  CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
