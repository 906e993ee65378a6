package io.distcron.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code distcron apply -f FILE|DIR}: jobs kept as files, applied in one request ({@code POST
 * /api/v1/apply}) under an owner, so that applying the same files again changes nothing and {@code
 * --prune} removes the jobs whose files are gone.
 */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    description = {
      "Create, update or leave alone the jobs in FILE, or in every .yaml/.yml/.json file under DIR.",
      "A YAML file may hold several jobs (separated by ---), a JSON file one job or a list.",
      "Nothing is applied if any job is invalid."
    })
final class ApplyCommand extends ApiCommand {
  /** Ten thousand new jobs take a while on a busy cluster; the server allows five minutes. */
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  @Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "FILE|DIR",
      description = "Job files: a file, a directory (read recursively), or - for standard input.")
  String file;

  @Option(
      names = "--owner",
      paramLabel = "OWNER",
      description =
          "Who manages these jobs (default: file:<name of FILE or DIR>). Another owner's jobs are"
              + " refused.")
  String owner;

  @Option(names = "--prune", description = "Delete the owner's jobs that the files no longer hold.")
  boolean prune;

  @Option(names = "--dry-run", description = "Show what would change; change nothing.")
  boolean dryRun;

  @Override
  void run(Api api, Printer out) {
    if (owner == null && file.equals("-")) throw usage("give --owner when reading standard input");
    List<ObjectNode> jobs = JobFile.readAll(file, System.in);
    report(send(api, jobs, owner != null ? owner : defaultOwner(file), prune, dryRun), dryRun, out);
  }

  /** One bulk request: the jobs under {@code owner}; the server's answer. */
  static JsonNode send(
      Api api, List<ObjectNode> jobs, String owner, boolean prune, boolean dryRun) {
    ObjectNode body = Api.JSON.createObjectNode();
    body.put("managedBy", owner);
    body.put("prune", prune);
    body.put("dryRun", dryRun);
    ArrayNode list = body.putArray("jobs");
    jobs.forEach(list::add);
    return api.post("/apply", body, TIMEOUT);
  }

  /** Each job that changed (or would), an update with the fields it changed, then the counts. */
  static void report(JsonNode answer, boolean dryRun, Printer out) {
    if (out.json()) {
      out.json(answer);
      return;
    }
    List<String> summary = new ArrayList<>();
    for (JsonNode job : answer.path("jobs")) {
      String outcome = Text.str(job, "outcome");
      if (!"unchanged".equals(outcome)) {
        List<String> fields = new ArrayList<>();
        job.path("changed").forEach(f -> fields.add(f.asText()));
        out.line(
            (dryRun ? "would be " : "")
                + outcome
                + " "
                + Text.str(job, "name")
                + (fields.isEmpty() ? "" : ": " + String.join(", ", fields)));
      }
    }
    answer
        .path("summary")
        .fields()
        .forEachRemaining(e -> summary.add(e.getValue() + " " + e.getKey()));
    out.line(String.join(", ", summary) + (dryRun ? " (dry run: nothing changed)" : ""));
  }

  /** The owner a file or directory gets when none is given: its name, as the server allows it. */
  static String defaultOwner(String file) {
    Path name = Path.of(file).toAbsolutePath().normalize().getFileName();
    String base = name == null ? "root" : name.toString();
    return ownerOf("file:" + base);
  }

  /** {@code text} in the characters the server allows an owner ({@code managedBy}) to hold. */
  static String ownerOf(String text) {
    return text.replaceAll("[^A-Za-z0-9._:/@+=-]", "-");
  }
}
