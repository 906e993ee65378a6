package io.distcron.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** How values from the API read in a terminal. */
final class Text {
  private static final DateTimeFormatter LOCAL =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
          .withZone(ZoneId.systemDefault());

  private Text() {}

  /**
   * Job names, labels and messages are user input: control characters (a newline, an ESC starting a
   * terminal escape sequence) would break a table or take over the terminal, so they become spaces.
   */
  static String clean(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
    return b.toString();
  }

  /** The text of a field, or null when it is missing or JSON null. */
  static String str(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** An API instant in the terminal's zone: people read local time; {@code --json} keeps UTC. */
  static String time(JsonNode instant) {
    if (instant == null || instant.isNull() || instant.isMissingNode()) return null;
    try {
      return LOCAL.format(Instant.parse(instant.asText()));
    } catch (DateTimeParseException e) {
      return instant.asText();
    }
  }

  static String millis(JsonNode ms) {
    if (ms == null || ms.isNull() || ms.isMissingNode()) return null;
    return duration(Duration.ofMillis(ms.asLong()));
  }

  /** Short and exact enough to compare runs: 850ms, 12.3s, 4m05s, 2h03m. */
  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) return ms + "ms";
    if (ms < 60_000) return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    long s = ms / 1000;
    if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  /** {@code {"a": "1", "b": "2"}} as {@code a=1,b=2}. */
  static String pairs(JsonNode map) {
    if (map == null || !map.isObject()) return null;
    List<String> kv = new ArrayList<>();
    map.properties().forEach(e -> kv.add(e.getKey() + "=" + e.getValue().asText()));
    return String.join(",", kv);
  }

  /**
   * A duration as the user types it — {@code 90}, {@code 30s}, {@code 10m}, {@code 1h30m}, {@code
   * 2d} or ISO-8601 {@code PT10S} — so nobody has to count seconds or write ISO by hand.
   */
  static Duration parseDuration(String s) {
    String t = s.trim().toLowerCase(Locale.ROOT);
    if (t.startsWith("p")) return Duration.parse(t.toUpperCase(Locale.ROOT));
    if (t.matches("\\d+")) return Duration.ofSeconds(Long.parseLong(t));
    if (!t.matches("(\\d+[dhms])+")) throw new IllegalArgumentException("not a duration: " + s);
    Duration d = Duration.ZERO;
    var m = java.util.regex.Pattern.compile("(\\d+)([dhms])").matcher(t);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      d =
          switch (m.group(2)) {
            case "d" -> d.plusDays(n);
            case "h" -> d.plusHours(n);
            case "m" -> d.plusMinutes(n);
            default -> d.plusSeconds(n);
          };
    }
    return d;
  }
}
