package io.distcron.placement;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A node's labels, {@code DISTCRON_NODE_LABELS=zone=eu1,disk=ssd}, plus the implicit {@code
 * host=<hostname>} (an explicit {@code host=} wins, so that several nodes on one machine can stand
 * for different hosts). Keys and values are kept to characters that survive an environment
 * variable, a shell and a URL unquoted, so a selector typed anywhere means the same labels.
 */
public final class NodeLabels {
  public static final String HOST = "host";
  public static final int MAX_KEY = 100;
  public static final int MAX_VALUE = 253;
  public static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,99}");
  public static final Pattern VALUE = Pattern.compile("[A-Za-z0-9._:/@+-]{1,253}");
  public static final String SYNTAX =
      "a key is 1-100 letters, digits and . _ / - (starting with a letter or digit), a value 1-253"
          + " letters, digits and . _ : / @ + -";
  public static final int MAX = 64;
  private static final String VARIABLE = "DISTCRON_NODE_LABELS (distcron.node.labels)";

  private NodeLabels() {}

  /**
   * The machine's name, as the implicit {@code host} label has it ({@code localhost} if unknown).
   */
  public static String hostname() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "localhost";
    }
  }

  /** {@code text}: {@code key=value} pairs separated by commas; blank for none. */
  public static Map<String, String> parse(String text, String hostname) {
    Map<String, String> labels = new LinkedHashMap<>();
    for (String pair : text.split(",", -1)) {
      if (pair.isBlank() && text.isBlank()) break;
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
      String value = eq < 0 ? "" : pair.substring(eq + 1).trim();
      if (eq < 0 || !KEY.matcher(key).matches() || !VALUE.matcher(value).matches()) {
        throw invalid("'" + pair.trim() + "' is not key=value: " + SYNTAX);
      }
      if (labels.put(key, value) != null) throw invalid("label '" + key + "' is given twice");
    }
    if (labels.size() > MAX) throw invalid("at most " + MAX + " labels");
    if (hostname != null && !hostname.isBlank()) labels.putIfAbsent(HOST, hostname);
    return Map.copyOf(labels);
  }

  private static IllegalArgumentException invalid(String why) {
    return new IllegalArgumentException(
        VARIABLE + " must be key=value pairs separated by commas, e.g. zone=eu1,disk=ssd: " + why);
  }
}
