package io.distcron.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;

/** {@code distcron nodes}: the cluster's members with their roles, status, load and labels. */
@Command(
    name = "nodes",
    mixinStandardHelpOptions = true,
    description = "List the cluster's nodes: roles, status, load, labels.")
final class NodesCommand extends ApiCommand {
  @Override
  void run(Api api, Printer out) {
    JsonNode body = api.get("/nodes");
    if (out.json()) {
      out.json(body);
      return;
    }
    Table table =
        new Table("ADDRESS", "ROLES", "STATUS", "RUNNING", "CAPACITY", "CPU", "SELF", "LABELS");
    for (JsonNode n : body.path("items")) {
      List<String> roles = new ArrayList<>();
      n.path("roles").forEach(r -> roles.add(r.asText()));
      JsonNode cpu = n.get("cpuLoad");
      table.row(
          Text.str(n, "address"),
          String.join(",", roles),
          Text.str(n, "status"),
          Text.str(n, "runsInProgress"),
          Text.str(n, "capacity"),
          cpu == null || cpu.isNull() || cpu.asDouble() < 0
              ? null
              : String.format(Locale.ROOT, "%.2f", cpu.asDouble()),
          n.path("self").asBoolean() ? "*" : "",
          Text.pairs(n.get("labels")));
    }
    table.print(out.writer());
  }
}
