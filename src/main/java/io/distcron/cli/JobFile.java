package io.distcron.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A job definition file: JSON, or YAML with the same fields (the API's shape), turned into the JSON
 * the API takes. The server validates the content; this only reads it.
 */
final class JobFile {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private JobFile() {}

  /** {@code -} reads standard input (JSON or YAML). */
  static ObjectNode read(String file, InputStream stdin) {
    String text;
    try {
      text =
          file.equals("-")
              ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
              : Files.readString(Path.of(file));
    } catch (NoSuchFileException e) {
      throw CliException.usage("cannot read " + file + ": no such file");
    } catch (IOException e) {
      throw CliException.usage("cannot read " + file + ": " + e.getMessage());
    }
    return parse(file, text);
  }

  static ObjectNode parse(String file, String text) {
    // .json gets the JSON parser for its clearer messages; YAML reads JSON too: it takes the rest.
    boolean json = file.toLowerCase(Locale.ROOT).endsWith(".json");
    JsonNode node;
    try {
      node = (json ? Api.JSON : YAML).readTree(text);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      String why = e.getOriginalMessage().lines().findFirst().orElse("");
      // The classic YAML trap for cron: an unquoted "*/5 * * * *" reads as an alias.
      String hint = why.contains("alias") ? " (quote a value that starts with '*')" : "";
      throw CliException.usage("cannot parse " + file + where + ": " + why + hint);
    }
    if (node == null || !node.isObject()) {
      throw CliException.usage(
          file + " must hold one job: a " + (json ? "JSON" : "YAML") + " object");
    }
    return (ObjectNode) node;
  }
}
