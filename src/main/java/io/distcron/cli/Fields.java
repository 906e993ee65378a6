package io.distcron.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** One record as aligned {@code key: value} lines, for the {@code show} commands. */
final class Fields {
  private record Field(String key, String value) {}

  private final List<Field> fields = new ArrayList<>();

  /** A null or empty value is left out: a show lists what the record has. */
  Fields add(String key, Object value) {
    String s = value == null ? "" : Text.clean(value.toString());
    if (!s.isEmpty()) fields.add(new Field(key, s));
    return this;
  }

  void print(PrintWriter out) {
    int width = fields.stream().mapToInt(f -> f.key().length()).max().orElse(0) + 2;
    for (Field f : fields) {
      out.println(f.key() + ":" + " ".repeat(width - f.key().length() - 1) + f.value());
    }
    out.flush();
  }
}
