package io.distcron.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration table is the list of environment variables a node reads: every one of
 * them, and nothing a node does not read.
 */
class ConfigTableTest {
  private static final Path RESOURCES = Path.of("src/main/resources");

  @Test
  void listsEveryEnvironmentVariableANodeReadsAndNothingElse() throws IOException {
    Set<String> read = new TreeSet<>();
    try (Stream<Path> confs = Files.list(RESOURCES)) {
      for (Path conf : confs.filter(p -> p.toString().endsWith(".conf")).toList()) {
        read.addAll(found(Pattern.compile("\\$\\{\\?(DISTCRON_[A-Z_]+)}"), Files.readString(conf)));
      }
    }
    // Read outside the .conf files: the ones Configs turns into settings, the log format.
    read.addAll(
        found(
            Pattern.compile("env\\.get\\(\"(DISTCRON_[A-Z_]+)\"\\)"),
            Files.readString(Path.of("src/main/java/io/distcron/config/Configs.java"))));
    read.addAll(
        found(
            Pattern.compile("\\$\\{(DISTCRON_[A-Z_]+):-"),
            Files.readString(RESOURCES.resolve("logback.xml"))));

    String readme = Files.readString(Path.of("README.md"));
    String section =
        readme.substring(readme.indexOf("## Configuration"), readme.indexOf("## Run a cluster"));
    Set<String> documented = new TreeSet<>();
    for (String line : section.lines().filter(l -> l.startsWith("| ")).toList()) {
      String[] cells = line.split("\\|");
      documented.addAll(found(Pattern.compile("(DISTCRON_[A-Z_]+)"), cells[2]));
    }

    assertThat(read).contains("DISTCRON_DB_URL", "DISTCRON_SEED_NODES", "DISTCRON_LOG_FORMAT");
    assertThat(documented).containsExactlyElementsOf(read);
  }

  private static Set<String> found(Pattern pattern, String text) {
    Set<String> names = new TreeSet<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) names.add(m.group(1));
    return names;
  }
}
