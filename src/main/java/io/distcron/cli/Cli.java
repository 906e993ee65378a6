package io.distcron.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code distcron}: the command-line client. It talks to a node over the public HTTP API only, so
 * it works against any node of any cluster it can reach, exactly as a script with curl would.
 *
 * <p>The connection options are inherited: they may be given before or after the subcommand.
 */
@Command(
    name = "distcron",
    mixinStandardHelpOptions = true,
    version = "distcron 0.1.0",
    description = "A distributed crontab. Without a command, starts a node.",
    subcommands = {
      ServerCommand.class,
      JobCommand.class,
      ApplyCommand.class,
      ExportCommand.class,
      ImportCommand.class,
      RunCommand.class,
      NodesCommand.class,
      ChannelCommand.class,
      CalendarCommand.class
    })
public final class Cli implements Callable<Integer> {
  static final String DEFAULT_URL = "http://127.0.0.1:8080";

  @Option(
      names = "--url",
      paramLabel = "URL",
      scope = ScopeType.INHERIT,
      description = "The node's HTTP address (env DISTCRON_URL; default " + DEFAULT_URL + ").")
  String url;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      scope = ScopeType.INHERIT,
      description = "Sent as 'Authorization: Bearer TOKEN' (env DISTCRON_TOKEN).")
  String token;

  @Option(
      names = "--json",
      scope = ScopeType.INHERIT,
      description = "Print the API's JSON instead of a table, for scripts.")
  boolean json;

  @Spec CommandSpec spec;

  private final Map<String, String> env;
  private final IntSupplier server;

  /**
   * {@code env} stands in for the process environment and {@code server} starts a node and returns
   * its exit code; both are given so that tests run the CLI in-process without touching either.
   */
  public Cli(Map<String, String> env, IntSupplier server) {
    this.env = Map.copyOf(env);
    this.server = server;
  }

  /** Runs one command line against the real environment and returns the process exit code. */
  public static int run(String[] args, IntSupplier server) {
    return new CommandLine(new Cli(System.getenv(), server)).execute(args);
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "Missing command: server, job, apply, export, run, nodes or calendar");
  }

  Api api() {
    String base = url != null ? url : env.getOrDefault("DISTCRON_URL", DEFAULT_URL);
    return new Api(base, token != null ? token : env.get("DISTCRON_TOKEN"));
  }

  boolean json() {
    return json;
  }

  int startServer() {
    return server.getAsInt();
  }
}
