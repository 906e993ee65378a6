package io.distcron.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A job definition file: JSON, or YAML with the same fields (the API's shape), turned into the JSON
 * the API takes. The server validates the content; this only reads it.
 */
final class JobFile {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Pattern JOB_FILE =
      Pattern.compile(".*\\.(ya?ml|json)", Pattern.CASE_INSENSITIVE);

  private JobFile() {}

  /** {@code -} reads standard input (JSON or YAML). */
  static ObjectNode read(String file, InputStream stdin) {
    return parse(file, text(file, stdin));
  }

  private static String text(String file, InputStream stdin) {
    try {
      return file.equals("-")
          ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
          : Files.readString(Path.of(file));
    } catch (NoSuchFileException e) {
      throw CliException.usage("cannot read " + file + ": no such file");
    } catch (IOException e) {
      throw CliException.usage("cannot read " + file + ": " + e.getMessage());
    }
  }

  private static CliException unparsable(String file, JsonProcessingException e) {
    String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
    String why = e.getOriginalMessage().lines().findFirst().orElse("");
    // The classic YAML trap for cron: an unquoted "*/5 * * * *" reads as an alias.
    String hint = why.contains("alias") ? " (quote a value that starts with '*')" : "";
    return CliException.usage("cannot parse " + file + where + ": " + why + hint);
  }

  /**
   * Every job in {@code file}: a YAML file's documents (separated by {@code ---}), a JSON file's
   * object or list; in a directory, every {@code .yaml}, {@code .yml} and {@code .json} file under
   * it, by path.
   */
  static List<ObjectNode> readAll(String file, InputStream stdin) {
    Path path = Path.of(file);
    if (file.equals("-") || !Files.isDirectory(path)) return jobs(file, text(file, stdin));
    List<Path> files;
    try (Stream<Path> walk = Files.walk(path)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(p -> JOB_FILE.matcher(p.getFileName().toString()).matches())
              .sorted()
              .toList();
    } catch (IOException e) {
      throw CliException.usage("cannot read " + file + ": " + e.getMessage());
    }
    List<ObjectNode> jobs = new ArrayList<>();
    for (Path p : files) jobs.addAll(jobs(p.toString(), text(p.toString(), stdin)));
    return jobs;
  }

  private static List<ObjectNode> jobs(String file, String text) {
    List<ObjectNode> jobs = new ArrayList<>();
    try (MappingIterator<JsonNode> docs =
        (isJson(file) ? Api.JSON : YAML).readerFor(JsonNode.class).readValues(text)) {
      while (docs.hasNextValue()) {
        JsonNode doc = docs.nextValue();
        if (doc == null || doc.isNull() || doc.isMissingNode()) continue;
        for (JsonNode job : doc.isArray() ? doc : List.of(doc)) {
          if (!job.isObject()) {
            throw CliException.usage(file + " must hold jobs: objects, one per document");
          }
          jobs.add((ObjectNode) job);
        }
      }
    } catch (JsonProcessingException e) {
      throw unparsable(file, e);
    } catch (IOException e) {
      throw CliException.usage("cannot read " + file + ": " + e.getMessage());
    }
    return jobs;
  }

  /**
   * .json gets the JSON parser for its clearer messages; YAML reads JSON too: it takes the rest.
   */
  private static boolean isJson(String file) {
    return file.toLowerCase(Locale.ROOT).endsWith(".json");
  }

  static ObjectNode parse(String file, String text) {
    boolean json = isJson(file);
    JsonNode node;
    try {
      node = (json ? Api.JSON : YAML).readTree(text);
    } catch (JsonProcessingException e) {
      throw unparsable(file, e);
    }
    if (node == null || !node.isObject()) {
      throw CliException.usage(
          file + " must hold one job: a " + (json ? "JSON" : "YAML") + " object");
    }
    return (ObjectNode) node;
  }
}
