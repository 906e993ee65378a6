package io.distcron.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distcron run ...}: a job's run history, one run, its output, and kill. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Inspect runs, read their output, kill them.",
    subcommands = {
      RunCommand.Ls.class,
      RunCommand.Show.class,
      RunCommand.Logs.class,
      RunCommand.Kill.class
    })
final class RunCommand extends GroupCommand {
  static String path(String id) {
    return "/runs/" + Api.segment(id);
  }

  @Command(
      name = "ls",
      mixinStandardHelpOptions = true,
      description = "A job's runs, newest first.")
  static final class Ls extends ApiCommand {
    @Parameters(paramLabel = "JOB")
    String job;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "20",
        description = "How many (default ${DEFAULT-VALUE}, at most 500).")
    int limit;

    @Option(
        names = "--cursor",
        paramLabel = "CURSOR",
        description = "Continue where a previous page ended.")
    String cursor;

    @Override
    void run(Api api, Printer out) {
      String q =
          JobCommand.path(job)
              + "/runs?limit="
              + limit
              + (cursor == null ? "" : "&cursor=" + Api.query(cursor));
      JsonNode page = api.get(q);
      if (out.json()) {
        out.json(page);
        return;
      }
      Table table =
          new Table(
              "ID",
              "STATUS",
              "REASON",
              "ATTEMPT",
              "SCHEDULED",
              "STARTED",
              "DURATION",
              "NODE",
              "EXIT");
      for (JsonNode r : page.path("items")) {
        table.row(
            Text.str(r, "id"),
            Text.str(r, "status"),
            Text.str(r, "reason"),
            Text.str(r, "attempt"),
            Text.time(r.get("scheduledAt")),
            Text.time(r.get("startedAt")),
            Text.millis(r.get("durationMs")),
            Text.str(r, "node"),
            Text.str(r, "exitCode"));
      }
      table.print(out.writer());
      String next = Text.str(page, "next");
      // On stderr: the table on stdout stays a table for whoever pipes it.
      if (next != null) {
        spec.commandLine().getErr().println("more: distcron run ls " + job + " --cursor " + next);
        spec.commandLine().getErr().flush();
      }
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "One run, with the tail of its output.")
  static final class Show extends ApiCommand {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    void run(Api api, Printer out) {
      JsonNode r = api.get(path(id));
      if (out.json()) {
        out.json(r);
        return;
      }
      new Fields()
          .add("id", Text.str(r, "id"))
          .add("job", Text.str(r, "job"))
          .add("status", Text.str(r, "status"))
          .add("reason", Text.str(r, "reason"))
          .add("attempt", Text.str(r, "attempt"))
          .add("scheduled", Text.time(r.get("scheduledAt")))
          .add("fired", Text.time(r.get("firedAt")))
          .add("started", Text.time(r.get("startedAt")))
          .add("finished", Text.time(r.get("finishedAt")))
          .add("duration", Text.millis(r.get("durationMs")))
          .add("node", Text.str(r, "node"))
          .add("exit code", Text.str(r, "exitCode"))
          .add("message", Text.str(r, "message"))
          .print(out.writer());
      String tail = Text.str(r, "outputTail");
      if (tail != null && !tail.isEmpty()) {
        out.writer().println("--- output (tail) ---");
        out.writer().print(tail.endsWith("\n") ? tail : tail + "\n");
        out.writer().flush();
      }
    }
  }

  @Command(
      name = "logs",
      mixinStandardHelpOptions = true,
      description =
          "Print a run's output (stdout and stderr merged); -f follows it until the run ends.")
  static final class Logs extends ApiCommand {
    @Parameters(paramLabel = "ID")
    String id;

    @Option(
        names = {"-f", "--follow"},
        description = "Keep printing while the run goes on.")
    boolean follow;

    @Override
    void run(Api api, Printer out) {
      // The output is the job's own text, printed as is (like kubectl logs); --json does not apply.
      if (follow) {
        api.stream(path(id) + "/output?follow=true", out.writer());
      } else {
        out.writer().print(api.text(path(id) + "/output"));
        out.writer().flush();
      }
    }
  }

  @Command(
      name = "kill",
      mixinStandardHelpOptions = true,
      description = "Kill a running run: TERM to its process tree, then KILL after the grace.")
  static final class Kill extends ApiCommand {
    @Parameters(paramLabel = "ID")
    String id;

    @Override
    void run(Api api, Printer out) {
      JsonNode k = api.post(path(id) + "/kill");
      out.result(k, "killing run " + id);
    }
  }
}
