package io.distcron.cli;

import io.distcron.placement.NodeLabels;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distcron import}: jobs from other schedulers' files. */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    description = "Turn other schedulers' files into distcron jobs.",
    subcommands = {ImportCommand.FromCrontab.class})
final class ImportCommand extends GroupCommand {

  /**
   * Each file is applied in one bulk request under an owner of its own ({@code crontab:HOST:PATH}),
   * so importing it again changes nothing and {@code --prune} removes the jobs of lines deleted
   * since.
   */
  @Command(
      name = "crontab",
      mixinStandardHelpOptions = true,
      description = {
        "Each entry of each FILE becomes a job: its schedule, command, CRON_TZ and environment.",
        "Jobs run on HOST only (this machine by default) unless --anywhere.",
        "Nothing is imported from a file with a line that cannot be."
      })
  static final class FromCrontab extends ApiCommand {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "crontab files.")
    List<Path> files;

    @Option(
        names = "--host",
        paramLabel = "HOST",
        description = "Run the jobs only on the node labelled host=HOST (default: this machine).")
    String host;

    @Option(names = "--anywhere", description = "Run the jobs on any node, not one host.")
    boolean anywhere;

    @Option(
        names = "--prefix",
        paramLabel = "P",
        description = "Job names start with P (default: the file's name and '-').")
    String prefix;

    @Option(
        names = "--user",
        paramLabel = "USER",
        description = "Run the commands as USER (shell.user; the nodes must run as root).")
    String user;

    @Option(
        names = "--system",
        description =
            "A system crontab (/etc/crontab, /etc/cron.d): a user field follows the time.")
    boolean system;

    @Option(names = "--prune", description = "Delete the file's jobs whose lines are gone.")
    boolean prune;

    @Option(names = "--dry-run", description = "Show what would change; change nothing.")
    boolean dryRun;

    @Override
    void run(Api api, Printer out) {
      if (anywhere && host != null) throw usage("--host and --anywhere exclude each other");
      if (system && user != null) throw usage("--user and --system exclude each other");
      String pinned = anywhere ? null : host != null ? host : NodeLabels.hostname();
      PrintWriter err = spec.commandLine().getErr();
      for (Path file : files) {
        Path absolute = file.toAbsolutePath().normalize();
        String name =
            absolute.getFileName() == null ? "crontab" : absolute.getFileName().toString();
        Crontab.Parsed parsed =
            Crontab.parse(
                read(file),
                file.toString(),
                new Crontab.Options(
                    prefix != null ? prefix : Crontab.prefixOf(name), user, pinned, system));
        parsed.warnings().forEach(w -> err.println("distcron: warning: " + w));
        err.flush();
        if (files.size() > 1 && !out.json()) out.line(file + ":");
        ApplyCommand.report(
            ApplyCommand.send(api, parsed.jobs(), owner(pinned, absolute), prune, dryRun),
            dryRun,
            out);
      }
    }

    private static String read(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw CliException.usage("cannot read " + file + ": " + e.getMessage());
      }
    }

    /** One owner per file and host, in the characters an owner may hold, at most 200. */
    private static String owner(String host, Path file) {
      String owner = ApplyCommand.ownerOf("crontab:" + (host == null ? "any" : host) + ":" + file);
      return owner.length() <= 200 ? owner : owner.substring(owner.length() - 200);
    }
  }
}
