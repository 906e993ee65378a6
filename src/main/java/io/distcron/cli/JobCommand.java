package io.distcron.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distcron job ...}: define, list, inspect and steer jobs. */
@Command(
    name = "job",
    mixinStandardHelpOptions = true,
    description = "Define and steer jobs.",
    subcommands = {
      JobCommand.Add.class, JobCommand.Ls.class, JobCommand.Show.class, JobCommand.Edit.class,
      JobCommand.Rm.class, JobCommand.Pause.class, JobCommand.Resume.class,
          JobCommand.Trigger.class,
      JobCommand.Backfill.class
    })
final class JobCommand extends GroupCommand {
  /**
   * Fields a job's GET shows beyond its definition. The API takes them back and ignores them, so a
   * job as shown can be sent again as it is; they are only noise in a file.
   */
  static final List<String> READ_ONLY =
      List.of(
          "scheduleDescription",
          "status",
          "nextFireTimes",
          "lastScheduled",
          "lastRun",
          "managedBy",
          "backfill");

  /**
   * Jobs by name, with {@code label} only those with it, at most {@code limit} (null: all). The API
   * pages by name; this follows it, so that "ls" means all jobs, as people expect.
   */
  static ArrayNode all(Api api, String label, Integer limit) {
    ArrayNode items = Api.JSON.createArrayNode();
    String after = null;
    do {
      int want = limit == null ? 500 : Math.min(500, limit - items.size());
      StringBuilder q = new StringBuilder("/jobs?limit=").append(want);
      if (label != null) q.append("&label=").append(Api.query(label));
      if (after != null) q.append("&after=").append(Api.query(after));
      JsonNode page = api.get(q.toString());
      items.addAll((ArrayNode) page.path("items"));
      after = Text.str(page, "next");
    } while (after != null && (limit == null || items.size() < limit));
    return items;
  }

  static String path(String name) {
    return "/jobs/" + Api.segment(name);
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = "Create a job from flags, from a JSON/YAML file (-f), or both (flags win).")
  static final class Add extends ApiCommand {
    @Mixin JobFlags flags;

    @Override
    void run(Api api, Printer out) {
      if (flags.file == null && !flags.any()) throw usage("give -f FILE or the job's flags");
      ObjectNode spec =
          flags.file == null ? Api.JSON.createObjectNode() : JobFile.read(flags.file, System.in);
      JsonNode created = api.post("/jobs", flags.applyTo(spec));
      out.result(created, "created job " + Text.str(created, "name") + next(created));
    }
  }

  @Command(
      name = "edit",
      mixinStandardHelpOptions = true,
      description = {
        "Change a job: -f FILE replaces its definition; flags change only the fields they name.",
        "Takes effect at once."
      })
  static final class Edit extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Mixin JobFlags flags;

    @Override
    void run(Api api, Printer out) {
      if (flags.file == null && !flags.any()) {
        throw usage("nothing to change: give -f FILE or flags");
      }
      ObjectNode spec;
      if (flags.file != null) {
        spec = JobFile.read(flags.file, System.in);
      } else {
        spec = (ObjectNode) api.get(path(name));
      }
      if (!spec.hasNonNull("name")) spec.put("name", name);
      JsonNode replaced = api.put(path(name), flags.applyTo(spec));
      out.result(replaced, "updated job " + Text.str(replaced, "name") + next(replaced));
    }
  }

  @Command(
      name = "ls",
      mixinStandardHelpOptions = true,
      description = "List jobs (all pages), optionally those with a label.")
  static final class Ls extends ApiCommand {
    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only jobs with this label.")
    String label;

    @Option(names = "--limit", paramLabel = "N", description = "At most N jobs (default: all).")
    Integer limit;

    @Override
    void run(Api api, Printer out) {
      if (limit != null && limit < 1) throw usage("--limit must be at least 1");
      ArrayNode items = all(api, label, limit);
      if (out.json()) {
        ObjectNode all = Api.JSON.createObjectNode();
        all.set("items", items);
        all.putNull("next");
        out.json(all);
        return;
      }
      Table table = new Table("NAME", "SCHEDULE", "TZ", "STATUS", "NEXT", "LAST");
      for (JsonNode j : items) {
        table.row(
            Text.str(j, "name"),
            Text.str(j, "schedule"),
            Text.str(j, "timezone"),
            status(j),
            Text.time(j.path("nextFireTimes").path(0)),
            last(j));
      }
      table.print(out.writer());
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one job.")
  static final class Show extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      JsonNode j = api.get(path(name));
      if (out.json()) {
        out.json(j);
        return;
      }
      String schedule = Text.str(j, "schedule");
      String described = Text.str(j, "scheduleDescription");
      Fields f =
          new Fields()
              .add("name", Text.str(j, "name"))
              .add("description", Text.str(j, "description"))
              .add("labels", Text.pairs(j.get("labels")))
              .add("schedule", described == null ? schedule : schedule + "  (" + described + ")")
              .add("timezone", Text.str(j, "timezone"))
              .add("status", status(j));
      action(j, f);
      JsonNode c = j.path("catchUp");
      JsonNode r = j.path("retry");
      JsonNode target = j.path("target");
      f.add(
          "target",
          target.isObject()
              ? Text.pairs(target.get("nodeSelector")) + " (" + Text.str(target, "mode") + ")"
              : null);
      List<String> calendars = new ArrayList<>();
      j.path("excludeCalendars").forEach(n -> calendars.add(n.asText()));
      f.add("excludes", calendars.isEmpty() ? null : String.join(", ", calendars));
      f.add("timeout", j.path("timeoutSeconds").asInt() + "s")
          .add("overlap", Text.str(j, "overlap"))
          .add("jitter", Text.str(j, "jitter"))
          .add("starts", Text.str(j, "startAt"))
          .add("ends", Text.str(j, "endAt"))
          .add(
              "catch-up",
              c.isObject()
                  ? Text.str(c, "policy")
                      + ", window "
                      + Text.str(c, "window")
                      + ", at most "
                      + Text.str(c, "maxRuns")
                      + " runs"
                  : null)
          .add(
              "retry",
              r.isObject()
                  ? r.path("maxAttempts").asInt()
                      + " attempt(s) in all, backoff "
                      + Text.str(r, "backoff")
                      + " x"
                      + Text.str(r, "multiplier")
                      + " up to "
                      + Text.str(r, "maxBackoff")
                  : null);
      List<String> next = new ArrayList<>();
      j.path("nextFireTimes").forEach(t -> next.add(Text.time(t)));
      f.add("next", String.join(", ", next)).add("last run", lastRun(j.path("lastRun")));
      f.print(out.writer());
    }

    private static void action(JsonNode j, Fields f) {
      if (j.path("shell").isObject()) {
        JsonNode s = j.get("shell");
        f.add("shell", Text.str(s, "command"))
            .add("env", Text.pairs(s.get("env")))
            .add("workdir", Text.str(s, "workingDir"));
      } else if (j.path("http").isObject()) {
        JsonNode h = j.get("http");
        String method = Text.str(h, "method");
        f.add("http", (method == null ? "GET" : method) + " " + Text.str(h, "url"))
            .add("headers", Text.pairs(h.get("headers")))
            .add(
                "expect",
                h.path("expectStatus").isArray() ? h.get("expectStatus").toString() : null);
      } else {
        f.add("action", "noop");
      }
    }

    private static String lastRun(JsonNode run) {
      if (!run.isObject()) return null;
      String exit = Text.str(run, "exitCode");
      return Text.str(run, "status")
          + " "
          + Text.time(run.get("scheduledAt"))
          + (exit == null ? "" : " exit " + exit)
          + "  ("
          + Text.str(run, "id")
          + ")";
    }
  }

  @Command(
      name = "rm",
      mixinStandardHelpOptions = true,
      description = "Delete a job; its timer stops at once.")
  static final class Rm extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      api.delete(path(name));
      if (!out.json()) out.line("deleted job " + name);
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = "Stop a job's ticks (it stays defined).")
  static final class Pause extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      JsonNode j = api.post(path(name) + "/pause");
      out.result(j, "paused job " + Text.str(j, "name"));
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Resume a paused job's ticks.")
  static final class Resume extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      JsonNode j = api.post(path(name) + "/resume");
      out.result(j, "resumed job " + Text.str(j, "name") + next(j));
    }
  }

  @Command(
      name = "trigger",
      mixinStandardHelpOptions = true,
      description = "Run a job now (even when paused); prints the run id.")
  static final class Trigger extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      JsonNode t = api.post(path(name) + "/trigger");
      out.result(t, "triggered job " + name + ": run " + Text.str(t, "runId"));
    }
  }

  @Command(
      name = "backfill",
      mixinStandardHelpOptions = true,
      description =
          "Run a job's ticks in [from, to) that never ran, with reason BACKFILL; or cancel its"
              + " backfill.")
  static final class Backfill extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--from", paramLabel = "INSTANT", description = "e.g. 2026-11-01T00:00:00Z")
    String from;

    @Option(names = "--to", paramLabel = "INSTANT", description = "exclusive")
    String to;

    @Option(
        names = "--overlap",
        paramLabel = "QUEUE|SKIP|ALLOW",
        description = "how its runs wait for the job's others (default QUEUE)")
    String overlap;

    @Option(names = "--cancel", description = "skip the ticks of its backfill not yet run")
    boolean cancel;

    @Override
    void run(Api api, Printer out) {
      if (cancel) {
        if (from != null || to != null || overlap != null) {
          throw usage("--cancel takes no --from, --to or --overlap");
        }
        JsonNode c = api.delete(path(name) + "/backfill");
        out.result(
            c,
            "cancelled the backfill of job " + name + ": " + plural(c, "cancelled") + " skipped");
        return;
      }
      if (from == null || to == null) throw usage("--from and --to are required");
      ObjectNode body = Api.JSON.createObjectNode().put("from", from).put("to", to);
      if (overlap != null) body.put("overlap", overlap);
      JsonNode b = api.post(path(name) + "/backfill", body);
      out.result(
          b,
          "backfill of job "
              + name
              + ": "
              + plural(b, "ticks")
              + " to run, "
              + Text.str(b, "leftOut")
              + " left out");
    }

    private static String plural(JsonNode j, String field) {
      int n = j.path(field).asInt();
      return n + (n == 1 ? " tick" : " ticks");
    }
  }

  static String status(JsonNode job) {
    if (!job.path("enabled").asBoolean(true)) return "DISABLED";
    return Text.str(job, "status");
  }

  /**
   * Last run's status and time; the API's list may leave it out, then the last tick's time, if any.
   */
  static String last(JsonNode job) {
    JsonNode run = job.path("lastRun");
    if (run.isObject()) {
      JsonNode at = run.hasNonNull("startedAt") ? run.get("startedAt") : run.get("scheduledAt");
      return Text.str(run, "status") + " " + Text.time(at);
    }
    return Text.time(job.get("lastScheduled"));
  }

  private static String next(JsonNode job) {
    String next = Text.time(job.path("nextFireTimes").path(0));
    return next == null ? "" : " (next: " + next + ")";
  }
}
