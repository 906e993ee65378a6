package io.distcron.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code distcron calendar ...}: the calendars of times jobs must not fire in. */
@Command(
    name = "calendar",
    mixinStandardHelpOptions = true,
    description = "Define the times jobs must not fire in (holidays, quiet hours).",
    subcommands = {
      CalendarCommand.Add.class,
      CalendarCommand.Ls.class,
      CalendarCommand.Show.class,
      CalendarCommand.Rm.class
    })
final class CalendarCommand extends GroupCommand {
  static String path(String name) {
    return "/calendars/" + Api.segment(name);
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = {
        "Create a calendar; with --replace, replace the one of that name.",
        "A job excludes it with --exclude-calendar NAME."
      })
  static final class Add extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", description = "Free text.")
    String description;

    @Option(
        names = "--timezone",
        paramLabel = "ZONE",
        description = "IANA zone its dates and cron are in (default UTC).")
    String timezone;

    @Option(
        names = "--date",
        paramLabel = "YYYY-MM-DD",
        description = "An excluded day (repeatable).")
    List<String> dates;

    @Option(
        names = "--range",
        paramLabel = "FROM..TO",
        description = "Excluded days from FROM to TO, both included (repeatable).")
    List<String> ranges;

    @Option(
        names = "--cron",
        paramLabel = "EXPR",
        description = "Excluded times as a schedule, e.g. '* * 0-6 * * ?' (00:00-06:59).")
    String cron;

    @Option(names = "--replace", description = "Replace the calendar of that name.")
    boolean replace;

    @Override
    void run(Api api, Printer out) {
      ObjectNode body = Api.JSON.createObjectNode();
      body.put("name", name);
      if (description != null) body.put("description", description);
      if (timezone != null) body.put("timezone", timezone);
      if (dates != null) body.set("dates", Api.JSON.valueToTree(dates));
      if (ranges != null) {
        var array = body.putArray("ranges");
        for (String r : ranges) {
          int dots = r.indexOf("..");
          if (dots < 0) throw usage("--range must be FROM..TO, e.g. 2026-12-24..2027-01-01");
          array.addObject().put("from", r.substring(0, dots)).put("to", r.substring(dots + 2));
        }
      }
      if (cron != null) body.put("cron", cron);
      JsonNode saved = replace ? api.put(path(name), body) : api.post("/calendars", body);
      out.result(saved, (replace ? "updated" : "created") + " calendar " + Text.str(saved, "name"));
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List the calendars.")
  static final class Ls extends ApiCommand {
    @Override
    void run(Api api, Printer out) {
      JsonNode body = api.get("/calendars");
      if (out.json()) {
        out.json(body);
        return;
      }
      Table table = new Table("NAME", "TZ", "DATES", "RANGES", "CRON", "DESCRIPTION");
      for (JsonNode c : body.path("items")) {
        table.row(
            Text.str(c, "name"),
            Text.str(c, "timezone"),
            String.valueOf(c.path("dates").size()),
            String.valueOf(c.path("ranges").size()),
            Text.str(c, "cron"),
            Text.str(c, "description"));
      }
      table.print(out.writer());
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one calendar.")
  static final class Show extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      JsonNode c = api.get(path(name));
      if (out.json()) {
        out.json(c);
        return;
      }
      List<String> dates = new ArrayList<>();
      c.path("dates").forEach(d -> dates.add(d.asText()));
      List<String> ranges = new ArrayList<>();
      c.path("ranges").forEach(r -> ranges.add(Text.str(r, "from") + ".." + Text.str(r, "to")));
      new Fields()
          .add("name", Text.str(c, "name"))
          .add("description", Text.str(c, "description"))
          .add("timezone", Text.str(c, "timezone"))
          .add("dates", String.join(", ", dates))
          .add("ranges", String.join(", ", ranges))
          .add("cron", Text.str(c, "cron"))
          .print(out.writer());
    }
  }

  @Command(
      name = "rm",
      mixinStandardHelpOptions = true,
      description = "Delete a calendar no job excludes.")
  static final class Rm extends ApiCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    void run(Api api, Printer out) {
      api.delete(path(name));
      if (!out.json()) out.line("deleted calendar " + name);
    }
  }
}
