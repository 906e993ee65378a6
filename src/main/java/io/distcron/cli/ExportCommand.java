package io.distcron.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distcron export}: the jobs as files that {@code distcron apply} takes back, so that {@code
 * export | apply} changes nothing.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = "Print the jobs' definitions, as 'distcron apply' reads them.")
final class ExportCommand extends ApiCommand {
  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only jobs with this label.")
  String label;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      description = "yaml (one document per job, the default) or json (a list).")
  String format = "yaml";

  @Override
  void run(Api api, Printer out) {
    if (!format.equals("yaml") && !format.equals("json")) throw usage("-o must be yaml or json");
    ArrayNode jobs = Api.JSON.createArrayNode();
    for (JsonNode job : JobCommand.all(api, label, null)) {
      ObjectNode definition = ((ObjectNode) job).deepCopy();
      JobCommand.READ_ONLY.forEach(definition::remove);
      jobs.add(withoutNulls(definition));
    }
    if (format.equals("json")) {
      out.json(jobs);
      return;
    }
    try {
      for (JsonNode job : jobs) out.writer().print(JobFile.YAML.writeValueAsString(job));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out.writer().flush();
  }

  /** A field left out reads as null: the files say only what is set. */
  private static JsonNode withoutNulls(JsonNode node) {
    if (node instanceof ObjectNode object) {
      object.properties().removeIf(field -> field.getValue().isNull());
      object.forEach(ExportCommand::withoutNulls);
    }
    return node;
  }
}
