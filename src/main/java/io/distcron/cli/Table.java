package io.distcron.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Left-aligned columns two spaces apart, like {@code kubectl get}; easy on the eye and on {@code
 * awk}.
 */
final class Table {
  private final List<String[]> rows = new ArrayList<>();
  private final int columns;

  Table(String... headers) {
    this.columns = headers.length;
    rows.add(headers);
  }

  /** A null or empty cell prints as {@code -}, so every row has the same number of words. */
  Table row(Object... cells) {
    if (cells.length != columns)
      throw new IllegalArgumentException("expected " + columns + " cells");
    String[] row = new String[columns];
    for (int i = 0; i < columns; i++) {
      String s = cells[i] == null ? "" : Text.clean(cells[i].toString());
      row[i] = s.isEmpty() ? "-" : s;
    }
    rows.add(row);
    return this;
  }

  void print(PrintWriter out) {
    int[] widths = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) widths[i] = Math.max(widths[i], row[i].length());
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) line.append(" ".repeat(widths[i] - row[i].length() + 2));
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }
}
